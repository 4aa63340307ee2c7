// What the metrics ask of the enrichment's cluster state: a pod's workload, and which
// workloads have a pod now (a workload with none is gone; its series go after the grace).
import type { ClusterState } from '../enrich/cluster-state.js';
import { type Workload, workloadId } from './edge-labels.js';

export function podWorkload(
  state: ClusterState,
  namespace: string,
  pod: string,
): Workload | undefined {
  const p = state.pod(namespace, pod);
  return p && state.ownerOf(p);
}

export function liveWorkloads(state: ClusterState): Set<string> {
  const live = new Set<string>();
  for (const p of state.livePods())
    live.add(workloadId(p.namespace, state.ownerOf(p) ?? { kind: 'Pod', name: p.name }));
  return live;
}
