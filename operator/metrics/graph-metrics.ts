// The graph in Prometheus: an EdgeObserver that turns each edge's cumulative counters
// into increments of netgraph's edge counters (workload-level labels, edge-labels.ts)
// and of ngraph's two connection counters, with the series bounded by a SeriesBook
// (cap, overflow label set, deletion a grace period after a workload or trace is gone).
//
// The series are kept and rendered here rather than in prom-client counters: an edge
// holds its label sets, so an update is a few additions, and a label set's text is
// escaped once; prom-client hashes the labels on every inc() and formats every series on
// every scrape, which at 50,000 series took over 300 ms a scrape and 30,000 updates/s.
// A scrape writes them as bytes into chunks streamed to the client (exposition-writer.ts).
// The series' own health (count, cap, overflow, deletions) is in prom-client.
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Edge } from '../../api/edge.js';
import {
  EDGE_BYTES,
  EDGE_CONNECTIONS,
  EDGE_LABELS,
  EDGE_PACKETS,
  type MetricsLabelOption,
  NGRAPH_HELP,
  NGRAPH_INPUT,
  NGRAPH_LABELS,
  NGRAPH_OUTPUT,
  ngraphName,
} from '../../api/metrics.js';
import type { TraceParameters } from '../../api/trace.js';
import type { EdgeObserver } from '../trace/edge-observer.js';
import { edgeLabels, edgeNgraphLabels, seriesWorkloads, type Workload } from './edge-labels.js';
import { counterHeader, labelText } from './exposition.js';
import { type ExpositionWriter, type SampleShape, sampleShape } from './exposition-writer.js';
import type { PeerPrefixes } from './peer-bucket.js';
import { SeriesBook, type SeriesEntry } from './series-book.js';

export interface GraphMetricsOptions {
  registry: Registry;
  peer: PeerPrefixes;
  /** Opt-in labels for every trace (the operator's flag); a Trace's parameter adds to them. */
  optIn: ReadonlySet<MetricsLabelOption>;
  maxSeries: number;
  graceMs: number;
  /** The top owner of a pod the cluster knows, to name a remote pod by its workload. */
  remoteOwner(namespace: string, pod: string): Workload | undefined;
  now?: () => number;
}

type Family = 'edge' | typeof NGRAPH_INPUT | typeof NGRAPH_OUTPUT;

/** A label set: its family, its escaped text, and its values (see COUNTED for 'edge'). */
interface Series {
  family: Family;
  inner: string;
  values: number[];
}

/** The edge counters, in the order of an 'edge' label set's values; ngraph's is [connections]. */
const COUNTED = [
  'connections',
  'bytesSent',
  'bytesReceived',
  'packetsSent',
  'packetsReceived',
] as const;

/** What this edge has added so far (fields named as the edge's), and the label sets it adds to. */
interface EdgeState extends Record<(typeof COUNTED)[number], number> {
  edge: SeriesEntry<Series>;
  ngraph: SeriesEntry<Series>;
}

const EDGE_HELP = {
  [EDGE_CONNECTIONS]: 'Connections seen on the edges of the graph (a UDP stream counts once)',
  [EDGE_BYTES]: 'Bytes on the edges of the graph, from the traced pod: direction sent or received',
  [EDGE_PACKETS]:
    'Packets on the edges of the graph, from the traced pod: direction sent or received',
};
const SENT = 'direction="sent"';
const RECEIVED = 'direction="received"';
/** netgraph's families: the lines each writes per label set, and the value each takes. */
const EDGE_FAMILIES: readonly {
  name: keyof typeof EDGE_HELP;
  lines: readonly (readonly [SampleShape, number])[];
}[] = [
  { name: EDGE_CONNECTIONS, lines: [[sampleShape(EDGE_CONNECTIONS), 0]] },
  {
    name: EDGE_BYTES,
    lines: [
      [sampleShape(EDGE_BYTES, SENT), 1],
      [sampleShape(EDGE_BYTES, RECEIVED), 2],
    ],
  },
  {
    name: EDGE_PACKETS,
    lines: [
      [sampleShape(EDGE_PACKETS, SENT), 3],
      [sampleShape(EDGE_PACKETS, RECEIVED), 4],
    ],
  },
];
const NGRAPH_SHAPES = {
  [NGRAPH_INPUT]: sampleShape(NGRAPH_INPUT),
  [NGRAPH_OUTPUT]: sampleShape(NGRAPH_OUTPUT),
};
/** A label set's text past the cap. */
const OVERFLOW_INNER = { netgraph: 'remote_kind="overflow"', ngraph: 'peer_hostname="overflow"' };

