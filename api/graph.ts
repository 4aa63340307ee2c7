// The graph page's contract with the operator's read-only API (/api/v1/, see the README's
// API table): the trace list, the graph of a window, the live stream's frames, an entity's
// series, and the query parameters they take. The operator serves these and the page
// (web/) reads them; both import them from here.
import type { Edge } from './edge.js';
import { LOCAL_SCOPE_PARAM } from './ring.js';
import { DNS_LABEL, DNS_SUBDOMAIN, type GroupBy, type TraceParameters } from './trace.js';

export type EntityKind = 'pod' | 'service' | 'namespace' | 'node' | 'owner' | 'external';

export interface Entity {
  id: string;
  kind: EntityKind;
  /** The namespace it belongs to (its island on the page); '' for nodes and outside addresses. */
  namespace: string;
  /** A pod's owner in the pod view (`demo/deployment/web`), so the page can draw them as one. */
  owner?: string;
  /** Bytes it sent and received over the graph's edges. */
  bytesSent: number;
  bytesReceived: number;
}

export interface GraphEdge {
  /** `source->target`, unique in a graph. */
  id: string;
  /** The requester. */
  source: string;
  /** The responder. */
  target: string;
  connections: number;
  /** Requester -> responder. */
  bytesSent: number;
  /** Responder -> requester. */
  bytesReceived: number;
  bytesTotal: number;
  /** `tcp/80`, `udp/53`, ... */
  ports: string[];
}

export interface Graph {
  entities: Entity[];
  edges: GraphEdge[];
}

export type TraceRunState = 'Started' | 'Stopped';

/**
 * Which operator replicas an answer is made of (api/ring.ts): each replica holds its own
 * nodes' edges, and the one asked gathers the others' part. One replica: just itself.
 */
export interface Coverage {
  /** The replicas whose nodes are in the answer, the one asked first. */
  answered: string[];
  /** Peers that did not answer in time (2 s): their nodes' edges are missing. */
  missing: string[];
  /** Set when a peer is missing. */
  partial?: true;
}

/** GET /api/v1/traces */
export interface TraceSummary {
  /** `<namespace>/<name>` */
  trace: string;
  namespace: string;
  name: string;
  state: TraceRunState;
  startedAt: string;
  stoppedAt?: string;
  edges: number;
  parameters: TraceParameters;
  historySeconds: number;
}
export interface TraceList extends Coverage {
  traces: TraceSummary[];
}

export const SERVICE_MODES = ['show', 'fold'] as const;
/** A call through a Service: the Service drawn between client and server, or folded. */
export type ServiceMode = (typeof SERVICE_MODES)[number];
export const PROTOCOLS = ['tcp', 'udp'] as const;

/** GET /api/v1/traces/{ns}/{name}/graph: the graph of the window `from`..`to`. */
export interface GraphAnswer extends Graph, Coverage {
  trace: string;
  state: TraceRunState;
  /** The window, RFC 3339. */
  from: string;
  to: string;
  groupBy: GroupBy;
  services: ServiceMode;
  sources: WindowSources;
}

/**
 * Where a window's numbers come from: the operator's memory (10-second bins, each pod's
 * edges) from `memoryFrom` on; before it, with `--prometheus-url`, Prometheus's range
 * queries over netgraph's own series (workload-level edges, as often as Prometheus scraped).
 */
export interface WindowSources {
  /** RFC 3339: from here to the window's end, the operator's memory. */
  memoryFrom: string;
  /** The span (RFC 3339) read from Prometheus, when the window (or `changed`'s) starts earlier. */
  prometheus?: { from: string; to: string };
  /** What is missing and why: no Prometheus configured, or it did not answer. */
  warning?: string;
}

/** The stream's events: `graph` (a GraphAnswer) first, then `update`s. */
export const STREAM_EVENTS = { graph: 'graph', update: 'update' } as const;

/** What appeared or changed (whole, as in a graph) and the ids of what went. */
export interface GraphDiff {
  entities: Entity[];
  edges: GraphEdge[];
  removedEntities: string[];
  removedEdges: string[];
}
/** The stream's `update` frame (with the replicas its graph is made of). */
export interface GraphUpdate extends GraphDiff, Coverage {
  state: TraceRunState;
  to: string;
}

/** GET /api/v1/traces/{ns}/{name}/series: an entity's bytes per bin, from its own side. */
export interface SeriesAnswer extends Coverage {
  trace: string;
  entity: string;
  known: boolean;
  binSeconds: number;
  /** Unix seconds of each bin's start. */
  times: number[];
  sent: number[];
  received: number[];
  sources: WindowSources;
}

/** A pod-view edge's group names in the other views, as the replica that saw it named them. */
export type PartGroups = Record<Exclude<GroupBy, 'pod'>, { group: string; remoteGroup: string }>;

/**
 * GET /api/v1/traces/{ns}/{name}/part?scope=local&after=N&epoch=STARTED: one replica's own
 * part of a trace for a peer to merge (the graph is made from every node's edges at once: a
 * connection's two ends may be on nodes of different replicas). Its edges as first seen,
 * from the `after`-th on when `epoch` is still its startedAt (edges are only ever added),
 * and what each added in the 10-second bins of the window the graph parameters say.
 */
