// The live stream's update applied to the graph the page holds.
import type { Graph, GraphDiff } from '../api/graph.js';

/** `g` with what went removed and what appeared or changed put in (replacing by id). */
export function applyUpdate(g: Graph, u: GraphDiff): Graph {
  const entities = new Map(g.entities.map((e) => [e.id, e]));
  const edges = new Map(g.edges.map((e) => [e.id, e]));
  for (const id of u.removedEdges) edges.delete(id);
  for (const id of u.removedEntities) entities.delete(id);
  for (const e of u.entities) entities.set(e.id, e);
  for (const e of u.edges) edges.set(e.id, e);
  return { entities: [...entities.values()], edges: [...edges.values()] };
}
