// The part of a trace's windows before the operator's memory, from Prometheus
// (--prometheus-url): netgraph's workload-level counters of the trace, sampled by range
// queries (each series' last value every few bins) and turned into bins (workload-bins.ts).
// What lies before the memory no longer changes, so each span is asked for once and kept
// for the later windows of the trace (a live stream's window slides over it); only a span
// not held yet is asked for. Failures come back as a warning for the answer, never as an
// exception.
import { EDGE_BYTES, EDGE_CONNECTIONS } from '../../api/metrics.js';
import type { Logger } from '../../lib/log.js';
import { BIN_MS, type BinVisitor, binOf } from './bin-log.js';
import type { EdgeRecord } from './history.js';
import type { MatrixSeries, PrometheusSource } from './prometheus-source.js';
import { type CounterFamily, WorkloadBins } from './workload-bins.js';
import { type WorkloadIndex, workloadRecords } from './workload-records.js';

/** How far back a window may reach with Prometheus (the memory's own window may be longer). */
export const PROMETHEUS_REACH_MS = 24 * 3_600_000;
/** How far back a book's first sample looks for the series already there. */
const BASE_LOOKBACK = '1h';
/** Samples a query asks for at most: Prometheus refuses more than 11,000 a series. */
const MAX_STEPS = 10_000;
/**
 * Samples a span is first read with at most: the answer and the bins kept grow with them
 * (bench/prometheus-history.ts). An hour is read a sample a minute, fifteen minutes every
 * 20 s; Prometheus's own scrape interval is often as coarse.
 */
const MAX_SAMPLES = 60;

/** Every how many bins a span is first sampled, and the bin its samples start at (ending at `end`). */
export function sampling(from: number, end: number): { step: number; first: number } {
  const step = Math.max(1, Math.ceil((end - from) / MAX_SAMPLES));
  return { step, first: end - step * Math.ceil((end - from) / step) };
}

/** Traces whose part is kept (the least recently read goes first). */
const MAX_TRACES = 32;
/** After a failed query, the next waits this long (a down Prometheus is not asked every second). */
const RETRY_MS = 30_000;

/** The trace's held part: records numbered from a given id, and their bins. */
export interface EarlyPart {
  records: EdgeRecord[];
  /** Visits the growth of bins `from` to `to` (inclusive), edges by record id. */
  each(fromBin: number, toBin: number, visit: BinVisitor): void;
}

/** What of a trace the graph reads: its records, and their bins by time (ms). */
export interface BinnedRecords {
  records: readonly EdgeRecord[];
  each(fromMs: number, toMs: number, visit: BinVisitor): void;
}

/** Agents' clocks may run a little behind the operator's (an edge's firstSeen is theirs). */
const CLOCK_SLACK_MS = 10_000;

/**
 * The first bin the memory holds whole, and whether the trace ran before it: when the
 * memory dropped older bins (past `windowMs`), or began after the trace did (the operator
 * restarted: its agents saw edges before). The bin the memory began in holds only what came
 * after; a trace that started there has nothing before.
 */
export function memoryStart(
  v: { startedAt: number; end: number; records: readonly EdgeRecord[] },
  windowMs: number,
): { bin: number; ranBefore: boolean } {
  if (v.end - windowMs > v.startedAt) return { bin: binOf(v.end - windowMs) + 1, ranBefore: true };
  const seenBefore = v.startedAt - CLOCK_SLACK_MS;
  const ranBefore = v.records.some((r) => Date.parse(r.edge.firstSeen ?? '') < seenBefore);
  return { bin: binOf(v.startedAt) + (ranBefore ? 1 : 0), ranBefore };
}

/**
 * `view` with the part before bin `memory` from Prometheus: its records after the view's
 * (the part numbered from view.records.length), the view's bins from `memory` on and the
 * part's before it.
 */
export function withEarlyPart<V extends BinnedRecords>(
  view: V,
  part: EarlyPart,
  memory: number,
): V {
  return {
    ...view,
    records: [...view.records, ...part.records],
    each(fromMs: number, toMs: number, visit: BinVisitor) {
      if (toMs >= memory * BIN_MS) view.each(Math.max(fromMs, memory * BIN_MS), toMs, visit);
      const last = Math.min(binOf(toMs), memory - 1);
      if (binOf(fromMs) <= last) part.each(binOf(fromMs), last, visit);
    },
  };
}

interface Held {
  book: WorkloadBins;
  /** The first bin held. */
  first: number;
  /** The last load, which the next one waits for. */
  loading: Promise<string | undefined>;
  /** The book's edges as records numbered from 0, made once for as many edges (they only grow). */
  records?: EdgeRecord[];
}

