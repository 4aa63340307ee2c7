// How the replicas' parts of a read make one answer (pure). Each replica holds the edges
// of the nodes it owns; the one asked merges its own with its peers' (api/graph.ts's
// TracePart, the trace list, edge lists). An edge is one node's edge: the same one held
// by two replicas (the node changed owner while the trace ran) is one edge, its bins
// summed (each replica counted only what it received).
import { type Edge, edgeKey } from '../../api/edge.js';
import type { Coverage, PartBins, PartGroups, TracePart, TraceSummary } from '../../api/graph.js';
import type { TraceParameters } from '../../api/trace.js';
import { BIN_MS, type BinVisitor, binOf } from '../history/bin-log.js';
import type { EdgeRecord } from '../history/history.js';

/** One node's edge across replicas: its node and Inspektor Gadget's key. */
export const nodeEdgeKey = (e: Edge): string => `${e.node ?? ''}/${edgeKey(e)}`;

/** A trace's edges and bins as the graph API reads them: one replica's, or merged. */
export interface TraceView {
  key: string;
  parameters: TraceParameters;
  startedAt: number;
  stoppedAt?: number;
  /** Where its history ends: when it stopped, else now. */
  end: number;
  /** Each record's id is its index. */
  records: readonly EdgeRecord[];
  /** The deltas of the bins from `fromMs` to `toMs` (ms), by record id. */
  each(fromMs: number, toMs: number, visit: BinVisitor): void;
}

/**
 * The part a peer asked for: edges from `after` on (all when `epoch` is not its start), and
 * the deltas of the window `fromMs`..`toMs` and of the window before it from `beforeMs`
 * (for `changed`), in each bin or summed.
 */
export function partOf(
  v: TraceView,
  ask: {
    after: number;
    epoch?: number;
    fromMs: number;
    toMs: number;
    beforeMs?: number;
    bins: PartBins;
    /** Where this replica's memory begins: a window reaching before it is read bin by bin. */
    memoryFromMs: number;
  },
): TracePart {
  const after = ask.epoch === v.startedAt ? Math.min(ask.after, v.records.length) : 0;
  const bins: number[] = [];
  // Summed only over two bins or more: a sum sits in its window's middle bin, inside the
  // asker's window though the asker's clock and bins are a little off this replica's; and
  // only within the memory, where the asker joins Prometheus's part to it by bin.
  const summed =
    ask.toMs - ask.fromMs >= 2 * BIN_MS && (ask.beforeMs ?? ask.fromMs) >= ask.memoryFromMs;
  const mode = ask.bins === 'window' && !summed ? 'each' : ask.bins;
  if (mode === 'each') v.each(ask.beforeMs ?? ask.fromMs, ask.toMs, (...d) => bins.push(...d));
  if (mode === 'window') {
    sums(v, ask.fromMs, ask.toMs, bins);
    if (ask.beforeMs !== undefined) sums(v, ask.beforeMs, ask.fromMs, bins);
  }
  return {
    trace: v.key,
    state: v.stoppedAt === undefined ? 'Started' : 'Stopped',
    startedAt: v.startedAt,
    ...(v.stoppedAt === undefined ? {} : { stoppedAt: v.stoppedAt }),
    parameters: v.parameters,
    after,
    records: v.records.slice(after).map((r) => ({ edge: r.edge, groups: r.groups })),
    bins,
  };
}

/** Each edge's deltas over fromMs..toMs, summed as one entry in its middle bin. */
function sums(v: TraceView, fromMs: number, toMs: number, out: number[]): void {
  const cells = new Float64Array(3 * v.records.length);
  const touched: number[] = [];
  v.each(fromMs, toMs, (_bin, id, c, s, r) => {
    const i = 3 * id;
    if (cells[i] === 0 && cells[i + 1] === 0 && cells[i + 2] === 0) touched.push(id);
    cells[i] = (cells[i] ?? 0) + c;
    cells[i + 1] = (cells[i + 1] ?? 0) + s;
    cells[i + 2] = (cells[i + 2] ?? 0) + r;
  });
  const bin = binOf((fromMs + toMs) / 2);
  for (const id of touched)
    out.push(bin, id, cells[3 * id] ?? 0, cells[3 * id + 1] ?? 0, cells[3 * id + 2] ?? 0);
}

/**
 * A peer's part as a view. `records`: every edge of the part's start the asker holds,
 * the part's new ones already appended (appendPart).
 */
