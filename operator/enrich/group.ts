// Pixie's net_flow_graph views: the enriched edges seen per pod (the default,
// edges as they are), or summed per service, namespace, owner or node, and
// optionally only those whose remote address is in `ips`.
//
// Group names say what they are, as kubectl does, qualified by namespace:
//   namespace  <namespace>
//   service    <namespace>/service/<name>[,<name>...]  (every service selecting the pod)
//   owner      <namespace>/<kind>/<name>                (deployment, statefulset, cronjob, ...)
//   node       node/<name>                              (as remoteName names a node's address or pod-range gateway)
// A pod that has no group of the view's kind (no service selects it, it has no
// owner, its node is unknown) is its own group, <namespace>/pod/<name>. A remote
// service stays a service in every view but namespace, and an `other` remote is
// its remoteName (node/<name> or a DNS name) or its IP.
import { addCounters, type Edge } from '../../api/edge.js';
import type { GroupBy, TraceParameters } from '../../api/trace.js';
import { canonicalIP } from '../../lib/ip.js';
import type { EdgeView } from '../trace/edge-view.js';
import type { ClusterState } from './cluster-state.js';

export interface GroupNames {
  group: string;
  remoteGroup: string;
}

const podGroup = (namespace: string, name: string) => `${namespace}/pod/${name}`;

/** The view's name for a pod, known to the cluster or not. */
function podGroupName(
  by: Exclude<GroupBy, 'pod'>,
  namespace: string,
  name: string,
  state: ClusterState,
  node?: string,
): string {
  if (by === 'namespace') return namespace;
  const pod = state.pod(namespace, name);
  if (by === 'node') {
    const nodeName = node || pod?.nodeName;
    return nodeName ? `node/${nodeName}` : podGroup(namespace, name);
  }
  if (pod === undefined) return podGroup(namespace, name);
  if (by === 'service') {
    const services = state.servicesOf(pod);
    if (services.length === 0) return podGroup(namespace, name);
    return `${namespace}/service/${services.map((s) => s.name).join(',')}`;
  }
  const owner = state.ownerOf(pod);
  return owner
    ? `${namespace}/${owner.kind.toLowerCase()}/${owner.name}`
    : podGroup(namespace, name);
}

/** The group of each side of an enriched edge in a view other than pod. */
export function groupNames(e: Edge, by: Exclude<GroupBy, 'pod'>, state: ClusterState): GroupNames {
  const ns = e.namespace ?? '';
  // The local pod's owner is on the edge already; the cluster may have forgotten the pod.
  const group =
    by === 'owner' && e.podOwner && e.podOwnerKind
      ? `${ns}/${e.podOwnerKind.toLowerCase()}/${e.podOwner}`
      : podGroupName(by, ns, e.pod ?? '', state, e.node);
  let remoteGroup: string;
  if (e.remoteKind === 'svc') {
    const svcNs = e.remoteServiceNamespace ?? '';
    remoteGroup = by === 'namespace' ? svcNs : `${svcNs}/service/${e.remoteServiceName ?? ''}`;
  } else if (e.remoteKind === 'pod') {
    remoteGroup = podGroupName(by, e.remotePodNamespace ?? '', e.remotePodName ?? '', state);
  } else {
    remoteGroup = e.remoteName || e.remoteOther || e.ip || '';
  }
  return { group, remoteGroup };
}

/**
 * The identity of a grouped edge, for dedupe in the log stream and the status, as edgeKey() is for a
 * pod edge. '|' appears in no group name, so two different groups never share a key.
 */
export const groupKey = (e: Edge): string =>
  `${e.group ?? ''}|${e.remoteGroup ?? ''}|${e.pktType ?? ''}|${e.proto ?? ''}|${e.port ?? 0}`;

/** The view's filter: every edge, or those whose remote IP is listed; messages always pass. */
function ipFilter(ips: readonly string[]): (e: Edge) => boolean {
  const listed = new Set(ips.map(canonicalIP));
  return (e) => e.type !== 'normal' || listed.size === 0 || listed.has(e.ip ?? '');
}

/** An edge with the group names it is summed under; none for one shown as it is. */
type Member = readonly [Edge, GroupNames | undefined];

function member(e: Edge, by: GroupBy, state: ClusterState): Member {
  return [e, by === 'pod' || e.type !== 'normal' ? undefined : groupNames(e, by, state)];
}

/** A grouped edge without traffic yet. */
function emptyGroup(e: Edge, names: GroupNames, by: GroupBy): Edge {
  return {
    type: 'normal',
    // Every edge of a group shares the local side's namespace (or node, in the node view).
    node: by === 'node' ? e.node : undefined,
    namespace: by === 'node' ? undefined : e.namespace,
    pktType: e.pktType,
    proto: e.proto,
    port: e.port,
    group: names.group,
    remoteGroup: names.remoteGroup,
  };
}

/** One grouped edge per groupKey, counters summed (addCounters), in order of first appearance. */
function sumGroups(members: Iterable<Member>, by: GroupBy): Edge[] {
  const out: Edge[] = [];
  const byKey = new Map<string, Edge>();
  for (const [e, names] of members) {
    if (names === undefined) {
      out.push(e);
      continue;
    }
    const fresh = emptyGroup(e, names, by);
    const k = groupKey(fresh);
    let g = byKey.get(k);
    if (g === undefined) {
      g = fresh;
      byKey.set(k, g);
      out.push(g);
    }
    addCounters(g, e);
  }
  return out;
}

/**
 * The edges of a view, at once. groupBy pod returns the (ips-filtered) edges themselves; the
 * other views return new edges, one per group pair, pktType, proto and port, with their
 * counters summed and the widest firstSeen..lastSeen. Messages (type other than normal) pass
 * through as they are. Input edges are not changed.
 */
export function groupEdges(
  edges: Iterable<Edge>,
  params: TraceParameters,
  state: ClusterState,
): Edge[] {
  const keep = ipFilter(params.ips);
  const members: Member[] = [];
  for (const e of edges) if (keep(e)) members.push(member(e, params.groupBy, state));
  return sumGroups(members, params.groupBy);
}

/**
 * The same view, fed one unique edge at a time (the operator's EdgeView). An edge's group names
 * are fixed when it is added, from the cluster as it was then, so a group's key does not move
 * under the log stream. Counters are summed when edges() is called, from the edges as they are
 * then: the operator updates an added edge's cumulative counters in place.
 */
export class GroupView implements EdgeView {
  private members: Member[] = [];
  private readonly keys = new Set<string>();
  private readonly keep: (e: Edge) => boolean;

  constructor(
    private readonly params: TraceParameters,
    private readonly state: ClusterState,
  ) {
    this.keep = ipFilter(params.ips);
  }

  /** What to log: the edge itself (groupBy pod, messages), a new group's first edge, or nothing. */
  add(edge: Edge): Edge | undefined {
    if (!this.keep(edge)) return undefined;
    const m = member(edge, this.params.groupBy, this.state);
    this.members.push(m);
    const names = m[1];
    if (names === undefined) return edge;
    const g = emptyGroup(edge, names, this.params.groupBy);
    const k = groupKey(g);
    if (this.keys.has(k)) return undefined;
    this.keys.add(k);
    addCounters(g, edge);
    return g;
  }

  /** Nothing to do: edges() reads the counters the operator updated in place. */
  update(): void {}

  remove(edges: ReadonlySet<Edge>): void {
    this.members = this.members.filter((m) => !edges.has(m[0]));
  }

  edges(): Edge[] {
    return sumGroups(this.members, this.params.groupBy);
  }
}
