// The graph the operator's API serves (GET /api/v1/traces/{ns}/{name}/graph) and the
// graph page draws: entities and edges oriented requester -> responder over a window.
// One definition for both sides; the README documents the API.

export type EntityKind = 'pod' | 'service' | 'namespace' | 'node' | 'owner' | 'external';

export interface Entity {
  id: string;
  kind: EntityKind;
  /** The namespace it belongs to (its island on the page); '' for nodes and outside addresses. */
  namespace: string;
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