export interface TracePart {
  trace: string;
  state: TraceRunState;
  /** Unix ms; a trace started afresh has a new one (and its edges begin again at 0). */
  startedAt: number;
  stoppedAt?: number;
  parameters: TraceParameters;
  /** The index of records[0] among the replica's edges of the trace. */
  after: number;
  records: { edge: Edge; groups: PartGroups }[];
  /**
   * Flat: bin, edge index, connections, bytes sent, bytes received; repeated. With
   * `bins=window`, an edge's sum over the window in one entry at the window's middle bin
   * (and its sum over the window before, for `changed`, at that one's middle bin).
   */
  bins: number[];
}
/**
 * The part's own parameters, beside the graph's: how many of its edges the asker holds and
 * of which start, and which bins it wants (PART_BINS).
 */
export const PART_PARAMS = { after: 'after', epoch: 'epoch', bins: 'bins' } as const;
/**
 * `each` bin of the window (a series needs them), one sum an edge for the `window` (all a
 * graph needs, some 30 times less for 5 minutes), or `none` (the edges alone).
 */
export const PART_BINS = ['each', 'window', 'none'] as const;
export type PartBins = (typeof PART_BINS)[number];

/** Any 4xx/5xx: `parameter` names the query parameter at fault on a 400. */
export interface ApiError {
  error: string;
  parameter?: string;
}

/**
 * The query parameters of graph, series and stream, each with what it means (the names
 * are the keys; operator/graph/params.ts checks each). Lists are comma-separated.
 */
export const GRAPH_PARAMS = {
  start: 'how far back the window starts from its end: -30s, -5m, -1h (default -5m)',
  from: "the window's start as an RFC 3339 time, instead of start",
  to: "the window's end as an RFC 3339 time (default now, or when the trace stopped)",
  groupBy: 'pod, service, namespace, owner or node (default pod)',
  ips: 'only edges to these remote addresses',
  services: 'show the Service between client and server, or fold it (default show)',
  namespaces: 'only edges with an end in these namespaces',
  minBytes: 'only edges with at least this many bytes in the window',
  ports: 'only edges on these ports',
  protocols: 'only edges of these protocols (tcp, udp)',
  changed: 'true: only edges new, gone, or moved 2x or more against the window before',
  entity: 'the entity of a series',
  [LOCAL_SCOPE_PARAM]:
    "local: only this replica's own nodes, not its peers' (what replicas ask each other)",
} as const;
export type GraphParamName = keyof typeof GRAPH_PARAMS;
/** A query as text, by parameter name: what the page builds and the operator parses. */
export type GraphQueryText = Partial<Record<GraphParamName, string>>;

export const API_ROOT = 'api/v1';
/** The path of a trace's endpoint, relative to the page (no leading slash). */
export const traceApiPath = (
  trace: string,
  endpoint: 'graph' | 'series' | 'stream' | 'part',
  query: GraphQueryText,
): string => {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '') q.set(k, v);
  const text = q.toString();
  return `${API_ROOT}/traces/${trace.split('/').map(encodeURIComponent).join('/')}/${endpoint}${text ? `?${text}` : ''}`;
};

/** What the API serves of one Trace, at /api/v1/traces/{ns}/{name}/{endpoint}. */
export const TRACE_ENDPOINTS = [
  'graph',
  'series',
  'stream',
  'part',
  'edges',
  'node-edges',
] as const;
export type TraceEndpoint = (typeof TRACE_ENDPOINTS)[number];
/** A path of the API: the trace list, or what it serves of one Trace (its NetworkPolicies too). */
export type ApiPath =
  | { kind: 'list' }
  | {
      kind: TraceEndpoint | 'networkpolicies';
      namespace: string;
      name: string;
      /** `<namespace>/<name>` */
      trace: string;
    };

const NAMESPACE = new RegExp(DNS_LABEL);
const NAME = new RegExp(DNS_SUBDOMAIN);

/**
 * What a path of the API names, or undefined when it names nothing. The one reading of
 * these paths: the access guard asks it whose right a path needs and the handlers what
 * to serve, so a path cannot name one Trace to the guard and another to a handler.
 * Strict, segment by segment as sent: a namespace and name as Kubernetes allows them,
 * so never empty, `.`, `..` or percent-encoded (none needs encoding).
 */
export function parseApiPath(path: string): ApiPath | undefined {
  const root = `/${API_ROOT}/`;
  if (!path.startsWith(root)) return undefined;
  const [collection, namespace = '', name = '', endpoint, ...more] = path
    .slice(root.length)
    .split('/');
  if (path === `${root}traces`) return { kind: 'list' };
  if (!NAMESPACE.test(namespace) || !NAME.test(name) || more.length > 0) return undefined;
  if (collection === 'networkpolicies' && endpoint === undefined)
    return { kind: 'networkpolicies', namespace, name, trace: `${namespace}/${name}` };
  const kind = TRACE_ENDPOINTS.find((e) => e === endpoint);
  if (collection !== 'traces' || kind === undefined) return undefined;
  return { kind, namespace, name, trace: `${namespace}/${name}` };
}
