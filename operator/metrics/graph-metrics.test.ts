import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import type { Edge } from '../../api/edge.js';
import { named, namedLater, OUTSIDE_NAME, unnamed } from '../../test/named-later.js';
import { ChunkPool, ExpositionWriter } from './exposition-writer.js';
import { GraphMetrics } from './graph-metrics.js';

/** The graph's exposition, written in small chunks, and prom-client's. */
async function exposition(m: GraphMetrics, registry: Registry): Promise<string> {
  const chunks: Buffer[] = [];
  const w = new ExpositionWriter(
    { write: (c) => chunks.push(c) > 0, drained: async () => true },
    new ChunkPool(256),
  );
  expect(await m.render(w)).toBe(true);
  w.flush();
  return Buffer.concat(chunks).toString() + (await registry.metrics());
}

function setup(o: { maxSeries?: number; graceMs?: number; optIn?: ('pod' | 'ip')[] } = {}) {
  const registry = new Registry();
  const clock = { t: 0 };
  const m = new GraphMetrics({
    registry,
    peer: { v4: 24, v6: 64 },
    optIn: new Set(o.optIn ?? []),
    maxSeries: o.maxSeries ?? 1000,
    graceMs: o.graceMs ?? 60_000,
    remoteOwner: () => undefined,
    now: () => clock.t,
  });
  m.started('gadget/g', {}, { groupBy: 'pod', ips: [] });
  /** Every sample of a metric in the exposition: its labels and value. */
  const samples = async (name: string) => {
    const text = await exposition(m, registry);
    return text
      .split('\n')
      .filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `))
      .map((l) => {
        const m = /^[^{ ]+(?:\{(.*)\})? (\S+)$/.exec(l) as RegExpExecArray;
        const labels = Object.fromEntries(
          [...(m[1] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((x) => [x[1], x[2]]),
        );
        return { labels: labels as Record<string, string>, value: Number(m[2]) };
      });
  };
  return { m, clock, registry, samples };
}

const edge = (pod: string, ip: string, counters: Partial<Edge> = {}): Edge => ({
  type: 'normal',
  namespace: 'demo',
  pod,
  podOwner: 'client',
  podOwnerKind: 'Deployment',
  podIP: '10.244.0.5',
  pktType: 'OUTGOING',
  proto: 'tcp',
  ip,
  port: 443,
  remoteKind: 'other',
  remoteOther: ip,
  ...counters,
});

describe('GraphMetrics', () => {
  it('counts what the cumulative counters grew by, summed per workload', async () => {
    const { m, samples } = setup();
    const a = edge('client-a', '198.51.100.1', {
      connections: 1,
      bytesSent: 100,
      bytesReceived: 10,
    });
    const b = edge('client-b', '198.51.100.2', { connections: 2, bytesSent: 50 });
    m.edge('gadget/g', 'w1', a);
    m.edge('gadget/g', 'w1', b);
    Object.assign(a, { connections: 3, bytesSent: 400, bytesReceived: 30 });
    m.edge('gadget/g', 'w1', a);
    const bytes = await samples('netgraph_edge_bytes_total');
    expect(bytes).toHaveLength(2);
    const sent = bytes.find((s) => s.labels.direction === 'sent');
    expect(sent?.value).toBe(450);
    expect(sent?.labels).toMatchObject({
      workload: 'client',
      remote_workload: '198.51.100.0/24',
      port: '443',
    });
    expect(sent?.labels).not.toHaveProperty('pod');
    expect((await samples('netgraph_edge_connections_total'))[0]?.value).toBe(5);
    // ngraph's output counter: one series per local IP and peer network.
    const out = await samples('network_connections_output_total');
    expect(out.map((s) => [s.labels.dest_ip, s.value])).toEqual([['198.51.100.0/24', 5]]);
  });

  it('treats a smaller cumulative value as a restart of the count', async () => {
    const { m, samples } = setup();
    const a = edge('client-a', '198.51.100.1', { connections: 4 });
    m.edge('gadget/g', 'w1', a);
    a.connections = 1;
    m.edge('gadget/g', 'w1', a);
    expect((await samples('netgraph_edge_connections_total'))[0]?.value).toBe(5);
  });

  it('holds the cap when peers flood in, counting the rest under overflow', async () => {
    const { m, samples, registry } = setup({ maxSeries: 60 });
    for (let i = 0; i < 500; i++)
      m.edge('gadget/g', 'w1', edge('client-a', `10.${i >> 8}.${i & 255}.1`, { connections: 1 }));
    const series = (await samples('netgraph_edge_connections_total')).length;
    const ngraph = (await samples('network_connections_output_total')).length;
    // Up to the cap, plus one overflow label set per metric.
    expect(series * 5 + ngraph).toBeLessThanOrEqual(60 + 5 + 1);
    const total = (await samples('netgraph_edge_connections_total')).reduce(
      (n, s) => n + s.value,
      0,
    );
    expect(total).toBe(500);
    const overflow = await samples('netgraph_metrics_overflow_edges_total');
    expect(overflow.find((s) => s.labels.metric === 'netgraph')?.value).toBeGreaterThan(400);
    const text = await exposition(m, registry);
    expect(text).toMatch(/netgraph_edge_connections_total\{remote_kind="overflow"\} \d+/);
    expect(text).toMatch(/netgraph_metrics_series_limit 60/);
  });

  it('names outside peers by the DNS name the pod asked for, PTR second, and holds the cap', async () => {
    const { m, samples } = setup({ maxSeries: 60 });
    const dns = { remoteName: 'api.example.com', remoteNameSource: 'dns' as const };
    const ptr = { remoteName: 'host-7.provider.example', remoteNameSource: 'ptr' as const };
    m.edge('gadget/g', 'w1', edge('client-a', '198.51.100.7', { connections: 1, ...dns }));
    m.edge('gadget/g', 'w1', edge('client-a', '203.0.113.9', { connections: 1, ...ptr }));
    const named = (await samples('netgraph_edge_connections_total')).map(
      (s) => s.labels.remote_workload,
    );
    expect(named.sort()).toEqual(['api.example.com', 'host-7.provider.example']);
    const ngraph = await samples('network_connections_output_total');
    expect(ngraph.map((s) => [s.labels.peer_hostname, s.labels.dest_ip]).sort()).toEqual([
      ['api.example.com', '198.51.100.0/24'],
      ['host-7.provider.example', '203.0.113.0/24'],
    ]);
    // A pod that looks up hundreds of names in one network: the cap holds, the rest overflow.
    for (let i = 0; i < 500; i++)
      m.edge(
        'gadget/g',
        'w1',
        edge('client-a', `198.51.100.${i & 255}`, {
          connections: 1,
          remoteName: `n${i}.example.com`,
          remoteNameSource: 'dns',
        }),
      );
    const series = (await samples('netgraph_edge_connections_total')).length;
    expect(
      series * 5 + (await samples('network_connections_output_total')).length,
    ).toBeLessThanOrEqual(60 + 5 + 1);
  });

  it("removes a gone workload's series after the grace period, and only then", async () => {
    const { m, clock, samples } = setup({ graceMs: 60_000 });
    m.edge('gadget/g', 'w1', edge('client-a', '198.51.100.1', { connections: 1 }));
    const other = { ...edge('lonely', '198.51.100.1', { connections: 1 }), podOwner: undefined };
    m.edge('gadget/g', 'w1', other);
    const alive = new Set(['demo/Deployment/client', 'demo/Pod/lonely']);
    m.sweep((w) => alive.has(w));
    alive.delete('demo/Deployment/client');
    m.sweep((w) => alive.has(w));
    clock.t = 59_000;
    m.sweep((w) => alive.has(w));
    expect(await samples('netgraph_edge_connections_total')).toHaveLength(2);
    clock.t = 61_000;
    expect(m.sweep((w) => alive.has(w))).toBe(2); // its netgraph and ngraph label sets
    const left = await samples('netgraph_edge_connections_total');
    expect(left.map((s) => s.labels.workload)).toEqual(['lonely']);
  });

  it('adds pod and IP labels for a trace that opts in', async () => {
    const { m, samples } = setup();
    m.started('gadget/pods', {}, { groupBy: 'pod', ips: [], metricsLabels: ['pod', 'ip'] });
    m.edge('gadget/pods', 'w1', edge('client-a', '198.51.100.1', { connections: 1 }));
    const [s] = await samples('netgraph_edge_connections_total');
    expect(s?.labels).toMatchObject({
      pod: 'client-a',
      pod_ip: '10.244.0.5',
      remote_ip: '198.51.100.1',
    });
  });

  it('counts a peer its pod names later under the name from then on, none lost or twice', async () => {
    const { m, samples } = setup();
    const { send } = await namedLater([m], 'gadget/g');
    // Another pod of the workload keeps counting on the peer's network.
    m.edge('gadget/g', 'n1', edge('client-b', '203.0.113.9', { connections: 1, bytesSent: 50 }));
    send(unnamed(1, 100));
    send(named(2, 300));
    send(named(4, 700));
    const by = async (name: string, label: string) =>
      Object.fromEntries(
        (await samples(name))
          .filter((x) => x.labels.direction !== 'received')
          .map((x) => [x.labels[label] ?? '', x.value]),
      );
    // What it counted unnamed stays on the network's series (a counter never goes down).
    expect(await by('netgraph_edge_connections_total', 'remote_workload')).toEqual({
      '203.0.113.0/24': 1 + 1,
      [OUTSIDE_NAME]: 3,
    });
    expect(await by('netgraph_edge_bytes_total', 'remote_workload')).toEqual({
      '203.0.113.0/24': 50 + 100,
      [OUTSIDE_NAME]: 600,
    });
    expect(await by('network_connections_output_total', 'peer_hostname')).toEqual({
      '': 2,
      [OUTSIDE_NAME]: 3,
    });
  });

  it('counts a peer named later under overflow when its name does not fit under the cap', async () => {
    // One edge's label sets: 5 series of netgraph's, 1 of ngraph's.
    const { m, samples } = setup({ maxSeries: 6 });
    const { send } = await namedLater([m], 'gadget/g');
    send(unnamed(1, 100));
    send(named(2, 300));
    const conns = await samples('netgraph_edge_connections_total');
    expect(conns.map((x) => [x.labels.remote_workload ?? x.labels.remote_kind, x.value])).toEqual([
      ['203.0.113.0/24', 1],
      ['overflow', 1],
    ]);
  });
});
