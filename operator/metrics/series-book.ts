// Which label sets have series, bounded: a hard cap on series (a label set costs the
// series it makes), an overflow label set for what does not fit, and deletion of a label
// set only a grace period after what it names is gone: its trace deleted, or a workload
// it names with no pod left. Never an idle TTL: a quiet workload keeps its series.
// Pure and stateful (the clock is passed in); what a label set holds (its values) is the
// caller's.

export interface SeriesEntry<L> {
  readonly key: string;
  readonly labels: L;
  /** Series this label set makes (for example 5: connections, bytes x2, packets x2). */
  readonly cost: number;
  readonly trace: string;
  /** namespace/Kind/name of the workloads it names. */
  readonly workloads: readonly string[];
  goneSince?: number;
  /** Set when swept: whoever holds the entry must admit it again to count on it. */
  removed?: boolean;
}

export interface SeriesBookOptions {
  maxSeries: number;
  graceMs: number;
  now?: () => number;
}

export class SeriesBook<L> {
  private readonly entries = new Map<string, SeriesEntry<L>>();
  private readonly deletedTraces = new Set<string>();
  private readonly now: () => number;
  private series = 0;

  constructor(private readonly o: SeriesBookOptions) {
    this.now = o.now ?? Date.now;
  }

  /** Series held now, the overflow's included. */
  get size(): number {
    return this.series;
  }

  get(key: string): SeriesEntry<L> | undefined {
    return this.entries.get(key);
  }

  held(): IterableIterator<SeriesEntry<L>> {
    return this.entries.values();
  }

  /**
   * The entry for key: the one held, a new one (made by make) if its cost fits under the
   * cap, else undefined (the caller counts it under its overflow label set, which is
   * admitted past the cap). Nothing is made for a key held or refused.
   */
  admit(
    key: string,
    cost: number,
    make: () => Omit<SeriesEntry<L>, 'key' | 'cost'>,
    always = false,
  ): SeriesEntry<L> | undefined {
    const held = this.entries.get(key);
    if (held) return held;
    if (!always && this.series + cost > this.o.maxSeries) return undefined;
    const { labels, trace, workloads } = make();
    // Every field written here, so that every entry keeps one shape with its fields inline.
    const e: SeriesEntry<L> = {
      key,
      labels,
      cost,
      trace,
      workloads,
      goneSince: undefined,
      removed: false,
    };
    this.entries.set(key, e);
    this.series += cost;
    return e;
  }

  /** The trace's Trace object is gone: its series go after the grace period. */
  traceDeleted(trace: string): void {
    this.deletedTraces.add(trace);
  }

  /** The trace runs (again): its series stay. */
  traceStarted(trace: string): void {
    this.deletedTraces.delete(trace);
  }

  /**
   * Marks entries whose trace or workload is gone, and removes (and returns) those gone for
   * the whole grace period. An entry whose workload comes back within it stays.
   */
  sweep(workloadAlive: (id: string) => boolean): SeriesEntry<L>[] {
    const now = this.now();
    const removed: SeriesEntry<L>[] = [];
    const traces = new Set<string>();
    for (const e of this.entries.values()) {
      const gone = this.deletedTraces.has(e.trace) || e.workloads.some((w) => !workloadAlive(w));
      if (!gone) {
        e.goneSince = undefined;
        traces.add(e.trace);
        continue;
      }
      e.goneSince ??= now;
      if (now - e.goneSince < this.o.graceMs) {
        traces.add(e.trace);
        continue;
      }
      this.entries.delete(e.key);
      this.series -= e.cost;
      e.removed = true;
      removed.push(e);
    }
    // A deleted trace with no series left needs no remembering.
    for (const t of this.deletedTraces) if (!traces.has(t)) this.deletedTraces.delete(t);
    return removed;
  }
}
