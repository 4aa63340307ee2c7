// Which pods a Trace's filter selects, as Inspektor Gadget's filter did.
import type { TraceFilter } from './trace.js';

export interface PodIdentity {
  namespace: string;
  name: string;
  labels?: Record<string, string>;
  containers: string[];
}

export function filterNamespaceList(filter: TraceFilter | undefined): string[] {
  return (filter?.namespace ?? '')
    .split(',')
    .map((n) => n.trim())
    .filter(Boolean);
}

export function matchesFilter(pod: PodIdentity, filter: TraceFilter | undefined): boolean {
  if (!filter) return true;
  const namespaces = filterNamespaceList(filter);
  if (namespaces.length > 0 && !namespaces.includes(pod.namespace)) return false;
  if (filter.podname && filter.podname !== pod.name) return false;
  for (const [k, v] of Object.entries(filter.labels ?? {})) {
    if (pod.labels?.[k] !== v) return false;
  }
  if (filter.containerName && !pod.containers.includes(filter.containerName)) return false;
  return true;
}