export class GraphMetrics implements EdgeObserver {
  private readonly overflowEdges: Counter<string>;
  private readonly deleted: Counter<string>;
  /** By the edge object TraceRun keeps for the edge's life: gone with it, never kept alive. */
  private readonly states = new WeakMap<Edge, EdgeState>();
  private readonly optIn = new Map<string, ReadonlySet<MetricsLabelOption>>();
  private readonly book: SeriesBook<Series>;
  private timer?: NodeJS.Timeout;

  constructor(private readonly o: GraphMetricsOptions) {
    const registers = [o.registry];
    this.overflowEdges = new Counter({
      name: 'netgraph_metrics_overflow_edges_total',
      help: 'Edges counted under the overflow label set because the series cap was reached',
      labelNames: ['metric'],
      registers,
    });
    for (const metric of ['netgraph', 'ngraph']) this.overflowEdges.inc({ metric }, 0);
    this.deleted = new Counter({
      name: 'netgraph_metrics_series_deleted_total',
      help: 'Series removed a grace period after their workload or trace was gone',
      registers,
    });
    const book = new SeriesBook<Series>({
      maxSeries: o.maxSeries,
      graceMs: o.graceMs,
      now: o.now,
    });
    this.book = book;
    new Gauge({
      name: 'netgraph_metrics_series',
      help: 'Series of the graph held now (netgraph_edge_* and network_connections_*)',
      registers,
      collect() {
        this.set(book.size);
      },
    });
    new Gauge({
      name: 'netgraph_metrics_series_limit',
      help: 'The cap on series of the graph (--metrics-max-series)',
      registers,
    }).set(o.maxSeries);
  }

  started(trace: string, _spec: unknown, parameters: TraceParameters): void {
    this.optIn.set(trace, new Set([...this.o.optIn, ...(parameters.metricsLabels ?? [])]));
    this.book.traceStarted(trace);
  }

  ended(trace: string, how: 'stopped' | 'deleted'): void {
    if (how === 'deleted') {
      this.book.traceDeleted(trace);
      this.optIn.delete(trace);
    }
  }

  edge(trace: string, _node: string, e: Edge, seen = false): void {
    if (e.type !== 'normal') return;
    let s = this.states.get(e);
    if (s === undefined) {
      s = this.newState(trace, e);
      this.states.set(e, s);
      // The replica that held the node before counted it up to here, in its own series.
      if (seen) for (const field of COUNTED) s[field] = e[field] ?? 0;
    }
    if (s.edge.removed) s.edge = this.readmit(s.edge, 'netgraph');
    if (s.ngraph.removed) s.ngraph = this.readmit(s.ngraph, 'ngraph');
    const edge = s.edge.labels.values;
    for (let i = 0; i < COUNTED.length; i++) {
      // Cumulative since the trace started on the node; a smaller value is a restart.
      const field = COUNTED[i] as (typeof COUNTED)[number];
      const now = e[field] ?? 0;
      const was = s[field];
      const d = now >= was ? now - was : now;
      s[field] = now;
      edge[i] = (edge[i] as number) + d;
      if (i === 0) s.ngraph.labels.values[0] = (s.ngraph.labels.values[0] as number) + d;
    }
  }

  /**
   * The edge took the name its pod looked up later: from now on it adds to the label sets of
   * that name (as a new edge to it would, cap and overflow alike). What it added before stays
   * in the sets it had: a counter never goes down, and others may add to them too.
   */
  named(trace: string, _node: string, e: Edge): void {
    const s = this.states.get(e);
    if (s !== undefined) Object.assign(s, this.labelSets(trace, e));
  }

