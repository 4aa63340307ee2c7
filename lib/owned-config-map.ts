// Writes a ConfigMap only if netgraph owns it: it carries netgraph's managed-by label and,
// when an owner is given, that owner's reference (a Trace's policies). Someone else's
// ConfigMap of the same name is never overwritten: the write fails with a reason the
// caller shows the user. The chart's admission policy enforces the same for the
// operator's ServiceAccount. It never reads a ConfigMap (RBAC gives the operator no `get`
// on them: they hold other people's configuration): it creates, and when the name is
// taken, patches with `test` operations that make the API server refuse the write unless
// the label (and the owner) are netgraph's.
import { isConflict, isInvalid, type JsonPatchOp, type KubeClient, pointer } from './kube.js';
import type { OwnerReference } from './kube-objects.js';

export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const MANAGED_BY = 'netgraph';

export interface OwnedConfigMap {
  namespace: string;
  name: string;
  owner?: OwnerReference;
  data: Record<string, string>;
}

export class NotOwnedError extends Error {}

export async function writeOwnedConfigMap(
  kube: Pick<KubeClient, 'request' | 'jsonPatch'>,
  cm: OwnedConfigMap,
): Promise<void> {
  const collection = `/api/v1/namespaces/${encodeURIComponent(cm.namespace)}/configmaps`;
  const path = `${collection}/${encodeURIComponent(cm.name)}`;
  const body = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: cm.name,
      namespace: cm.namespace,
      labels: { [MANAGED_BY_LABEL]: MANAGED_BY },
      ...(cm.owner && { ownerReferences: [cm.owner] }),
    },
    data: cm.data,
  };
  try {
    await kube.request('POST', collection, body);
    return;
  } catch (err) {
    if (!isConflict(err)) throw err;
  }
  const ours: JsonPatchOp[] = [
    { op: 'test', path: `/metadata/labels/${pointer(MANAGED_BY_LABEL)}`, value: MANAGED_BY },
    ...(cm.owner
      ? [{ op: 'test', path: '/metadata/ownerReferences/0/uid', value: cm.owner.uid } as const]
      : []),
  ];
  try {
    await kube.jsonPatch(path, [...ours, { op: 'add', path: '/data', value: cm.data }]);
  } catch (err) {
    // A failed `test`: the name is someone else's ConfigMap.
    if (!isInvalid(err)) throw err;
    throw new NotOwnedError(
      `ConfigMap ${cm.namespace}/${cm.name} exists and is not netgraph's (no ${MANAGED_BY_LABEL}=${MANAGED_BY} label${cm.owner ? ` or no owner reference to ${cm.owner.kind} ${cm.owner.name}` : ''}): not overwritten`,
    );
  }
}
