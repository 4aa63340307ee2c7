import { describe, expect, it } from 'vitest';
import { HttpServer } from '../../lib/http-server.js';
import { logger } from '../../lib/log.js';
import type { EdgeStats } from '../dataplane/edge-maps.js';
import type { PodTracer } from './agent.js';
import { AgentMetrics } from './metrics.js';

function tracer(stats: Partial<EdgeStats>): PodTracer & { closed: boolean } {
  const t = {
    closed: false,
    drain: () => [],
    snapshot: () => [],
    stats: () => ({ edges: 0, edgeDrops: 0, flowDrops: 0, midstream: 0, seeded: 0, ...stats }),
    close: () => {
      t.closed = true;
    },
  };
  return t;
}

const agent = {
  traceKeys: () => ['gadget/a', 'gadget/b'],
  attachmentInfo: () => [
    { pod: 'demo/a', netnsInode: 1, traces: ['gadget/a'] },
    { pod: 'demo/b', netnsInode: 2, traces: ['gadget/b'] },
    { pod: 'demo/c', netnsInode: 3, traces: ['gadget/b'] },
  ],
  mapMemory: () => 1500,
  dnsAnswers: { learned: 12, dropped: new Map([['bad-name' as const, 2]]) },
  dnsDrops: () => 5,
};

describe('AgentMetrics', () => {
  it('reports attachments, map fill, drops (closed tracers included) and drain times', async () => {
    const m = new AgentMetrics(agent, 100);
    const a = m.measure(tracer({ edges: 50, edgeDrops: 3 }));
    m.measure(tracer({ edges: 10 }));
    const b = tracer({ edges: 100, edgeDrops: 7, flowDrops: 2, midstream: 4 });
    const wrapped = m.measure(b);
    a.drain();
    a.drain();
    wrapped.close();
    expect(b.closed).toBe(true);
    const text = await m.registry.metrics();
    expect(text).toContain('netgraph_agent_traces 2');
    expect(text).toContain('netgraph_agent_attached_pods 3');
    expect(text).toContain('netgraph_agent_map_memory_bytes 1500');
    expect(text).toContain('netgraph_agent_map_edges 60');
    expect(text).toContain('netgraph_agent_map_fill_ratio_max 0.6');
    expect(text).toContain('netgraph_agent_pods_dropping 1');
    expect(text).toContain('netgraph_agent_dropped_total{reason="edge_map_full"} 10');
    expect(text).toContain('netgraph_agent_dropped_total{reason="flow_map_full"} 2');
    expect(text).toContain('netgraph_agent_untracked_packets_total 4');
    expect(text).toContain('netgraph_agent_dns_answers_total{result="learned"} 12');
    expect(text).toContain('netgraph_agent_dns_answers_total{result="bad-name"} 2');
    expect(text).toContain('netgraph_agent_dns_answers_total{result="no-room"} 5');
    expect(text).toContain('netgraph_agent_drain_seconds_count 2');
  });

  it('serves /metrics and nothing else', async () => {
    const m = new AgentMetrics(agent, 100);
    const server = new HttpServer(logger('test', 'silent'));
    server.route('/metrics', m.handler);
    const { port } = await server.listen({ host: '127.0.0.1', port: 0 });
    try {
      const ok = await fetch(`http://127.0.0.1:${port}/metrics`);
      expect(ok.status).toBe(200);
      expect(await ok.text()).toContain('# TYPE netgraph_agent_traces gauge');
      expect((await fetch(`http://127.0.0.1:${port}/v1/traces`)).status).toBe(404);
    } finally {
      await server.close();
    }
  });
});
