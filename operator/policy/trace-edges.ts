// The unique edges of each trace that policy advice works from, kept after the
// trace stops (TraceRun drops its edges then) until the Trace is deleted or started
// afresh, with the last advice generated from them. Only the fields the generator reads are copied, and at most maxEdges a
// trace, so a busy trace cannot grow the operator without bound.
import { type Edge, edgeKey } from '../../api/edge.js';
import type { EdgeObserver } from '../edge-observer.js';

const KEPT = [
  'type',
  'namespace',
  'pod',
  'pktType',
  'proto',
  'ip',
  'port',
  'remoteKind',
  'podOwner',
  'podOwnerKind',
  'podLabels',
  'remoteServiceNamespace',
  'remoteServiceName',
  'remotePodNamespace',
  'remotePodName',
  'remotePodLabels',
  'remoteName',
] as const satisfies readonly (keyof Edge)[];

export const DEFAULT_MAX_EDGES = 20_000;

interface Kept {
  edges: Map<string, Edge>;
  /** Unique edges not kept because the bound was reached. */
  dropped: number;
  /** The YAML the last `generate` wrote, for the HTTP API. */
  advice?: string;
}

export class TraceEdges implements EdgeObserver {
  private readonly traces = new Map<string, Kept>();

  constructor(private readonly maxEdges = DEFAULT_MAX_EDGES) {}

  started(trace: string): void {
    this.traces.set(trace, { edges: new Map(), dropped: 0 });
  }

  edge(trace: string, _node: string, e: Edge): void {
    if (e.type !== 'normal') return;
    let t = this.traces.get(trace);
    if (!t) {
      t = { edges: new Map(), dropped: 0 };
      this.traces.set(trace, t);
    }
    const k = edgeKey(e);
    if (t.edges.has(k)) return;
    if (t.edges.size >= this.maxEdges) {
      t.dropped++;
      return;
    }
    const copy: Partial<Record<keyof Edge, unknown>> = {};
    for (const f of KEPT) if (e[f] !== undefined) copy[f] = e[f];
    t.edges.set(k, copy as unknown as Edge);
  }

  ended(trace: string, how: 'stopped' | 'deleted'): void {
    if (how === 'deleted') this.traces.delete(trace);
  }

  setAdvice(trace: string, yaml: string): void {
    const t = this.traces.get(trace);
    if (t) t.advice = yaml;
  }

  advice(trace: string): string | undefined {
    return this.traces.get(trace)?.advice;
  }

  /** The trace's unique edges, or undefined when none were seen since this operator started. */
  get(trace: string): { edges: readonly Edge[]; dropped: number } | undefined {
    const t = this.traces.get(trace);
    return t && { edges: [...t.edges.values()], dropped: t.dropped };
  }
}