  /**
   * Writes the exposition of the graph's series, waiting whenever the writer's reader is
   * behind; false if the reader went away. The label sets are those held when it starts
   * (a family never lists one twice); their values are read as each line is written.
   */
  async render(w: ExpositionWriter): Promise<boolean> {
    const edges: Series[] = [];
    const ngraph: Record<string, Series[]> = { [NGRAPH_INPUT]: [], [NGRAPH_OUTPUT]: [] };
    for (const { labels: l } of this.book.held()) {
      if (l.family === 'edge') edges.push(l);
      else ngraph[l.family]?.push(l);
    }
    for (const { name, lines } of EDGE_FAMILIES) {
      w.text(counterHeader(name, EDGE_HELP[name]));
      for (const l of edges) {
        for (const [shape, at] of lines) w.sample(shape, l.inner, l.values[at] as number);
        if (w.behind && !(await w.drained())) return false;
      }
    }
    for (const name of [NGRAPH_INPUT, NGRAPH_OUTPUT] as const) {
      w.text(counterHeader(name, NGRAPH_HELP[name]));
      for (const l of ngraph[name] ?? []) {
        w.sample(NGRAPH_SHAPES[name], l.inner, l.values[0] as number);
        if (w.behind && !(await w.drained())) return false;
      }
    }
    return true;
  }

  /** Removes the series of what has been gone for the grace period. */
  sweep(workloadAlive: (id: string) => boolean): number {
    const removed = this.book.sweep(workloadAlive).length;
    this.deleted.inc(removed);
    return removed;
  }

  /** Sweeps every intervalMs; workloadAlive is asked of every workload a series names. */
  startSweeping(workloadAlive: () => (id: string) => boolean, intervalMs: number): void {
    this.timer = setInterval(() => this.sweep(workloadAlive()), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private newState(trace: string, e: Edge): EdgeState {
    return {
      connections: 0,
      bytesSent: 0,
      bytesReceived: 0,
      packetsSent: 0,
      packetsReceived: 0,
      ...this.labelSets(trace, e),
    };
  }

  /** The label sets the edge adds to, as its fields are now. */
  private labelSets(trace: string, e: Edge): Pick<EdgeState, 'edge' | 'ngraph'> {
    const remoteOwner =
      e.remoteKind === 'pod' && e.remotePodNamespace && e.remotePodName
        ? this.o.remoteOwner(e.remotePodNamespace, e.remotePodName)
        : undefined;
    const optIn = this.optIn.get(trace) ?? this.o.optIn;
    const labels = edgeLabels(trace, e, remoteOwner, { peer: this.o.peer, optIn });
    // Worked out only for a label set made: most edges add to one that is held (or overflow).
    let workloads: string[] | undefined;
    const named = () => {
      workloads ??= seriesWorkloads(e, remoteOwner);
      return workloads;
    };
    const name = ngraphName(e) as Family;
    const edgeInner = labelText(labels, EDGE_LABELS);
    const ngraphInner = labelText(edgeNgraphLabels(e, this.o.peer), NGRAPH_LABELS);
    return {
      // An edge label set's key is its text; every other key has a NUL, which no text has.
      // Joined, not a template, so that the kept key is one flat string (see labelText).
      edge: this.admit(edgeInner, 'edge', edgeInner, 5, trace, named, 'netgraph'),
      ngraph: this.admit(
        [name, ngraphInner].join('\u0000'),
        name,
        ngraphInner,
        1,
        trace,
        named,
        'ngraph',
      ),
    };
  }

  /** The label set if held or if it fits under the cap, else the overflow one (counted). */
  private admit(
    key: string,
    family: Family,
    inner: string,
    cost: number,
    trace: string,
    workloads: () => readonly string[],
    metric: 'netgraph' | 'ngraph',
  ): SeriesEntry<Series> {
    const make = () => ({
      labels: { family, inner, values: new Array<number>(cost).fill(0) },
      trace,
      workloads: workloads(),
    });
    const held = this.book.admit(key, cost, make);
    if (held) return held;
    this.overflowEdges.inc({ metric });
    return this.book.admit(
      `overflow\u0000${family}`,
      cost,
      () => ({
        labels: { family, inner: OVERFLOW_INNER[metric], values: new Array<number>(cost).fill(0) },
        trace: '',
        workloads: [],
      }),
      true,
    ) as SeriesEntry<Series>;
  }

  /** A label set swept while its edge lives on: it starts again from zero. */
  private readmit(old: SeriesEntry<Series>, metric: 'netgraph' | 'ngraph'): SeriesEntry<Series> {
    const { family, inner } = old.labels;
    return this.admit(old.key, family, inner, old.cost, old.trace, () => old.workloads, metric);
  }
}
