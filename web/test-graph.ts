// A small graph for the page's unit tests: two namespaces, a Service, an outside address.
import type { Entity, EntityKind, Graph, GraphEdge } from '../api/graph.js';

export const entity = (id: string, namespace: string, kind: EntityKind = 'pod'): Entity => ({
  id,
  kind,
  namespace,
  bytesSent: 0,
  bytesReceived: 0,
});

export const edge = (source: string, target: string, bytes: number, port = 80): GraphEdge => ({
  id: `${source}->${target}`,
  source,
  target,
  connections: 1,
  bytesSent: bytes,
  bytesReceived: 2 * bytes,
  bytesTotal: 3 * bytes,
  ports: [`tcp/${port}`],
});

export const small: Graph = {
  entities: [
    entity('demo/pod/client', 'demo'),
    entity('demo/service/server', 'demo', 'service'),
    entity('demo/pod/server', 'demo'),
    entity('ops/pod/backup', 'ops'),
    entity('1.1.1.1', '', 'external'),
  ],
  edges: [
    edge('demo/pod/client', 'demo/service/server', 10),
    edge('demo/service/server', 'demo/pod/server', 10),
    edge('ops/pod/backup', 'demo/service/server', 5),
    edge('demo/pod/server', '1.1.1.1', 1),
  ],
};
