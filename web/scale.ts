// What colour and width say: an edge's bytes in the window (Pixie's thresholds), an
// entity's kind.

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

/**
 * Past this many edges a picture of them is a mat: only this many, the heaviest, are drawn
 * by the scales above; the others faint and thin (never left out). Measured on the opening
 * of `bench/graph-page.ts`'s trace (50 namespaces, 2,039 summed edges, 1400x900): 100 strong
 * edges can be followed end to end; at 200 they cross too often to, 300 are a mat.
 */
export const EDGE_BUDGET = 100;
/** A faint edge: its colour at this opacity, this wide (sigma's thinnest): a haze under the strong. */
export const FAINT_ALPHA = 0.08;
export const FAINT_WIDTH = 1;

/** Which edges are drawn strong, and how many of the others faint or inside a node. */
export interface EdgeSplit {
  strong: Set<string>;
  faint: number;
  /** Traffic inside one node (source = target): in its label, not a line, so in no budget. */
  inside: number;
}

/**
 * The `budget` heaviest edges by bytes in the window are strong, the rest faint; at or
 * under the budget all are strong. Ties at the cut go by id, so the count is the budget
 * and the same edges stay strong from one draw to the next. An edge of no bytes is never
 * strong in a split: it is not a flow to see.
 */
export function splitEdges(
  edges: readonly { id: string; source: string; target: string; bytesTotal: number }[],
  budget: number = EDGE_BUDGET,
): EdgeSplit {
  const lines = edges.filter((e) => e.source !== e.target);
  const inside = edges.length - lines.length;
  if (lines.length <= budget) return { strong: new Set(lines.map((e) => e.id)), faint: 0, inside };
  const heavy = lines
    .filter((e) => e.bytesTotal > 0)
    .sort((a, b) => b.bytesTotal - a.bytesTotal || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .slice(0, budget);
  return { strong: new Set(heavy.map((e) => e.id)), faint: lines.length - heavy.length, inside };
}

/**
 * The status line's words for `total` edges split so: "2,039 edges: the 300 heaviest drawn
 * strong, 1,689 lighter faint, 50 inside a node"; just "120 edges" when all are strong.
 */
export function edgesNote(total: number, split: EdgeSplit): string {
  const n = (x: number) => x.toLocaleString('en');
  if (split.faint === 0) return `${n(total)} edges`;
  const inside = split.inside > 0 ? `, ${n(split.inside)} inside a node` : '';
  return `${n(total)} edges: the ${n(split.strong.size)} heaviest drawn strong, ${n(split.faint)} lighter faint${inside}`;
}
