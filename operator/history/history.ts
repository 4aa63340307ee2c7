// The operator's one store of a trace's edges, for the graph page and policy advice: an
// EdgeObserver that keeps each node's edge of a trace (enriched, as first seen, with the
// name its pod looked up later if any) and turns its cumulative counters into per-bin
// deltas (bin-log.ts) over a bounded window (default one hour), so the graph for any
// `start` inside the window can be answered and `generate` reads the trace's unique edges.
// Retention: a trace is held from its start until its Trace is deleted or it is started
// afresh; once stopped, its last state stays, but only the `keepStopped` most recently
// stopped traces are held (default 10): the graph page and policy advice lose the
// oldest together.
import type { Edge } from '../../api/edge.js';
import type { GroupBy, TraceParameters, TraceSpec } from '../../api/trace.js';
import type { GroupNames } from '../enrich/group.js';
import { adoptName } from '../trace/adopt-name.js';
import type { EdgeObserver } from '../trace/edge-observer.js';
import { BIN_MS, BinLog, type BinVisitor, binOf } from './bin-log.js';

export type GroupedBy = Exclude<GroupBy, 'pod'>;
export const GROUPED_BY: readonly GroupedBy[] = ['service', 'namespace', 'owner', 'node'];

/**
 * One node's edge of a trace, as first seen (enriched). Its counters stay those of that
 * moment: what it added since is in the bins. An edge named later gets a new record in
 * its place (same id, so its bins follow it).
 */
export interface EdgeRecord {
  /** Index in TraceHistory.records: the id bins are keyed by. */
  readonly id: number;
  readonly edge: Edge;
  /**
   * Its group names in each view other than pod, fixed when first seen (as GroupView does);
   * the remote's follows a name its pod looked up later.
   */
  readonly groups: Readonly<Record<GroupedBy, GroupNames>>;
  /** Its names in the pod view when it has no pod: a workload-level edge from Prometheus. */
  readonly podView?: GroupNames;
}

export interface TraceHistory {
  readonly key: string;
  readonly parameters: TraceParameters;
  readonly startedAt: number;
  stoppedAt?: number;
  readonly records: EdgeRecord[];
  readonly bins: BinLog;
  /** Grows with every change, so a live stream knows when to look again. */
  version: number;
}

export interface HistoryOptions {
  /** How far back bins are kept (ms, default one hour). */
  windowMs?: number;
  /** Stopped traces kept (default 10) for the page and policy advice; the oldest stopped goes first. */
  keepStopped?: number;
  /** The group names of an edge in a view (enrich/group.ts's groupNames over the cluster). */
  groupNames(edge: Edge, by: GroupedBy): GroupNames;
  now?: () => number;
}

interface Live {
  history: TraceHistory;
  byKey: Map<string, EdgeRecord>;
  /** The cumulative counters each record was last told of: [connections, sent, received] at 3*id. */
  last: Float64Array;
  /** Group names and their pairs repeat across edges (a namespace to another): one copy each. */
  names: Map<string, string>;
  pairs: Map<string, GroupNames>;
}

export class HistoryStore implements EdgeObserver {
  readonly windowMs: number;
  readonly keepStopped: number;
  private readonly now: () => number;
  private readonly traces = new Map<string, Live>();

  constructor(private readonly o: HistoryOptions) {
    this.windowMs = o.windowMs ?? 3_600_000;
    this.keepStopped = o.keepStopped ?? 10;
    this.now = o.now ?? Date.now;
  }

  started(trace: string, _spec: TraceSpec, parameters: TraceParameters): void {
    // Started afresh: counters begin at zero again, so the old bins would double count.
    this.traces.set(trace, {
      history: {
        key: trace,
        parameters,
        startedAt: this.now(),
        records: [],
        bins: new BinLog(Math.ceil(this.windowMs / BIN_MS)),
        version: 0,
      },
      byKey: new Map(),
      last: new Float64Array(3 * 1024),
      names: new Map(),
      pairs: new Map(),
    });
  }

