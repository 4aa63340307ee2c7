// The operator's own health in Prometheus: traces running, agents connected, edges
// arriving (rate() of it is edges per second) and edges the cluster could not name.
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Edge } from '../../api/edge.js';
import type { EdgeObserver } from '../trace/edge-observer.js';

export class SelfMetrics implements EdgeObserver {
  private readonly running = new Set<string>();
  private readonly seen = new WeakSet<Edge>();
  /** Counted here and read at scrape time: prom-client's inc() hashes its labels each call. */
  private readonly counts = { new: 0, update: 0, local: 0, remote: 0 };

  constructor(registry: Registry, agents: () => number) {
    const registers = [registry];
    const running = this.running;
    new Gauge({
      name: 'netgraph_operator_traces',
      help: 'Traces started and not stopped',
      registers,
      collect() {
        this.set(running.size);
      },
    });
    new Gauge({
      name: 'netgraph_operator_agents',
      help: 'Agents whose Lease is live',
      registers,
      collect() {
        this.set(agents());
      },
    });
    const counts = this.counts;
    new Counter({
      name: 'netgraph_operator_edges_total',
      help: 'Edges received from agents: kind new (first time seen) or update (grown counters)',
      labelNames: ['kind'],
      registers,
      collect() {
        this.reset();
        this.inc({ kind: 'new' }, counts.new);
        this.inc({ kind: 'update' }, counts.update);
      },
    });
    new Counter({
      name: 'netgraph_operator_enrichment_misses_total',
      help: 'New edges the cluster state could not name: side local (the traced pod unknown) or remote (an address no pod, Service or node holds, and no DNS name)',
      labelNames: ['side'],
      registers,
      collect() {
        this.reset();
        this.inc({ side: 'local' }, counts.local);
        this.inc({ side: 'remote' }, counts.remote);
      },
    });
  }

  started(trace: string): void {
    this.running.add(trace);
  }

  ended(trace: string): void {
    this.running.delete(trace);
  }

  edge(_trace: string, _node: string, e: Edge): void {
    if (e.type !== 'normal') return;
    if (this.seen.has(e)) {
      this.counts.update++;
      return;
    }
    this.seen.add(e);
    this.counts.new++;
    if (e.podIP === undefined) this.counts.local++;
    if (e.remoteKind === 'other' && !e.remoteName) this.counts.remote++;
  }
}
