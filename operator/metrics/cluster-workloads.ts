// What the metrics ask of the enrichment's cluster state: a pod's workload, and which
// workloads have a pod now (a workload with none is gone; its series go after the grace);
// and what the graph's part from Prometheus, named by those workloads, asks of it.
import type { Labels } from '../../api/edge.js';
import type { ClusterState } from '../enrich/cluster-state.js';
import type { WorkloadFacts, WorkloadIndex } from '../history/workload-records.js';
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

/**
 * The workloads with a live pod now, as the graph's part from Prometheus names them
 * (history/workload-records.ts): each one's kind, one pod's labels and the Services
 * selecting it, and those Services' selectors.
 */
export function workloadIndex(state: ClusterState): WorkloadIndex {
  const workloads = new Map<string, WorkloadFacts>();
  const selectors = new Map<string, Labels>();
  for (const p of state.livePods()) {
    const owner = state.ownerOf(p) ?? { kind: 'Pod', name: p.name };
    const key = `${p.namespace}/${owner.name}`;
    if (workloads.has(key)) continue;
    const services = state.servicesOf(p);
    workloads.set(key, {
      kind: owner.kind,
      labels: p.labels,
      services: services.map((s) => s.name),
    });
    for (const s of services) if (s.selector) selectors.set(`${s.namespace}/${s.name}`, s.selector);
  }
  return { workloads, selectors };
}