/** A PromQL string literal of a label value. */
const quoted = (s: string) => JSON.stringify(s);

export class PrometheusHistory {
  private readonly held = new Map<string, Held>();
  private failed?: { at: number; warning: string };

  constructor(
    private readonly source: PrometheusSource,
    /** The cluster's workloads now, to name remote workloads and match Services. */
    private readonly workloads: () => WorkloadIndex,
    private readonly log: Logger,
  ) {}

  /**
   * Makes sure the trace's bins `fromBin` up to `endBin` (exclusive) are held; the answer's
   * warning when Prometheus did not give them.
   */
  load(trace: string, fromBin: number, endBin: number): Promise<string | undefined> {
    if (this.failed && Date.now() - this.failed.at < RETRY_MS)
      return Promise.resolve(this.failed.warning);
    let h = this.held.get(trace);
    if (h === undefined) {
      h = { book: new WorkloadBins(), first: fromBin, loading: Promise.resolve(undefined) };
      for (const old of this.held.keys()) {
        if (this.held.size < MAX_TRACES) break;
        this.held.delete(old);
      }
    } else this.held.delete(trace);
    // Last read, last to go.
    this.held.set(trace, h);
    const held = h;
    held.loading = held.loading.then(() => this.fill(trace, held, fromBin, endBin));
    return held.loading;
  }

  /** What is held of the trace, its records numbered from `firstId`. */
  part(trace: string, firstId: number): EarlyPart | undefined {
    const h = this.held.get(trace);
    if (h === undefined || h.book.end === undefined) return undefined;
    const edges = h.book.edges;
    if (h.records?.length !== edges.length) h.records = workloadRecords(edges, 0, this.workloads());
    const { book } = h;
    return {
      records: h.records.map((r) => ({ ...r, id: firstId + r.id })),
      each: (from, to, visit) =>
        book.each(from, to, (bin, edge, c, s, r) => visit(bin, firstId + edge, c, s, r)),
    };
  }

  private async fill(
    trace: string,
    h: Held,
    fromBin: number,
    endBin: number,
  ): Promise<string | undefined> {
    try {
      if (h.book.end === undefined || fromBin < h.first) {
        // New, or further back than held: the book starts again there (its first sample is
        // the base), sampled every few bins, its last sample at the memory's start.
        const end = Math.max(endBin, h.book.end ?? endBin);
        const { step, first } = sampling(fromBin, end);
        const book = new WorkloadBins();
        await this.add(trace, book, first, end, step);
        h.book = book;
        h.first = first;
        h.records = undefined;
      } else if (endBin > h.book.end) await this.add(trace, h.book, h.book.end, endBin, 1);
      this.failed = undefined;
      return undefined;
    } catch (err) {
      this.log.warn({ err, trace }, 'Prometheus range query failed');
      // A book never filled is started again by the next load.
      if (h.book.end === undefined) this.held.delete(trace);
      const warning = `the part before the operator's memory is missing: ${(err as Error).message}`;
      this.failed = { at: Date.now(), warning };
      return warning;
    }
  }

  /**
   * Reads bins `from`..`end` every `step` bins into the book. Each sample is the last value
   * of each of the trace's series in the step before it, so a series alive only between two
   * samples is not missed; a book's first sample looks back an hour, so a series that was
   * there already is its base, not new. A book is continued every bin, in pieces.
   */
  private async add(
    trace: string,
    book: WorkloadBins,
    from: number,
    end: number,
    step: number,
  ): Promise<void> {
    const ask = async (lookback: string, first: number, last: number, every: number) =>
      Promise.all(
        [
          ['bytes', EDGE_BYTES],
          ['connections', EDGE_CONNECTIONS],
        ].map(async ([family, name]) => {
          const query = `last_over_time(${name}{trace=${quoted(trace)}}[${lookback}])`;
          const matrix = await this.source.queryRange(
            query,
            first * BIN_MS,
            last * BIN_MS,
            every * BIN_MS,
          );
          return [family, matrix] as [CounterFamily, MatrixSeries[]];
        }),
      );
    const stepText = `${(step * BIN_MS) / 1000}s`;
    if (book.end === undefined) {
      const base = await ask(BASE_LOOKBACK, from, from, step);
      const rest = from < end ? await ask(stepText, from + step, end, step) : [];
      book.add(from, end, [...base, ...rest]);
      return;
    }
    for (let first = from; first < end; ) {
      const last = Math.min(end, first + MAX_STEPS);
      book.add(first, last, await ask(stepText, first + 1, last, 1));
      first = last;
    }
  }
}
