// The graph in Prometheus: an EdgeObserver that turns each edge's cumulative counters
// into increments of netgraph's edge counters (workload-level labels, edge-labels.ts)
// and of ngraph's two connection counters, with the series bounded by a SeriesBook
// (cap, overflow label set, deletion a grace period after a workload or trace is gone).
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Edge } from '../../api/edge.js';
import {
  EDGE_BYTES,
  EDGE_CONNECTIONS,
  EDGE_LABELS,
  EDGE_PACKETS,
  type EdgeLabels,
  type MetricsLabelOption,
  NGRAPH_HELP,
  NGRAPH_INPUT,
  NGRAPH_LABELS,
  NGRAPH_OUTPUT,
  type NgraphLabels,
  ngraphName,
} from '../../api/metrics.js';
import type { TraceParameters } from '../../api/trace.js';
import type { EdgeObserver } from '../edge-observer.js';
import { edgeLabels, edgeNgraphLabels, seriesWorkloads, type Workload } from './edge-labels.js';
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

/** What this edge has added so far, and the label sets it adds to. */
interface EdgeState {
  connections: number;
  bytesSent: number;
  bytesReceived: number;
  packetsSent: number;
  packetsReceived: number;
  edgeKey: string;
  ngraphKey: string;
  make: { edge: () => LabelSet; ngraph: () => LabelSet };
  /** Already counted in netgraph_metrics_overflow_edges_total. */
  overflowed: { edge: boolean; ngraph: boolean };
}

type LabelSet = Omit<SeriesEntry<Labelled>, 'key'>;
/** A label set and the metric it belongs to (ngraph's two names share one book). */
interface Labelled {
  name: string;
  labels: EdgeLabels | NgraphLabels;
}

const COUNTED = [
  'connections',
  'bytesSent',
  'bytesReceived',
  'packetsSent',
  'packetsReceived',
] as const;
const EDGE_COST = 5; // connections, bytes sent/received, packets sent/received
const OVERFLOW_EDGE: Labelled = { name: EDGE_CONNECTIONS, labels: { remote_kind: 'overflow' } };
const overflowNgraph = (name: string): Labelled => ({
  name,
  labels: { src_ip: '', dest_ip: '', peer_hostname: 'overflow' },
});

const labelKey = (l: object): string => Object.values(l).join('\u0000');

export class GraphMetrics implements EdgeObserver {
  private readonly connections: Counter<string>;
  private readonly bytes: Counter<string>;
  private readonly packets: Counter<string>;
  private readonly ngraph: Record<string, Counter<string>>;
  private readonly overflowEdges: Counter<string>;
  private readonly deleted: Counter<string>;
  /** By the edge object TraceRun keeps for the edge's life: gone with it, never kept alive. */
  private readonly states = new WeakMap<Edge, EdgeState>();
  private readonly optIn = new Map<string, ReadonlySet<MetricsLabelOption>>();
  private readonly book: SeriesBook<Labelled>;
  private timer?: NodeJS.Timeout;

