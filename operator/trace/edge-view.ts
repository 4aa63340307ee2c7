// What a trace shows of its edges: Pixie's `ips` filter and `groupBy`.
import type { Edge } from '../../api/edge.js';

export interface EdgeView {
  /** A new unique edge; returns the edge to log if the view shows something new. */
  add(edge: Edge): Edge | undefined;
  /** An edge already added got new counters. */
  update(edge: Edge): void;
  /** Edges added before that this replica no longer follows (their node was handed over). */
  remove(edges: ReadonlySet<Edge>): void;
  /** What status.output and status.edges show. */
  edges(): Edge[];
}
