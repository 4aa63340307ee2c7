// Workload objects that own test-bed pods, made the way their controllers would have
// made them (no deployment controller runs for simulated nodes), typed, through
// lib/kube.ts. addPod(..., { owner: 'ReplicaSet/NAME' }) (test/e2e/testbed.ts) then points a
// pod at them.
import { Kube, loadKubeConfig } from '../../lib/kube.js';
import type { KubeObject } from '../../lib/kube-objects.js';
import { kubeconfigPath } from './testbed.js';

const workload = (labels: Record<string, string>) => ({
  replicas: 0,
  selector: { matchLabels: labels },
  template: {
    metadata: { labels },
    spec: { containers: [{ name: 'main', image: 'netgraph.dev/simulated' }] },
  },
});

/**
 * A Deployment `name` with 0 replicas, labelled and selecting app=<name> as
 * `kubectl create deployment` makes it, and its ReplicaSet `rs` (whose controller it
 * is) labelled and selecting `rsLabels` (default app=<name>). Returns `rs`.
 */
export async function addDeployment(
  ns: string,
  name: string,
  rs: string,
  rsLabels: Record<string, string> = { app: name },
): Promise<string> {
  const kube = new Kube(loadKubeConfig(kubeconfigPath()));
  const apps = `/apis/apps/v1/namespaces/${ns}`;
  const labels = { app: name };
  const deploy = await kube.request<KubeObject>('POST', `${apps}/deployments`, {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: ns, labels },
    spec: workload(labels),
  });
  const owner = { apiVersion: 'apps/v1', kind: 'Deployment', name, controller: true };
  await kube.request('POST', `${apps}/replicasets`, {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      name: rs,
      namespace: ns,
      labels: rsLabels,
      ownerReferences: [{ ...owner, uid: deploy.metadata?.uid }],
    },
    spec: workload(rsLabels),
  });
  return rs;
}
