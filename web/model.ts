// The page's pure logic: the API's graph types, namespaces collapsed into one node,
// the two layouts (namespace islands and hierarchical, requester left of responder),
// edge width and colour by bytes, the Graphviz DOT export, and the URL's state.

import type { Entity, Graph, GraphEdge } from '../api/graph.js';

export type { Entity, Graph, GraphEdge };

/** What the page shows, all kept in the URL so a view can be shared. */
export interface ViewState {
  trace: string;
  start: string;
  groupBy: string;
  ips: string;
  services: string;
  namespaces: string;
  minBytes: string;
  /** Namespaces drawn as one node, comma-separated. */
  collapsed: string;
  layout: 'islands' | 'hierarchy';
  /** The entity whose view is open. */
  entity: string;
  live: boolean;
}

export const DEFAULT_STATE: ViewState = {
  trace: '',
  start: '-5m',
  groupBy: 'pod',
  ips: '',
  services: 'show',
  namespaces: '',
  minBytes: '0',
  collapsed: '',
  layout: 'islands',
  entity: '',
  live: true,
};

export function stateFromURL(search: string): ViewState {
  const q = new URLSearchParams(search);
  const s = { ...DEFAULT_STATE };
  for (const k of Object.keys(DEFAULT_STATE) as (keyof ViewState)[]) {
    const v = q.get(k);
    if (v === null) continue;
    if (k === 'live') s.live = v !== 'false';
    else if (k === 'layout') s.layout = v === 'hierarchy' ? 'hierarchy' : 'islands';
    else s[k] = v;
  }
  return s;
}

/** Only what differs from the defaults, so shared URLs stay short. */
export function stateToURL(s: ViewState): string {
  const q = new URLSearchParams();
  for (const k of Object.keys(DEFAULT_STATE) as (keyof ViewState)[])
    if (s[k] !== DEFAULT_STATE[k]) q.set(k, String(s[k]));
  const text = q.toString();
  return text ? `?${text}` : '';
}

/** The API's query for a state (the graph, series and stream endpoints take the same). */
export function apiQuery(s: ViewState): string {
  const q = new URLSearchParams({ start: s.start, groupBy: s.groupBy, services: s.services });
  if (s.ips) q.set('ips', s.ips);
  if (s.namespaces) q.set('namespaces', s.namespaces);
  if (s.minBytes && s.minBytes !== '0') q.set('minBytes', s.minBytes);
  return q.toString();
}

export const list = (text: string): string[] =>
  text
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);

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
 * in rows, biggest first. Linear time, so thousands of entities are placed at once.
 */
export function islandLayout(entities: readonly Entity[]): {
  positions: Map<string, Point>;
  islands: Island[];
} {
  const groups = new Map<string, Entity[]>();
  for (const e of entities) {
    const list = groups.get(e.namespace) ?? [];
    list.push(e);
    groups.set(e.namespace, list);
  }
  const sorted = [...groups].sort((a, b) => b[1].length - a[1].length || a[0].localeCompare(b[0]));
  const radius = (n: number) => SPACING * (Math.sqrt(n) + 1.5);
  const total = sorted.reduce((n, [, l]) => n + (2 * radius(l.length)) ** 2, 0);
  const rowWidth = Math.max(Math.sqrt(total) * 1.2, 2 * radius(sorted[0]?.[1].length ?? 1));
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

/** Pixie's edge thresholds, in bytes over the window: below medium, medium, high. */
export interface Thresholds {
  medium: number;
  high: number;
}
export const THRESHOLDS: Thresholds = { medium: 100 * 1024, high: 10 * 1024 * 1024 };
export const EDGE_COLORS = { low: '#8fa8c8', medium: '#f0a030', high: '#d03030' };

export function edgeColor(bytes: number, t: Thresholds = THRESHOLDS): string {
  return bytes >= t.high
    ? EDGE_COLORS.high
    : bytes >= t.medium
      ? EDGE_COLORS.medium
      : EDGE_COLORS.low;
}

/** 1 to 8 pixels, logarithmic in bytes. */
export const edgeWidth = (bytes: number): number => Math.min(8, 1 + Math.log10(1 + bytes) / 1.2);

export const KIND_COLORS: Record<string, string> = {
  pod: '#3b7dd8',
  service: '#2a9d6a',
  namespace: '#7a52c7',
  owner: '#c7529b',
  node: '#8a6d3b',
  external: '#777777',
};

const quote = (s: string) => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

/** Graphviz: entities clustered by namespace, edges labelled with bytes. */
export function toDot(g: Graph): string {
  const lines = ['digraph netgraph {', '  rankdir=LR;', '  node [shape=box, style=rounded];'];
  const byNs = new Map<string, Entity[]>();
  for (const e of g.entities) byNs.set(e.namespace, [...(byNs.get(e.namespace) ?? []), e]);
  let i = 0;
  for (const [ns, members] of byNs) {
    const indent = ns ? '    ' : '  ';
    if (ns) lines.push(`  subgraph cluster_${i++} {`, `    label=${quote(ns)};`);
    for (const m of members) lines.push(`${indent}${quote(m.id)} [kind=${quote(m.kind)}];`);
    if (ns) lines.push('  }');
  }
  for (const e of g.edges)
    lines.push(
      `  ${quote(e.source)} -> ${quote(e.target)} [label=${quote(formatBytes(e.bytesTotal))}, bytes_total=${e.bytesTotal}, bytes_sent=${e.bytesSent}, bytes_recv=${e.bytesReceived}, connections=${e.connections}];`,
    );
  lines.push('}');
  return `${lines.join('\n')}\n`;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = -1;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[u]}`;
}
