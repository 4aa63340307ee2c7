// What a trace shows of its edges: Pixie's `ips` filter and `groupBy`.
import type { Edge } from '../api/edge.js';
import type { TraceParameters } from '../api/trace.js';

export interface EdgeView {
  /** A new unique edge; returns the edge to log if the view shows something new. */
  add(edge: Edge): Edge | undefined;
  /** An edge already added got new counters. */
  update(edge: Edge): void;
  /** What status.output and status.edges show. */
  edges(): Edge[];
}

/** groupBy pod: the edges themselves, kept if their remote is in `ips` (when set). */
export class PodView implements EdgeView {
  private readonly shown: Edge[] = [];
  private readonly ips: Set<string>;

  constructor(parameters: TraceParameters) {
    this.ips = new Set(parameters.ips);
  }

  add(edge: Edge): Edge | undefined {
    if (edge.type === 'normal' && this.ips.size > 0 && !this.ips.has(edge.ip ?? ''))
      return undefined;
    this.shown.push(edge);
    return edge;
  }

  update(): void {}

  edges(): Edge[] {
    return this.shown;
  }
}
