// The agent's own health in Prometheus: traces and pods attached, its BPF maps' fill,
// memory and drops (and how many pods lost connections), the DNS answers its pods
// received (learned, or dropped as malformed or for want of room), and how long a
// drain takes. Served on a plain-HTTP port of its own (--metrics-listen, off unless
// given), not on the HTTPS command port: that port takes only the operator's token,
// and its certificate is self-signed per agent, so a Prometheus would need a token and
// to skip TLS verification to scrape it. These metrics name no pod and no address, so
// a separate read-only port gives nothing away.

import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Handler } from '../../lib/http-server.js';
import type { EdgeStats } from '../dataplane/edge-maps.js';
import type { Agent, PodTracer } from './agent.js';

export class AgentMetrics {
  readonly registry = new Registry();
  private readonly live = new Set<PodTracer>();
  /** Drops counted by tracers already closed, so the totals never go down. */
  private closedDrops = { edge: 0, flow: 0, untracked: 0 };
  private readonly drainSeconds: Histogram<string>;

  constructor(
    agent: Pick<Agent, 'traceKeys' | 'attachmentInfo' | 'mapMemory' | 'dnsAnswers' | 'dnsDrops'>,
    maxEdges: number,
  ) {
    const registers = [this.registry];
    const live = this.live;
    const closed = () => this.closedDrops;
    const each = (f: (s: EdgeStats) => number) => {
      let n = 0;
      for (const t of live) n += f(t.stats());
      return n;
    };
    new Gauge({
      name: 'netgraph_agent_traces',
      help: 'Traces the operator runs on this agent',
      registers,
      collect() {
        this.set(agent.traceKeys().length);
      },
    });
    new Gauge({
      name: 'netgraph_agent_attached_pods',
      help: 'Pod network namespaces attached (one attachment serves every trace)',
      registers,
      collect() {
        this.set(agent.attachmentInfo().length);
      },
    });
    new Gauge({
      name: 'netgraph_agent_map_memory_bytes',
      help: "Kernel memory of the node's BPF maps (one set for every traced pod)",
      registers,
      collect() {
        this.set(agent.mapMemory());
      },
    });
    new Gauge({
      name: 'netgraph_agent_map_edges',
      help: "Edges held in the node's edge table",
      registers,
      collect() {
        this.set(each((s) => s.edges));
      },
    });
    new Gauge({
      name: 'netgraph_agent_map_fill_ratio_max',
      help: "The node's edge table: edges held over --max-edges (near 1, pods past their fair share get no new edges)",
      registers,
      collect() {
        this.set(each((s) => s.edges) / maxEdges);
      },
    });
    new Gauge({
      name: 'netgraph_agent_pods_dropping',
      help: 'Traced pods that lost new connections for want of room (their share of the edge table, or the flow table); the Trace names them',
      registers,
      collect() {
        this.set(each((s) => (s.edgeDrops + s.flowDrops > 0 ? 1 : 0)));
      },
    });
    new Counter({
      name: 'netgraph_agent_dropped_total',
      help: 'New flows not counted: reason edge_map_full or flow_map_full',
      labelNames: ['reason'],
      registers,
      collect() {
        this.reset();
        this.inc({ reason: 'edge_map_full' }, closed().edge + each((s) => s.edgeDrops));
        this.inc({ reason: 'flow_map_full' }, closed().flow + each((s) => s.flowDrops));
      },
    });
    new Counter({
      name: 'netgraph_agent_untracked_packets_total',
      help: "TCP packets of connections the node's flow table did not hold, so not counted: pushed out of the (LRU) flow table by newer flows when it is full (raise --max-flows), or opened before attach and missing from the socket tables",
      registers,
      collect() {
        this.reset();
        this.inc(closed().untracked + each((s) => s.midstream));
      },
    });
    new Counter({
      name: 'netgraph_agent_dns_answers_total',
      help: "DNS answers the traced pods received: result learned, the reason one was dropped as malformed (not-answer, truncated, bad-name, bad-record, too-large), or no-room (dropped before the agent saw it: the ring buffer or the pod's backlog was full)",
      labelNames: ['result'],
      registers,
      collect() {
        this.reset();
        this.inc({ result: 'learned' }, agent.dnsAnswers.learned);
        for (const [reason, n] of agent.dnsAnswers.dropped) this.inc({ result: reason }, n);
        this.inc({ result: 'no-room' }, agent.dnsDrops());
      },
    });
    this.drainSeconds = new Histogram({
      name: 'netgraph_agent_drain_seconds',
      help: "Time to drain one attachment's maps",
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25],
      registers,
    });
  }

  /** Wraps a tracer so its drains are timed and its map counters read at scrape time. */
  measure(t: PodTracer): PodTracer {
    this.live.add(t);
    return {
      ...(t.warning && { warning: t.warning }),
      drain: () => {
        const end = this.drainSeconds.startTimer();
        try {
          return t.drain();
        } finally {
          end();
        }
      },
      snapshot: () => t.snapshot(),
      stats: () => t.stats(),
      dnsAnswers: () => t.dnsAnswers?.() ?? [],
      close: () => {
        if (this.live.delete(t)) {
          const s = t.stats();
          this.closedDrops = {
            edge: this.closedDrops.edge + s.edgeDrops,
            flow: this.closedDrops.flow + s.flowDrops,
            untracked: this.closedDrops.untracked + s.midstream,
          };
        }
        t.close();
      },
    };
  }

  /** GET /metrics, for the agent's metrics port (lib/http-server.ts). */
  readonly handler: Handler = async (_req, res) => {
    const text = await this.registry.metrics();
    res.writeHead(200, { 'content-type': this.registry.contentType });
    res.end(text);
  };
}
