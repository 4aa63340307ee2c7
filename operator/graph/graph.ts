// The graph Pixie's net_flow_graph draws, from a trace's history: entities (pods,
// services, namespaces, owners, nodes, outside addresses) and edges oriented
// requester -> responder, with connections and bytes each way summed over a window.
//
// Each node's agent reports its pods' side of a connection: the client's OUTGOING
// edge and the server's HOST edge are the same connection seen from both ends, so
// they make one graph edge (counted from the client's side when both are there).
// A call through a Service is seen by the client as going to the Service and by
// the server as coming from the client; the server's side is matched to the Service
// whose selector picks the server pod, and drawn Service -> server (`services:
// show`) or folded into client -> server (`services: fold`).
import type { Edge } from '../../api/edge.js';
import type { Entity, Graph, GraphDiff, GraphEdge, ServiceMode } from '../../api/graph.js';
import type { GroupBy } from '../../api/trace.js';
import { selects } from '../enrich/cluster-state.js';
import type { EdgeRecord } from '../history/history.js';

export interface GraphQuery {
  groupBy: GroupBy;
  /** Only edges to these remote addresses (canonical text); empty: all. */
  ips: readonly string[];
  services: ServiceMode;
  /** Only edges with an end in one of these namespaces; empty: all. */
  namespaces: readonly string[];
  /** Only edges with at least this many bytes in the window. */
  minBytes: number;
  /** Only edges on these ports / of these protocols; empty: all. */
  ports: readonly number[];
  protocols: readonly string[];
}

/** By pod, services shown, no filter: every edge (the API's defaults). */
export const UNFILTERED: GraphQuery = {
  groupBy: 'pod',
  ips: [],
  services: 'show',
  namespaces: [],
  minBytes: 0,
  ports: [],
  protocols: [],
};

/** How a record counts in a graph edge: its counters, turned to the requester's side if `swap`. */
export interface Contribution {
  record: number;
  edge: number;
  swap: boolean;
}

/** Window totals of every record: [connections, sent, received] at 3*id (from the pod's side). */
export type Totals = Float64Array;

const podName = (ns: string | undefined, name: string | undefined) =>
  `${ns ?? ''}/pod/${name ?? ''}`;
const serviceName = (ns: string | undefined, name: string | undefined) =>
  `${ns ?? ''}/service/${name ?? ''}`;
const outsideName = (e: Edge) => e.remoteName || e.remoteOther || e.ip || '';

/** A record's local and remote names in a view; pod view names as group.ts would. */
function sides(r: EdgeRecord, by: GroupBy): { local: string; remote: string } {
  const g = by === 'pod' ? r.podView : r.groups[by];
  if (g !== undefined) return { local: g.group, remote: g.remoteGroup };
  const e = r.edge;
  const remote =
    e.remoteKind === 'svc'
      ? serviceName(e.remoteServiceNamespace, e.remoteServiceName)
      : e.remoteKind === 'pod'
        ? podName(e.remotePodNamespace, e.remotePodName)
        : outsideName(e);
  return { local: podName(e.namespace, e.pod), remote };
}

/** What an entity name in a view is, and its namespace. */
function describe(name: string, by: GroupBy, outside: boolean): Pick<Entity, 'kind' | 'namespace'> {
  if (outside) return { kind: name.startsWith('node/') ? 'node' : 'external', namespace: '' };
  if (by === 'namespace') return { kind: 'namespace', namespace: name };
  if (name.startsWith('node/')) return { kind: 'node', namespace: '' };
  const [ns = '', kind = ''] = name.split('/');
  return {
    kind: kind === 'pod' ? 'pod' : kind === 'service' ? 'service' : 'owner',
    namespace: ns,
  };
}

interface Role {
  record: EdgeRecord;
  requester: string;
  responder: string;
  requesterOutside: boolean;
  responderOutside: boolean;
  /** The pods' owners in the pod view ('' for none, or a Service). */
  requesterOwner: string;
  responderOwner: string;
  swap: boolean;
}

/** A pod's owner from a record's owner view, '' when the pod is its own group. */
const ownerOf = (owner: string, pod: string) => (owner === pod ? '' : owner);

