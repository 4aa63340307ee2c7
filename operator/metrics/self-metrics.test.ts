import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import type { Edge } from '../../api/edge.js';
import { SelfMetrics } from './self-metrics.js';

describe('SelfMetrics', () => {
  it('counts traces, agents, new and updated edges, and what enrichment could not name', async () => {
    const registry = new Registry();
    const m = new SelfMetrics(registry, () => 3);
    m.started('gadget/a');
    m.started('gadget/b');
    m.ended('gadget/a');
    const known: Edge = { type: 'normal', podIP: '10.244.0.5', remoteKind: 'svc' };
    const unknown: Edge = { type: 'normal', remoteKind: 'other' };
    m.edge('gadget/b', 'w1', known);
    m.edge('gadget/b', 'w1', known);
    m.edge('gadget/b', 'w1', unknown);
    m.edge('gadget/b', 'w1', { type: 'warn', message: 'edge map full' });
    const text = await registry.metrics();
    expect(text).toContain('netgraph_operator_traces 1');
    expect(text).toContain('netgraph_operator_agents 3');
    expect(text).toContain('netgraph_operator_edges_total{kind="new"} 2');
    expect(text).toContain('netgraph_operator_edges_total{kind="update"} 1');
    expect(text).toContain('netgraph_operator_enrichment_misses_total{side="local"} 1');
    expect(text).toContain('netgraph_operator_enrichment_misses_total{side="remote"} 1');
  });
});