  edge(trace: string, node: string, edge: Edge, seen = false): void {
    const t = this.traces.get(trace);
    if (t === undefined || t.history.stoppedAt !== undefined || edge.type !== 'normal') return;
    const h = t.history;
    const k = recordKey(node, edge);
    let rec = t.byKey.get(k);
    if (rec === undefined) {
      // A copy, never changed after: adding properties later (counters it lacked) would
      // make V8 give each copy a slow, several times larger layout.
      rec = { id: h.records.length, edge: { ...edge, node }, groups: this.groupsOf(t, edge) };
      h.records.push(rec);
      t.byKey.set(k, rec);
      if (3 * rec.id >= t.last.length) {
        const last = new Float64Array(2 * t.last.length);
        last.set(t.last);
        t.last = last;
      }
    }
    const i = 3 * rec.id;
    // Counted up to here by the replica that held the node before: its bins have it.
    if (seen) {
      t.last[i] = edge.connections ?? 0;
      t.last[i + 1] = edge.bytesSent ?? 0;
      t.last[i + 2] = edge.bytesReceived ?? 0;
    }
    const d = {
      connections: delta(edge.connections, t.last[i]),
      bytesSent: delta(edge.bytesSent, t.last[i + 1]),
      bytesReceived: delta(edge.bytesReceived, t.last[i + 2]),
    };
    t.last[i] = edge.connections ?? 0;
    t.last[i + 1] = edge.bytesSent ?? 0;
    t.last[i + 2] = edge.bytesReceived ?? 0;
    if (d.connections > 0 || d.bytesSent > 0 || d.bytesReceived > 0)
      h.bins.add(this.now(), rec.id, d);
    h.version++;
  }

  /**
   * The edge took the name its pod looked up later: its record is replaced by one named so
   * (the old one stays as it was for whoever holds it). Same id, so the bins it counted go
   * with the name: the page's outside entity moves from the address to the name, whole.
   * Its local side keeps the groups of its first sighting, as GroupView does.
   */
  named(trace: string, node: string, edge: Edge): void {
    const t = this.traces.get(trace);
    const k = recordKey(node, edge);
    const rec = t?.byKey.get(k);
    if (t === undefined || rec === undefined) return;
    const copy = { ...rec.edge };
    if (!adoptName(copy, edge)) return;
    const renamed = { ...rec, edge: copy, groups: this.groupsOf(t, copy, rec.groups) };
    t.history.records[rec.id] = renamed;
    t.byKey.set(k, renamed);
    t.history.version++;
  }

  ended(trace: string, how: 'stopped' | 'deleted'): void {
    if (how === 'deleted') {
      this.traces.delete(trace);
      return;
    }
    const t = this.traces.get(trace);
    if (t === undefined) return;
    t.history.stoppedAt = this.now();
    t.history.bins.close();
    t.history.version++;
    t.byKey.clear();
    t.last = new Float64Array(0);
    t.names.clear();
    t.pairs.clear();
    const stopped = [...this.traces.values()]
      .filter((x) => x.history.stoppedAt !== undefined)
      .sort((a, b) => (a.history.stoppedAt ?? 0) - (b.history.stoppedAt ?? 0));
    for (const x of stopped.slice(0, Math.max(0, stopped.length - this.keepStopped)))
      this.traces.delete(x.history.key);
  }

  /** Every trace held, running or stopped. */
  list(): TraceHistory[] {
    return [...this.traces.values()].map((t) => t.history);
  }

  get(trace: string): TraceHistory | undefined {
    return this.traces.get(trace)?.history;
  }

  /** The time a query's window ends: now, or when the trace stopped. */
  endOf(h: TraceHistory): number {
    return h.stoppedAt ?? this.now();
  }

  /** The oldest time bins are held for, ending at `end`. */
  oldest(end: number): number {
    return end - this.windowMs;
  }

  /** Visits the deltas of bins from `fromMs` to `toMs`; a running trace's bins move on first. */
  each(h: TraceHistory, fromMs: number, toMs: number, visit: BinVisitor): void {
    if (h.stoppedAt === undefined) h.bins.advance(binOf(this.now()));
    h.bins.each(binOf(fromMs), binOf(toMs), visit);
  }

  /** Its group names in each view; `local`: the local sides to keep (a renamed record's). */
  private groupsOf(
    t: Live,
    e: Edge,
    local?: Readonly<Record<GroupedBy, GroupNames>>,
  ): Record<GroupedBy, GroupNames> {
    const intern = (s: string) => {
      const known = t.names.get(s);
      if (known !== undefined) return known;
      t.names.set(s, s);
      return s;
    };
    const out = {} as Record<GroupedBy, GroupNames>;
    for (const by of GROUPED_BY) {
      const n = this.o.groupNames(e, by);
      const group = local?.[by].group ?? n.group;
      const k = `${group}\n${n.remoteGroup}`;
      let pair = t.pairs.get(k);
      if (pair === undefined) {
        pair = { group: intern(group), remoteGroup: intern(n.remoteGroup) };
        t.pairs.set(k, pair);
      }
      out[by] = pair;
    }
    return out;
  }
}

/** A node's edge's key in byKey. */
const recordKey = (node: string, e: Edge) =>
  `${node}/${e.namespace}/${e.pod}/${e.pktType}/${e.proto}/${e.ip}/${e.port}`;

/** What a cumulative counter grew by; a counter that went down started again from zero. */
function delta(now: number | undefined, before: number | undefined): number {
  const n = now ?? 0;
  const b = before ?? 0;
  return n >= b ? n - b : n;
}
