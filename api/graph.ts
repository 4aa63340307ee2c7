// The graph page's contract with the operator's read-only API (/api/v1/, see the README's
// API table): the trace list, the graph of a window, the live stream's frames, an entity's
// series, and the query parameters they take. The operator serves these and the page
// (web/) reads them; both import them from here.
import type { GroupBy, TraceParameters } from './trace.js';

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
export interface TraceList {
  traces: TraceSummary[];
}

export const SERVICE_MODES = ['show', 'fold'] as const;
/** A call through a Service: the Service drawn between client and server, or folded. */
export type ServiceMode = (typeof SERVICE_MODES)[number];
export const PROTOCOLS = ['tcp', 'udp'] as const;

/** GET /api/v1/traces/{ns}/{name}/graph: the graph of the window `from`..`to`. */
export interface GraphAnswer extends Graph {
  trace: string;
  state: TraceRunState;
  /** The window, RFC 3339. */
  from: string;
  to: string;
  groupBy: GroupBy;
  services: ServiceMode;
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
/** The stream's `update` frame. */
export interface GraphUpdate extends GraphDiff {
  state: TraceRunState;
  to: string;
}

/** GET /api/v1/traces/{ns}/{name}/series: an entity's bytes per bin, from its own side. */
export interface SeriesAnswer {
  trace: string;
  entity: string;
  known: boolean;
  binSeconds: number;
  /** Unix seconds of each bin's start. */
  times: number[];
  sent: number[];
  received: number[];
}

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
} as const;
export type GraphParamName = keyof typeof GRAPH_PARAMS;
/** A query as text, by parameter name: what the page builds and the operator parses. */
export type GraphQueryText = Partial<Record<GraphParamName, string>>;

export const API_ROOT = 'api/v1';
/** The path of a trace's endpoint, relative to the page (no leading slash). */
export const traceApiPath = (
  trace: string,
  endpoint: 'graph' | 'series' | 'stream',
  query: GraphQueryText,
): string => {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '') q.set(k, v);
  const text = q.toString();
  return `${API_ROOT}/traces/${trace.split('/').map(encodeURIComponent).join('/')}/${endpoint}${text ? `?${text}` : ''}`;
};
