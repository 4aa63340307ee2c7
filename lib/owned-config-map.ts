// Writes a ConfigMap only if netgraph owns it: it carries netgraph's managed-by label and,
// when an owner is given, that owner's reference (a Trace's policies). Someone else's
// ConfigMap of the same name is never overwritten: the write fails with a reason the
// caller shows the user. The chart's admission policy enforces the same for the
// operator's ServiceAccount.
import { isNotFound, type KubeClient } from './kube.js';
import type { ConfigMap, OwnerReference } from './kube-objects.js';

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
  kube: Pick<KubeClient, 'get' | 'request'>,
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
  let existing: ConfigMap;
  try {
    existing = await kube.get<ConfigMap>(path);
  } catch (err) {
    if (!isNotFound(err)) throw err;
    await kube.request('POST', collection, body);
    return;
  }
  const labelled = existing.metadata?.labels?.[MANAGED_BY_LABEL] === MANAGED_BY;
  const owned =
    !cm.owner || existing.metadata?.ownerReferences?.some((r) => r.uid === cm.owner?.uid);
  if (!labelled || !owned)
    throw new NotOwnedError(
      `ConfigMap ${cm.namespace}/${cm.name} exists and is not netgraph's (no ${MANAGED_BY_LABEL}=${MANAGED_BY} label${cm.owner ? ` or no owner reference to ${cm.owner.kind} ${cm.owner.name}` : ''}): not overwritten`,
    );
  // Replaced only as read: a write in between makes this one fail and be retried.
  await kube.request('PUT', path, {
    ...body,
    metadata: { ...body.metadata, resourceVersion: existing.metadata?.resourceVersion },
  });
}
