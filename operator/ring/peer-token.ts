// The token a replica shows its peers' ports: its ServiceAccount's, for the API server's
// own audience, which is what the port's TokenReview accepts (operator/access/). In a pod
// it is the token the kubelet mounts and keeps fresh; elsewhere (the test bed, a laptop)
// it is asked for with the TokenRequest API.
import { existsSync } from 'node:fs';
import type { Kube } from '../../lib/kube.js';
import { type TokenSource, tokenFromFile, tokenFromRequest } from '../trace/agent-token.js';

const POD_TOKEN_FILE = '/var/run/secrets/kubernetes.io/serviceaccount/token';

export function peerToken(kube: Kube, namespace: string, serviceAccount: string): TokenSource {
  return existsSync(POD_TOKEN_FILE)
    ? tokenFromFile(POD_TOKEN_FILE)
    : tokenFromRequest(kube, namespace, serviceAccount, []);
}
