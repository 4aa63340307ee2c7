// What the operator's other parts (Prometheus metrics, the graph's history, policy
// advice) see of the traces: told of each enriched edge as it arrives, and of a
// trace's start and end, so none of them reaches into TraceRun or the controller.
import type { Edge } from '../../api/edge.js';
import type { TraceParameters, TraceSpec } from '../../api/trace.js';

export interface EdgeObserver {
  /** A trace started (or started afresh): counters of its edges begin at zero. */
  started?(trace: string, spec: TraceSpec, parameters: TraceParameters): void;
  /**
   * One node's edge of a trace, enriched, new or with grown counters (cumulative since
   * the trace started on that node). The same object comes again with its counters
   * updated in place: keep what you need, never the object itself. `seen`: the replica
   * that held the node before counted it up to these counters; count only what comes after.
   */
  edge(trace: string, node: string, edge: Edge, seen?: boolean): void;
  /**
   * An edge already told of took the name its pod looked up later (adopt-name.ts): its
   * remoteName, remoteNameSource and remoteCanonicalName changed in place. Told before
   * that update's edge(), so what the update counted goes under the name.
   */
  named?(trace: string, node: string, edge: Edge): void;
  /** The trace stopped on every node; 'deleted' when its Trace object is gone. */
  ended?(trace: string, how: 'stopped' | 'deleted'): void;
}
