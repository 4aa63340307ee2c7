// The demo's client -> server edge as an agent reports it (pod to pod in `demo`), for
// unit tests of what reads edges: each test sets only the fields it is about.
import type { Edge } from '../api/edge.js';

export const demoEdge = (fields: Partial<Edge> = {}): Edge => ({
  type: 'normal',
  node: 'n1',
  namespace: 'demo',
  pod: 'client',
  pktType: 'OUTGOING',
  proto: 'tcp',
  ip: '10.0.0.2',
  port: 80,
  remoteKind: 'pod',
  remotePodNamespace: 'demo',
  remotePodName: 'server',
  connections: 1,
  ...fields,
});