  constructor(private readonly o: GraphMetricsOptions) {
    const registers = [o.registry];
    const labelNames = [...EDGE_LABELS];
    this.connections = new Counter({
      name: EDGE_CONNECTIONS,
      help: 'Connections seen on the edges of the graph (a UDP stream counts once)',
      labelNames,
      registers,
    });
    this.bytes = new Counter({
      name: EDGE_BYTES,
      help: 'Bytes on the edges of the graph, from the traced pod: direction sent or received',
      labelNames: [...labelNames, 'direction'],
      registers,
    });
    this.packets = new Counter({
      name: EDGE_PACKETS,
      help: 'Packets on the edges of the graph, from the traced pod: direction sent or received',
      labelNames: [...labelNames, 'direction'],
      registers,
    });
    this.ngraph = Object.fromEntries(
      ([NGRAPH_INPUT, NGRAPH_OUTPUT] as const).map((name) => [
        name,
        new Counter({ name, help: NGRAPH_HELP[name], labelNames: [...NGRAPH_LABELS], registers }),
      ]),
    );
    this.overflowEdges = new Counter({
      name: 'netgraph_metrics_overflow_edges_total',
      help: 'Edges counted under the overflow label set because the series cap was reached',
      labelNames: ['metric'],
      registers,
    });
    this.deleted = new Counter({
      name: 'netgraph_metrics_series_deleted_total',
      help: 'Series removed a grace period after their workload or trace was gone',
      registers,
    });
    const book = new SeriesBook<Labelled>({
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

  edge(trace: string, _node: string, e: Edge): void {
    if (e.type !== 'normal') return;
    let s = this.states.get(e);
    if (s === undefined) {
      s = this.newState(trace, e);
      this.states.set(e, s);
    }
    const edgeSet = this.entry(s, 'edge', EDGE_COST, OVERFLOW_EDGE);
    const ngraphSet = this.entry(s, 'ngraph', 1, overflowNgraph(ngraphName(e)));
    // Cumulative counters since the trace started on the node; a smaller value is a restart.
    const delta = (field: (typeof COUNTED)[number]): number => {
      const now = e[field] ?? 0;
      const d = now >= s[field] ? now - s[field] : now;
      s[field] = now;
      return d;
    };
    const c = delta('connections');
    const l = edgeSet.labels as EdgeLabels;
    this.connections.inc(l, c);
    this.bytes.inc({ ...l, direction: 'sent' }, delta('bytesSent'));
    this.bytes.inc({ ...l, direction: 'received' }, delta('bytesReceived'));
    this.packets.inc({ ...l, direction: 'sent' }, delta('packetsSent'));
    this.packets.inc({ ...l, direction: 'received' }, delta('packetsReceived'));
    this.ngraph[ngraphSet.name]?.inc(ngraphSet.labels, c);
  }

  /** Removes the series of what has been gone for the grace period. */
  sweep(workloadAlive: (id: string) => boolean): number {
    const removed = this.book.sweep(workloadAlive);
    for (const { labels: l } of removed) {
      if (l.name === EDGE_CONNECTIONS) {
        const labels = l.labels as EdgeLabels;
        this.connections.remove(labels);
        for (const direction of ['sent', 'received']) {
          this.bytes.remove({ ...labels, direction });
          this.packets.remove({ ...labels, direction });
        }
      } else this.ngraph[l.name]?.remove(l.labels);
    }
    this.deleted.inc(removed.length);
    return removed.length;
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
    const remoteOwner =
      e.remoteKind === 'pod' && e.remotePodNamespace && e.remotePodName
        ? this.o.remoteOwner(e.remotePodNamespace, e.remotePodName)
        : undefined;
    const optIn = this.optIn.get(trace) ?? this.o.optIn;
    const labels = edgeLabels(trace, e, remoteOwner, { peer: this.o.peer, optIn });
    const workloads = seriesWorkloads(e, remoteOwner);
    const name = ngraphName(e);
    const ng = edgeNgraphLabels(e, this.o.peer);
    return {
      connections: 0,
      bytesSent: 0,
      bytesReceived: 0,
      packetsSent: 0,
      packetsReceived: 0,
      edgeKey: `e\u0000${labelKey(labels)}`,
      ngraphKey: `${name}\u0000${labelKey(ng)}`,
      make: {
        edge: () => ({
          labels: { name: EDGE_CONNECTIONS, labels },
          cost: EDGE_COST,
          trace,
          workloads,
        }),
        ngraph: () => ({ labels: { name, labels: ng }, cost: 1, trace, workloads }),
      },
      overflowed: { edge: false, ngraph: false },
    };
  }

  /** The label set to count under: its own if held or if it fits, else the overflow one. */
  private entry(
    s: EdgeState,
    which: 'edge' | 'ngraph',
    cost: number,
    overflow: Labelled,
  ): Labelled {
    const key = which === 'edge' ? s.edgeKey : s.ngraphKey;
    const held = this.book.get(key) ?? this.book.admit(key, s.make[which]);
    if (held) return held.labels;
    if (!s.overflowed[which]) {
      s.overflowed[which] = true;
      this.overflowEdges.inc({ metric: which === 'edge' ? 'netgraph' : 'ngraph' });
    }
    const o = this.book.admit(
      `overflow\u0000${overflow.name}`,
      () => ({ labels: overflow, cost, trace: '', workloads: [] }),
      true,
    ) as SeriesEntry<Labelled>;
    return o.labels;
  }
}
