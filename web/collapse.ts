// Namespaces drawn as one node each, their edges summed.
import type { Entity, Graph, GraphEdge } from '../api/graph.js';

/** The graph with every entity of a collapsed namespace drawn as the namespace, edges summed. */
export function collapse(g: Graph, namespaces: ReadonlySet<string>): Graph {
  if (namespaces.size === 0) return g;
  const to = (id: string, ns: string) => (namespaces.has(ns) ? `namespace/${ns}` : id);
  const byId = new Map(g.entities.map((e) => [e.id, e]));
  const entities = new Map<string, Entity>();
  for (const e of g.entities) {
    const id = to(e.id, e.namespace);
    const x = entities.get(id);
    if (x === undefined)
      entities.set(
        id,
        id === e.id ? e : { ...e, id, kind: 'namespace', bytesSent: 0, bytesReceived: 0 },
      );
  }
  const edges = new Map<string, GraphEdge>();
  for (const e of g.edges) {
    const source = to(e.source, byId.get(e.source)?.namespace ?? '');
    const target = to(e.target, byId.get(e.target)?.namespace ?? '');
    const id = `${source}->${target}`;
    const x = edges.get(id);
    if (x === undefined) {
      edges.set(id, { ...e, id, source, target, ports: [...e.ports] });
      continue;
    }
    x.connections += e.connections;
    x.bytesSent += e.bytesSent;
    x.bytesReceived += e.bytesReceived;
    x.bytesTotal += e.bytesTotal;
    for (const p of e.ports) if (!x.ports.includes(p)) x.ports.push(p);
  }
  for (const e of edges.values()) {
    // A collapsed namespace's totals are those of the edges it is now an end of.
    const s = e.source.startsWith('namespace/') ? entities.get(e.source) : undefined;
    if (s) {
      s.bytesSent += e.bytesSent;
      s.bytesReceived += e.bytesReceived;
    }
    const t = e.target.startsWith('namespace/') ? entities.get(e.target) : undefined;
    if (t) {
      t.bytesSent += e.bytesReceived;
      t.bytesReceived += e.bytesSent;
    }
  }
  return { entities: [...entities.values()], edges: [...edges.values()] };
}
