// What other e2e files leave of the chart's objects when they apply its RBAC and policies
// without helm (rbac.test.ts, admission-policies.test.ts): `helm install` refuses to adopt
// an object of its names that no release owns. Files that install the chart clear them.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { kubectl, repoRoot } from './testbed.js';

const CLUSTER_KINDS = new Set([
  'ClusterRole',
  'ClusterRoleBinding',
  'ValidatingAdmissionPolicy',
  'ValidatingAdmissionPolicyBinding',
]);

interface Doc {
  kind: string;
  metadata: { name: string; namespace?: string };
}

/** Deletes the cluster-wide objects, and kube-system's, that `helm` renders for release `netgraph`. */
export async function clearChartLeftovers(helm: string, namespace: string): Promise<void> {
  const { stdout } = await promisify(execFile)(
    helm,
    ['template', 'netgraph', `${repoRoot}/charts/netgraph`, '-n', namespace],
    { maxBuffer: 64 << 20 },
  );
  const items = parseAllDocuments(stdout)
    .map((d) => d.toJSON() as Doc | null)
    .filter(
      (d): d is Doc =>
        d !== null && (CLUSTER_KINDS.has(d.kind) || d.metadata.namespace === 'kube-system'),
    );
  await kubectl(['delete', '--ignore-not-found', '-f', '-'], {
    input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items }),
  });
}