/** Whether an edge's bytes in the window differ from the window before: new, gone, or 2x. */
const changed = (now: number, before: number) =>
  (now === 0) !== (before === 0) || now >= 2 * before || before >= 2 * now;

/**
 * The graph of `records` with the window's `totals`. Returns the contributions too, so
 * time series of an entity can be summed the same way (see series()). With `before` (the
 * totals of the window before), only edges that changed against it are kept.
 */
export function buildGraph(
  records: readonly EdgeRecord[],
  totals: Totals,
  q: GraphQuery,
  before?: Totals,
): { graph: Graph; contributions: Contribution[] } {
  const ips = new Set(q.ips);
  const ports = new Set(q.ports);
  const protocols = new Set(q.protocols);
  const kept = records.filter(
    (r) =>
      (ips.size === 0 || ips.has(r.edge.ip ?? '')) &&
      (ports.size === 0 || ports.has(r.edge.port ?? 0)) &&
      (protocols.size === 0 || protocols.has(r.edge.proto ?? '')),
  );

  // Client sides, by pod-level connection key and by client pod (for Service matching).
  const outgoing = new Set<string>();
  const toServices = new Map<string, EdgeRecord[]>();
  for (const r of kept) {
    const e = r.edge;
    if (e.pktType !== 'OUTGOING') continue;
    const s = sides(r, 'pod');
    outgoing.add(`${s.local}|${s.remote}|${e.proto}|${e.port}`);
    if (e.remoteKind === 'svc') {
      const list = toServices.get(s.local) ?? [];
      list.push(r);
      toServices.set(s.local, list);
    }
  }

  const roles: Role[] = [];
  const folded = new Set<EdgeRecord>();
  for (const r of kept) {
    const e = r.edge;
    const pod = sides(r, 'pod');
    const view = sides(r, q.groupBy);
    const remoteOutside = e.remoteKind !== 'pod' && e.remoteKind !== 'svc';
    const owners = r.groups.owner;
    const localOwner = q.groupBy === 'pod' ? ownerOf(owners.group, pod.local) : '';
    const remoteOwner =
      q.groupBy === 'pod' && e.remoteKind === 'pod' ? ownerOf(owners.remoteGroup, pod.remote) : '';
    if (e.pktType === 'OUTGOING') {
      roles.push({
        record: r,
        requester: view.local,
        responder: view.remote,
        requesterOutside: false,
        responderOutside: remoteOutside,
        requesterOwner: localOwner,
        responderOwner: remoteOwner,
        swap: false,
      });
      continue;
    }
    // The server's side: the same connection as a client's OUTGOING edge straight to this pod?
    if (outgoing.has(`${pod.remote}|${pod.local}|${e.proto}|${e.port}`)) continue;
    const via =
      e.remoteKind === 'pod'
        ? toServices
            .get(pod.remote)
            ?.find(
              (c) =>
                c.edge.proto === e.proto &&
                c.edge.remoteServiceLabelSelector !== undefined &&
                Object.keys(c.edge.remoteServiceLabelSelector).length > 0 &&
                selects(c.edge.remoteServiceLabelSelector, e.podLabels ?? {}),
            )
        : undefined;
    if (via !== undefined && q.services === 'fold') folded.add(via);
    roles.push({
      record: r,
      requester:
        via !== undefined && q.services === 'show' ? sides(via, q.groupBy).remote : view.remote,
      responder: view.local,
      requesterOutside: via === undefined && remoteOutside,
      responderOutside: false,
      requesterOwner: via !== undefined && q.services === 'show' ? '' : remoteOwner,
      responderOwner: localOwner,
      swap: true,
    });
  }

  const entities = new Map<string, Entity>();
  const entity = (id: string, outside: boolean, owner: string) => {
    let x = entities.get(id);
    if (x === undefined) {
      x = { id, ...describe(id, q.groupBy, outside), bytesSent: 0, bytesReceived: 0 };
      entities.set(id, x);
    }
    if (owner && x.owner === undefined) x.owner = owner;
    return x;
  };
  const edges = new Map<
    string,
    { edge: GraphEdge; index: number; ports: Set<string>; before: number }
  >();
  const contributions: Contribution[] = [];
  const namespaces = new Set(q.namespaces);
  for (const role of roles) {
    if (folded.has(role.record)) continue;
    const src = entity(role.requester, role.requesterOutside, role.requesterOwner);
    const dst = entity(role.responder, role.responderOutside, role.responderOwner);
    if (namespaces.size > 0 && !namespaces.has(src.namespace) && !namespaces.has(dst.namespace))
      continue;
    const id = `${role.requester}->${role.responder}`;
    let g = edges.get(id);
    if (g === undefined) {
      g = {
        edge: {
          id,
          source: role.requester,
          target: role.responder,
          connections: 0,
          bytesSent: 0,
          bytesReceived: 0,
          bytesTotal: 0,
          ports: [],
        },
        index: edges.size,
        ports: new Set(),
        before: 0,
      };
      edges.set(id, g);
    }
    const i = 3 * role.record.id;
    const sent = totals[i + 1] ?? 0;
    const recv = totals[i + 2] ?? 0;
    g.edge.connections += totals[i] ?? 0;
    g.edge.bytesSent += role.swap ? recv : sent;
    g.edge.bytesReceived += role.swap ? sent : recv;
    if (before) g.before += (before[i + 1] ?? 0) + (before[i + 2] ?? 0);
    g.ports.add(`${role.record.edge.proto}/${role.record.edge.port}`);
    contributions.push({ record: role.record.id, edge: g.index, swap: role.swap });
  }

  const out: GraphEdge[] = [];
  const keptEdges = new Map<number, number>();
  for (const { edge, index, ports, before: was } of edges.values()) {
    edge.bytesTotal = edge.bytesSent + edge.bytesReceived;
    if (edge.bytesTotal < q.minBytes) continue;
    if (before && !changed(edge.bytesTotal, was)) continue;
    edge.ports = [...ports].sort();
    keptEdges.set(index, out.length);
    out.push(edge);
    const src = entities.get(edge.source) as Entity;
    const dst = entities.get(edge.target) as Entity;
    src.bytesSent += edge.bytesSent;
    src.bytesReceived += edge.bytesReceived;
    dst.bytesSent += edge.bytesReceived;
    dst.bytesReceived += edge.bytesSent;
  }
  const used = new Set(out.flatMap((e) => [e.source, e.target]));
  return {
    graph: { entities: [...entities.values()].filter((x) => used.has(x.id)), edges: out },
    contributions: contributions
      .filter((c) => keptEdges.has(c.edge))
      .map((c) => ({ ...c, edge: keptEdges.get(c.edge) as number })),
  };
}

