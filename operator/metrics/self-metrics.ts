// The operator's own health in Prometheus: traces running, agents connected, edges
// arriving (rate() of it is edges per second) and edges the cluster could not name.
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Edge } from '../../api/edge.js';
import type { EdgeObserver } from '../edge-observer.js';

export class SelfMetrics implements EdgeObserver {
  private readonly running = new Set<string>();
  private readonly seen = new WeakSet<Edge>();
  private readonly updates: Counter<string>;
  private readonly misses: Counter<string>;

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
    this.updates = new Counter({
      name: 'netgraph_operator_edges_total',
      help: 'Edges received from agents: kind new (first time seen) or update (grown counters)',
      labelNames: ['kind'],
      registers,
    });
    this.misses = new Counter({
      name: 'netgraph_operator_enrichment_misses_total',
      help: 'New edges the cluster state could not name: side local (the traced pod unknown) or remote (an address no pod, Service or node holds, and no DNS name)',
      labelNames: ['side'],
      registers,
    });
    for (const kind of ['new', 'update']) this.updates.inc({ kind }, 0);
    for (const side of ['local', 'remote']) this.misses.inc({ side }, 0);
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
      this.updates.inc({ kind: 'update' });
      return;
    }
    this.seen.add(e);
    this.updates.inc({ kind: 'new' });
    if (e.podIP === undefined) this.misses.inc({ side: 'local' });
    if (e.remoteKind === 'other' && !e.remoteName) this.misses.inc({ side: 'remote' });
  }
}
