// What other e2e files leave of the chart's objects when they apply its RBAC and policies
// without helm (rbac.test.ts, admission-policies.test.ts): `helm install` refuses to adopt
// an object of its names that no release owns. Files that install the chart clear them.
import { renderChart } from '../chart-render.js';
import { kubectl } from './testbed.js';

const CLUSTER_KINDS = new Set([
  'ClusterRole',
  'ClusterRoleBinding',
  'ValidatingAdmissionPolicy',
  'ValidatingAdmissionPolicyBinding',
]);

/** Deletes the cluster-wide objects, and kube-system's, the chart renders for release `netgraph`. */
export async function clearChartLeftovers(namespace: string): Promise<void> {
  const items = (await renderChart(namespace)).filter(
    (d) => CLUSTER_KINDS.has(d.kind) || d.metadata.namespace === 'kube-system',
  );
  await kubectl(['delete', '--ignore-not-found', '-f', '-'], {
    input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items }),
  });
}
