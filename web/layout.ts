// The two layouts: namespace islands, and hierarchical (requester left of responder).
import type { Entity, Graph } from '../api/graph.js';

export interface Point {
  x: number;
  y: number;
}

export interface Island {
  namespace: string;
  x: number;
  y: number;
  r: number;
}

const GOLDEN = Math.PI * (3 - Math.sqrt(5));
const SPACING = 10;

/**
 * Namespaces as islands: each namespace's entities on a sunflower spiral, islands packed
 * in rows by name. Linear time, so thousands of entities are placed at once.
 */
export function islandLayout(
  entities: readonly Entity[],
  /** The drawing's width over its height: rows are made about as wide. */
  aspect = 1,
): {
  positions: Map<string, Point>;
  islands: Island[];
} {
  const groups = new Map<string, Entity[]>();
  for (const e of entities) {
    const list = groups.get(e.namespace) ?? [];
    list.push(e);
    groups.set(e.namespace, list);
  }
  // By name, outside the cluster last: opening or closing a namespace keeps the order.
  const sorted = [...groups].sort((a, b) =>
    a[0] === '' ? 1 : b[0] === '' ? -1 : a[0].localeCompare(b[0], 'en', { numeric: true }),
  );
  const radius = (n: number) => SPACING * (Math.sqrt(n) + 1.5);
  const total = sorted.reduce((n, [, l]) => n + (2 * radius(l.length) + 2 * SPACING) ** 2, 0);
  const biggest = Math.max(1, ...sorted.map(([, l]) => l.length));
  const rowWidth = Math.max(Math.sqrt(total * aspect), 2 * radius(biggest));
  const positions = new Map<string, Point>();
  const islands: Island[] = [];
  let x = 0;
  let y = 0;
  let rowHeight = 0;
  for (const [namespace, members] of sorted) {
    const r = radius(members.length);
    if (x > 0 && x + 2 * r > rowWidth) {
      x = 0;
      y += rowHeight + SPACING * 2;
      rowHeight = 0;
    }
    const cx = x + r;
    const cy = y + r;
    members.sort(
      (a, b) =>
        b.bytesSent + b.bytesReceived - (a.bytesSent + a.bytesReceived) || a.id.localeCompare(b.id),
    );
    members.forEach((m, i) => {
      const d = SPACING * Math.sqrt(i + 0.5);
      positions.set(m.id, { x: cx + d * Math.cos(i * GOLDEN), y: cy + d * Math.sin(i * GOLDEN) });
    });
    islands.push({ namespace, x: cx, y: cy, r });
    x += 2 * r + SPACING * 2;
    rowHeight = Math.max(rowHeight, 2 * r);
  }
  return { positions, islands };
}

/**
 * Layers left to right: requesters that nobody calls first, each responder one layer
 * after the furthest requester found by breadth-first search (a cycle does not loop).
 */
export function hierarchyLayout(g: Graph): Map<string, Point> {
  const out = new Map<string, string[]>();
  const incoming = new Map<string, number>();
  for (const e of g.entities) {
    out.set(e.id, []);
    incoming.set(e.id, 0);
  }
  for (const e of g.edges) {
    if (e.source === e.target) continue;
    out.get(e.source)?.push(e.target);
    incoming.set(e.target, (incoming.get(e.target) ?? 0) + 1);
  }
  const rank = new Map<string, number>();
  const visit = (roots: string[]) => {
    let frontier = roots;
    for (const r of roots) rank.set(r, rank.get(r) ?? 0);
    while (frontier.length > 0) {
      const next: string[] = [];
      for (const id of frontier)
        for (const t of out.get(id) ?? [])
          if (!rank.has(t)) {
            rank.set(t, (rank.get(id) ?? 0) + 1);
            next.push(t);
          }
      frontier = next;
    }
  };
  visit(g.entities.filter((e) => incoming.get(e.id) === 0).map((e) => e.id));
  for (const e of g.entities) if (!rank.has(e.id)) visit([e.id]);
  const layers = new Map<number, Entity[]>();
  for (const e of g.entities) {
    const r = rank.get(e.id) ?? 0;
    const l = layers.get(r) ?? [];
    l.push(e);
    layers.set(r, l);
  }
  const positions = new Map<string, Point>();
  for (const [r, members] of layers) {
    members.sort((a, b) => a.namespace.localeCompare(b.namespace) || a.id.localeCompare(b.id));
    members.forEach((m, i) => {
      positions.set(m.id, { x: r * SPACING * 12, y: (i - members.length / 2) * SPACING });
    });
  }
  return positions;
}
