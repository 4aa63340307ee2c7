// The workload-level edges of netgraph's series (WorkloadBins) as records of the graph
// (pure), named in each view as the memory's records of the same workloads are, so that
// both parts of a window draw into the same entities. The series name no pods and no
// nodes: in the pod and node views an edge's ends are its workloads, and a Service's
// server side is matched to the Service through the cluster's pods as they are now.
import type { Edge, Labels, PktType, Proto, RemoteKind } from '../../api/edge.js';
import type { GroupNames } from '../enrich/group.js';
import type { EdgeRecord, GroupedBy } from './history.js';
import type { WorkloadEdgeLabels } from './workload-bins.js';

/** What the cluster says now of a workload with a live pod (by `namespace/name`). */
export interface WorkloadFacts {
  /** Its top owner's kind (Deployment, ...), Pod for a pod without one. */
  kind: string;
  /** One live pod's labels, which a Service's selector matches. */
  labels: Labels;
  /** The Services selecting that pod, by name, sorted. */
  services: readonly string[];
}

export interface WorkloadIndex {
  workloads: ReadonlyMap<string, WorkloadFacts>;
  /** Selectors of the Services that select a live pod, by `namespace/name`. */
  selectors: ReadonlyMap<string, Labels>;
}

const workloadName = (ns: string, kind: string, name: string) =>
  `${ns}/${kind.toLowerCase()}/${name}`;

/**
 * Records `firstId`, `firstId + 1`, ... of `edges`. A remote pod's workload kind is not in
 * the series: it is the one the series give it as a traced workload, else the cluster's,
 * else it is named as a pod (the series name a pod without owner by itself).
 */
export function workloadRecords(
  edges: readonly WorkloadEdgeLabels[],
  firstId: number,
  index: WorkloadIndex,
): EdgeRecord[] {
  const kinds = new Map<string, string>();
  for (const l of edges) kinds.set(`${l.namespace}/${l.workload}`, l.workload_kind);
  const kindOf = (ns: string, name: string) =>
    kinds.get(`${ns}/${name}`) ?? index.workloads.get(`${ns}/${name}`)?.kind ?? 'Pod';
  const serviceView = (ns: string, name: string, own: string) => {
    const services = index.workloads.get(`${ns}/${name}`)?.services ?? [];
    return services.length > 0 ? `${ns}/service/${services.join(',')}` : own;
  };
  return edges.map((l, i) => {
    const remoteKind = l.remote_kind as RemoteKind;
    const local = workloadName(l.namespace, l.workload_kind, l.workload);
    let remote = l.remote_workload;
    let remoteService = remote;
    if (remoteKind === 'svc') remote = remoteService = `${l.remote_namespace}/service/${remote}`;
    else if (remoteKind === 'pod') {
      remote = workloadName(
        l.remote_namespace,
        kindOf(l.remote_namespace, l.remote_workload),
        l.remote_workload,
      );
      remoteService = serviceView(l.remote_namespace, l.remote_workload, remote);
    }
    const inside = remoteKind === 'svc' || remoteKind === 'pod';
    const own = { group: local, remoteGroup: remote };
    const groups: Record<GroupedBy, GroupNames> = {
      owner: own,
      node: own,
      service: {
        group: serviceView(l.namespace, l.workload, local),
        remoteGroup: remoteService,
      },
      namespace: { group: l.namespace, remoteGroup: inside ? l.remote_namespace : remote },
    };
    const edge: Edge = {
      type: 'normal',
      namespace: l.namespace,
      podOwner: l.workload,
      podOwnerKind: l.workload_kind,
      pktType: l.pkt_type as PktType,
      proto: l.proto as Proto,
      port: Number(l.port),
      remoteKind,
      ...(remoteKind === 'svc' && {
        remoteServiceNamespace: l.remote_namespace,
        remoteServiceName: l.remote_workload,
        remoteServiceLabelSelector: index.selectors.get(
          `${l.remote_namespace}/${l.remote_workload}`,
        ),
      }),
      ...(remoteKind === 'pod' && {
        remotePodNamespace: l.remote_namespace,
        remotePodName: l.remote_workload,
      }),
      ...(!inside && { remoteName: remote }),
      podLabels: index.workloads.get(`${l.namespace}/${l.workload}`)?.labels,
    };
    return { id: firstId + i, edge, groups, podView: own };
  });
}
