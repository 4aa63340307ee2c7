// netgraph's edge counters as a Prometheus holds them, turned into what each workload-level
// edge grew by in each 10-second bin (pure): the part of a graph's window before the
// operator's memory. Range queries sample each series (each replica's, each operator
// process's) at bin boundaries; a sample's growth over the series' one before belongs to
// the bin that ends at it, and the series of one workload-level edge are summed after.
//
// Counters are read as Prometheus's increase() reads them, without its extrapolation: a
// value lower than the one before is a counter that started again from zero (a series
// deleted and made again, an operator restarted on the same address). A series already
// there at the first sample of the book was counting before it: that value is where it
// starts. One that shows up later is new (an edge, or an operator that counts only what it
// saw): its first value is all growth.
import { WORKLOAD_EDGE_LABELS } from '../../api/metrics.js';
import { binOf } from './bin-log.js';
import type { MatrixSeries } from './prometheus-source.js';

export type WorkloadEdgeLabels = Record<(typeof WORKLOAD_EDGE_LABELS)[number], string>;

/** Which counter a matrix holds: connections, or bytes by their `direction` label. */
export type CounterFamily = 'connections' | 'bytes';

/** The counters' place in a bin's three numbers, as the history's: connections, sent, received. */
function counterIndex(family: CounterFamily, metric: Record<string, string>): number | undefined {
  if (family === 'connections') return 0;
  return metric.direction === 'sent' ? 1 : metric.direction === 'received' ? 2 : undefined;
}

/** A series' identity: all its labels (the replica's or process's target labels too). */
const seriesKey = (metric: Record<string, string>) =>
  Object.keys(metric)
    .sort()
    .map((k) => `${k}=${metric[k]}`)
    .join('\n');

export type WorkloadBinVisitor = (
  bin: number,
  edge: number,
  connections: number,
  sent: number,
  received: number,
) => void;

export class WorkloadBins {
  /** Each edge's labels, by index (the order first seen). */
  readonly edges: WorkloadEdgeLabels[] = [];
  private readonly byKey = new Map<string, number>();
  /** Per edge: the bins it grew in, increasing, and [connections, sent, received] at 3*i. */
  private readonly bins: number[][] = [];
  private readonly counts: number[][] = [];
  /** Each counter series' last value: where its next sample's growth starts. */
  private readonly last = new Map<string, number>();
  /** The first bin after those held (bins before it are final). */
  end: number | undefined;

  /**
   * Adds samples taken at the boundaries of bins `first` to `end` (exclusive): a range query
   * from first*BIN to end*BIN every BIN (in seconds in the matrix). The first add starts the
   * book; each later one continues where the one before ended (`first` is then `this.end`).
   */
  add(first: number, end: number, matrices: readonly [CounterFamily, MatrixSeries[]][]): void {
    const starts = this.end === undefined;
    if (!starts && first !== this.end)
      throw new Error(`bins ${first}.. do not continue the book (it ends at ${this.end})`);
    const grown = new Map<number, Map<number, [number, number, number]>>();
    for (const [family, matrix] of matrices)
      for (const series of matrix) {
        const at = counterIndex(family, series.metric);
        if (at === undefined || series.metric.remote_kind === 'overflow') continue;
        const edge = this.edgeOf(series.metric);
        const id = `${seriesKey(series.metric)}\n${at}`;
        let before = this.last.get(id);
        for (const [seconds, text] of series.values) {
          const boundary = binOf(Math.round(seconds * 1000));
          const v = Number(text);
          // A later add's first sample is the one before's last: seen already.
          const seen = boundary < first || (boundary === first && !starts);
          if (!Number.isFinite(v) || seen || boundary > end) continue;
          // A series there at the book's very first sample was counting before the book.
          const growth =
            before === undefined ? (boundary === first ? 0 : v) : v >= before ? v - before : v;
          before = v;
          if (growth <= 0) continue;
          let bins = grown.get(edge);
          if (bins === undefined) {
            bins = new Map();
            grown.set(edge, bins);
          }
          const bin = boundary - 1;
          let c = bins.get(bin);
          if (c === undefined) {
            c = [0, 0, 0];
            bins.set(bin, c);
          }
          c[at] = (c[at] ?? 0) + growth;
        }
        if (before !== undefined) this.last.set(id, before);
      }
    for (const [edge, bins] of grown) {
      const list = this.bins[edge] as number[];
      const counts = this.counts[edge] as number[];
      for (const bin of [...bins.keys()].sort((a, b) => a - b)) {
        const c = bins.get(bin) as [number, number, number];
        list.push(bin);
        counts.push(c[0], c[1], c[2]);
      }
    }
    this.end = end;
  }

  /** Visits each edge's growth in bins `from` to `to` (inclusive). */
  each(from: number, to: number, visit: WorkloadBinVisitor): void {
    for (let edge = 0; edge < this.edges.length; edge++) {
      const bins = this.bins[edge] as number[];
      const counts = this.counts[edge] as number[];
      let lo = 0;
      let hi = bins.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if ((bins[mid] as number) < from) lo = mid + 1;
        else hi = mid;
      }
      for (let i = lo; i < bins.length && (bins[i] as number) <= to; i++)
        visit(
          bins[i] as number,
          edge,
          counts[3 * i] as number,
          counts[3 * i + 1] as number,
          counts[3 * i + 2] as number,
        );
    }
  }

  private edgeOf(metric: Record<string, string>): number {
    const labels = {} as WorkloadEdgeLabels;
    for (const l of WORKLOAD_EDGE_LABELS) labels[l] = metric[l] ?? '';
    const key = WORKLOAD_EDGE_LABELS.map((l) => labels[l]).join('\n');
    let i = this.byKey.get(key);
    if (i === undefined) {
      i = this.edges.length;
      this.edges.push(labels);
      this.byKey.set(key, i);
      this.bins.push([]);
      this.counts.push([]);
    }
    return i;
  }
}