/** Which records count for an entity, and whether it sends (true) what its record side sends. */
export function entityParts(
  graph: Graph,
  contributions: readonly Contribution[],
  entity: string,
): Map<number, boolean> {
  const parts = new Map<number, boolean>();
  for (const c of contributions) {
    const e = graph.edges[c.edge];
    if (e === undefined) continue;
    // The requester sends what the record's side sent (unless swapped); the responder the rest.
    if (e.source === entity) parts.set(c.record, !c.swap);
    else if (e.target === entity) parts.set(c.record, c.swap);
  }
  return parts;
}

/** What changed from one graph to the next: new or changed entities and edges, and ids gone. */
export function diff(before: Graph, after: Graph): GraphDiff {
  const oldEdges = new Map(before.edges.map((e) => [e.id, e]));
  const oldEntities = new Map(before.entities.map((e) => [e.id, e]));
  const edgeIds = new Set(after.edges.map((e) => e.id));
  const entityIds = new Set(after.entities.map((e) => e.id));
  return {
    entities: after.entities.filter((e) => {
      const o = oldEntities.get(e.id);
      return o === undefined || o.bytesSent !== e.bytesSent || o.bytesReceived !== e.bytesReceived;
    }),
    edges: after.edges.filter((e) => {
      const o = oldEdges.get(e.id);
      return o === undefined || o.bytesTotal !== e.bytesTotal || o.connections !== e.connections;
    }),
    removedEdges: before.edges.filter((e) => !edgeIds.has(e.id)).map((e) => e.id),
    removedEntities: before.entities.filter((e) => !entityIds.has(e.id)).map((e) => e.id),
  };
}
