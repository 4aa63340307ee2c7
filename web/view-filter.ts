// What the user took out of the view: entities, owners or namespaces hidden, and
// everything further than n edges from the open entity.
import type { ShownGraph } from './groups.js';

/** The graph without the hidden: an entity whose id, owner or namespace is listed, and its edges. */
export function hide<G extends ShownGraph>(g: G, hidden: ReadonlySet<string>): G {
  if (hidden.size === 0) return g;
  const entities = g.entities.filter(
    (e) => !hidden.has(e.id) && !hidden.has(e.namespace) && !(e.owner && hidden.has(e.owner)),
  );
  const kept = new Set(entities.map((e) => e.id));
  const edges = g.edges.filter((e) => kept.has(e.source) && kept.has(e.target));
  return { ...g, entities, edges };
}

/** Only what is at most `hops` edges from `center` (either way), and the edges among it. */
export function neighbourhood<G extends ShownGraph>(g: G, center: string, hops: number): G {
  if (hops <= 0 || !g.entities.some((e) => e.id === center)) return g;
  const next = new Map<string, string[]>();
  for (const e of g.edges) {
    next.set(e.source, [...(next.get(e.source) ?? []), e.target]);
    next.set(e.target, [...(next.get(e.target) ?? []), e.source]);
  }
  const near = new Set([center]);
  let frontier = [center];
  for (let i = 0; i < hops && frontier.length > 0; i++) {
    const found: string[] = [];
    for (const id of frontier)
      for (const n of next.get(id) ?? [])
        if (!near.has(n)) {
          near.add(n);
          found.push(n);
        }
    frontier = found;
  }
  return {
    ...g,
    entities: g.entities.filter((e) => near.has(e.id)),
    edges: g.edges.filter((e) => near.has(e.source) && near.has(e.target)),
  };
}
