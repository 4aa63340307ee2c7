// The token the operator shows agents: its ServiceAccount's, bound to the agents'
// audience. In a cluster it is a projected token file the kubelet keeps fresh;
// elsewhere (the test bed, a laptop) it is asked for with the TokenRequest API.
import { readFile } from 'node:fs/promises';
import { AGENT_AUDIENCE } from '../../api/agent.js';
import type { Kube } from '../../lib/kube.js';

export type TokenSource = () => Promise<string>;

export function tokenFromFile(path: string): TokenSource {
  let cached: { at: number; token: string } | undefined;
  return async () => {
    if (!cached || Date.now() - cached.at > 60_000) {
      cached = { at: Date.now(), token: (await readFile(path, 'utf8')).trim() };
    }
    return cached.token;
  };
}

/** `audiences`: none for the API server's own (what TokenReview accepts by default). */
export function tokenFromRequest(
  kube: Kube,
  namespace: string,
  serviceAccount: string,
  audiences: string[] = [AGENT_AUDIENCE],
): TokenSource {
  let cached: { expires: number; token: string } | undefined;
  let pending: Promise<string> | undefined;
  const fetchToken = async (): Promise<string> => {
    const res = await kube.request<{ status: { token: string; expirationTimestamp: string } }>(
      'POST',
      `/api/v1/namespaces/${namespace}/serviceaccounts/${serviceAccount}/token`,
      {
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'TokenRequest',
        spec: { ...(audiences.length > 0 && { audiences }), expirationSeconds: 3600 },
      },
    );
    // Renew well before expiry.
    cached = {
      token: res.status.token,
      expires: Date.parse(res.status.expirationTimestamp) - 600_000,
    };
    return cached.token;
  };
  return async () => {
    if (cached && Date.now() < cached.expires) return cached.token;
    pending ??= fetchToken().finally(() => {
      pending = undefined;
    });
    return pending;
  };
}
