// operator/metrics: the operator's Prometheus endpoint (/metrics on its HTTP port).
// The graph as series (graph-metrics.ts: netgraph_edge_* and ngraph's
// network_connections_*; labels in edge-labels.ts, bounds in series-book.ts and
// peer-bucket.ts), the operator's own health (self-metrics.ts) and Node's process
// metrics, streamed in chunks (exposition-writer.ts). The metric names and labels, a
// contract with dashboards, are in api/metrics.ts.
import type { ServerResponse } from 'node:http';
import { Counter, collectDefaultMetrics, Registry } from 'prom-client';
import type { Handler } from '../../lib/http-server.js';
import type { EdgeObserver } from '../trace/edge-observer.js';
import type { Workload } from './edge-labels.js';
import { ChunkPool, type ExpositionSink, ExpositionWriter } from './exposition-writer.js';
import type { MetricsFlags } from './flags.js';
import { GraphMetrics } from './graph-metrics.js';
import { SelfMetrics } from './self-metrics.js';

export interface MetricsEndpointOptions extends MetricsFlags {
  remoteOwner(namespace: string, pod: string): Workload | undefined;
  /** The workloads (namespace/Kind/name) with a pod now. */
  liveWorkloads(): Set<string>;
  agents(): number;
  sweepMs?: number;
}

export class MetricsEndpoint {
  readonly registry = new Registry();
  readonly graph: GraphMetrics;
  readonly observers: readonly EdgeObserver[];
  /** The chunks scrapes are written in, kept between them. */
  private readonly chunks = new ChunkPool();

  constructor(private readonly o: MetricsEndpointOptions) {
    collectDefaultMetrics({ register: this.registry });
    // A few of Node's gauges end in _total, which promtool's lint refuses in an exposition.
    for (const m of this.registry.getMetricsAsArray())
      if (m.name.endsWith('_total') && !(m instanceof Counter))
        this.registry.removeSingleMetric(m.name);
    this.graph = new GraphMetrics({ ...o, registry: this.registry });
    this.observers = [this.graph, new SelfMetrics(this.registry, o.agents)];
  }

  /** Starts deleting the series of gone workloads; call once the caches are synced. */
  start(): void {
    this.graph.startSweeping(() => {
      const live = this.o.liveWorkloads();
      return (id) => live.has(id);
    }, this.o.sweepMs ?? Math.min(10_000, this.o.graceMs));
  }

  stop(): void {
    this.graph.stop();
  }

  /** The graph's series streamed in chunks as they are written, then prom-client's. */
  readonly handler: Handler = async (_req, res: ServerResponse) => {
    const rest = await this.registry.metrics();
    res.writeHead(200, { 'content-type': this.registry.contentType });
    const w = new ExpositionWriter(responseSink(res), this.chunks);
    if (!(await this.graph.render(w))) return;
    w.text(rest);
    w.flush();
    w.close();
    res.end();
  };
}

/** The response as a writer's sink: written to until Node's buffer is full, then a drain. */
function responseSink(res: ServerResponse): ExpositionSink {
  return {
    write: (chunk, sent) => res.write(chunk, sent),
    drained: () =>
      new Promise((resolve) => {
        if (res.destroyed) return resolve(false);
        const settle = (caughtUp: boolean) => () => {
          res.off('drain', onDrain);
          res.off('close', onClose);
          resolve(caughtUp);
        };
        const onDrain = settle(true);
        const onClose = settle(false);
        res.once('drain', onDrain);
        res.once('close', onClose);
      }),
  };
}