export function partView(
  part: TracePart,
  records: readonly { edge: Edge; groups: PartGroups }[],
  now: number,
): TraceView {
  const recs = records.map((r, id) => ({ id, edge: r.edge, groups: r.groups }));
  const { bins } = part;
  return {
    key: part.trace,
    parameters: part.parameters,
    startedAt: part.startedAt,
    ...(part.stoppedAt === undefined ? {} : { stoppedAt: part.stoppedAt }),
    end: part.stoppedAt ?? now,
    records: recs,
    each(fromMs, toMs, visit) {
      const lo = binOf(fromMs);
      const hi = binOf(toMs);
      for (let i = 0; i + 4 < bins.length; i += 5) {
        const bin = bins[i] as number;
        const id = bins[i + 1] as number;
        if (bin < lo || bin > hi || id >= recs.length) continue;
        visit(bin, id, bins[i + 2] as number, bins[i + 3] as number, bins[i + 4] as number);
      }
    },
  };
}

/**
 * The edges the asker holds of a peer's trace, with a part's added: its start unchanged, the
 * part's edges follow those held (or replace them when it began again at 0). Undefined when
 * the part does not fit (it skips edges the asker lacks): ask again from 0.
 */
export function appendPart<T>(
  held: { startedAt: number; records: T[] } | undefined,
  part: Pick<TracePart, 'startedAt' | 'after'> & { records: T[] },
): { startedAt: number; records: T[] } | undefined {
  if (part.after === 0) return { startedAt: part.startedAt, records: [...part.records] };
  if (held === undefined || held.startedAt !== part.startedAt || part.after > held.records.length)
    return undefined;
  return {
    startedAt: part.startedAt,
    records: [...held.records.slice(0, part.after), ...part.records],
  };
}

/** One view of several: every node's edge once, its bins from each replica that held it. */
export function mergeViews(views: readonly TraceView[]): TraceView | undefined {
  const [first] = views;
  if (views.length <= 1) return first;
  const records: EdgeRecord[] = [];
  const byKey = new Map<string, number>();
  const ids = views.map((v) =>
    Int32Array.from(v.records, (r) => {
      const k = nodeEdgeKey(r.edge);
      let id = byKey.get(k);
      if (id === undefined) {
        id = records.length;
        records.push({ id, edge: r.edge, groups: r.groups });
        byKey.set(k, id);
      }
      return id;
    }),
  );
  const running = views.some((v) => v.stoppedAt === undefined);
  return {
    key: first?.key ?? '',
    parameters: (first as TraceView).parameters,
    startedAt: Math.min(...views.map((v) => v.startedAt)),
    ...(running ? {} : { stoppedAt: Math.max(...views.map((v) => v.stoppedAt ?? 0)) }),
    end: Math.max(...views.map((v) => v.end)),
    records,
    each(fromMs, toMs, visit) {
      views.forEach((v, i) => {
        const map = ids[i] as Int32Array;
        v.each(fromMs, toMs, (bin, id, c, s, r) => visit(bin, map[id] ?? 0, c, s, r));
      });
    },
  };
}

/**
 * The trace lists of every replica as one: a trace held by any, running if it runs on
 * any, its edges summed (each replica's own nodes; an edge of a node that changed owner
 * while the trace ran counts on both).
 */
export function mergeLists(lists: readonly TraceSummary[][]): TraceSummary[] {
  const out = new Map<string, TraceSummary>();
  for (const list of lists)
    for (const t of list) {
      const had = out.get(t.trace);
      if (had === undefined) {
        out.set(t.trace, { ...t });
        continue;
      }
      had.edges += t.edges;
      if (Date.parse(t.startedAt) < Date.parse(had.startedAt)) had.startedAt = t.startedAt;
      if (t.state === 'Started' || had.state === 'Started') {
        had.state = 'Started';
        delete had.stoppedAt;
      } else if (Date.parse(t.stoppedAt ?? '') > Date.parse(had.stoppedAt ?? ''))
        had.stoppedAt = t.stoppedAt;
    }
  return [...out.values()];
}

/** Every node's edge once (the first replica's copy), as the edges come. */
export function uniqueNodeEdges(lists: Iterable<Iterable<Edge>>): Edge[] {
  const seen = new Map<string, Edge>();
  for (const list of lists)
    for (const e of list) {
      const k = nodeEdgeKey(e);
      if (!seen.has(k)) seen.set(k, e);
    }
  return [...seen.values()];
}

/** Who an answer is made of: this replica, the peers that answered, those that did not. */
export function coverage(self: string, answered: readonly string[], missing: readonly string[]) {
  const c: Coverage = { answered: [self, ...answered], missing: [...missing] };
  if (missing.length > 0) c.partial = true;
  return c;
}
