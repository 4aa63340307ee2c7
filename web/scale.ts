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

/** Past this many edges, edges are drawn a quarter see-through, so crossings show. */
export const MANY_EDGES = 300;
/** Their opacity: enough that each keeps the colour the legend gives it. */
export const EDGE_ALPHA = 0.75;
