import { describe, expect, it } from 'vitest';
import type { Edge } from '../../api/edge.js';
import type { GroupBy } from '../../api/trace.js';
import { fixtureState } from '../../test/fixtures/k8s/cluster.js';
import { Enricher } from './enricher.js';
import { GroupView, groupEdges, groupKey } from './group.js';

const state = fixtureState();
const enricher = new Enricher(state);

const edge = (e: Partial<Edge>): Edge =>
  enricher.enrich({ type: 'normal', node: 'node-a', namespace: 'demo', proto: 'tcp', ...e });

const client = 'client-7d4b9c-x2k4p';
const seen = (s: number) => `2025-11-23T10:00:${String(s).padStart(2, '0')}Z`;
const edges: Edge[] = [
  // client -> service server, over both families
  edge({
    pod: client,
    pktType: 'OUTGOING',
    ip: '10.96.12.34',
    port: 80,
    connections: 2,
    packetsSent: 10,
    packetsReceived: 12,
    bytesSent: 100,
    bytesReceived: 1000,
    bytesTotal: 1100,
    firstSeen: seen(5),
    lastSeen: seen(9),
  }),
  edge({
    pod: client,
    pktType: 'OUTGOING',
    ip: 'fd00:10:96::1234',
    port: 80,
    connections: 1,
    packetsSent: 5,
    packetsReceived: 6,
    bytesSent: 50,
    bytesReceived: 500,
    bytesTotal: 550,
    firstSeen: seen(1),
    lastSeen: seen(7),
  }),
  // debug -> service server
  edge({
    pod: 'debug',
    pktType: 'OUTGOING',
    ip: '10.96.12.34',
    port: 80,
    connections: 1,
    packetsSent: 1,
    packetsReceived: 1,
    bytesSent: 7,
    bytesReceived: 70,
    bytesTotal: 77,
  }),
  // server-0 accepted from the client pod
  edge({
    node: 'node-b',
    pod: 'server-0',
    pktType: 'HOST',
    ip: '10.244.1.5',
    port: 8080,
    connections: 3,
    bytesSent: 1500,
    bytesReceived: 150,
    bytesTotal: 1650,
  }),
  // backup (ops) -> server-0 directly
  edge({
    namespace: 'ops',
    pod: 'backup-28930000-qv7zl',
    pktType: 'OUTGOING',
    ip: '10.244.2.9',
    port: 8080,
    connections: 1,
    bytesSent: 11,
    bytesReceived: 22,
    bytesTotal: 33,
  }),
  // client -> node-b's kubelet
  edge({
    pod: client,
    pktType: 'OUTGOING',
    ip: '10.250.0.4',
    port: 10250,
    connections: 1,
    bytesSent: 3,
    bytesReceived: 4,
    bytesTotal: 7,
  }),
];

/** group -> remoteGroup pktType/proto/port -> [connections, bytesSent, bytesReceived, bytesTotal] */
function summary(by: GroupBy, ips: string[] = []) {
  return Object.fromEntries(
    groupEdges(edges, { groupBy: by, ips }, state).map((g) => [
      `${g.group} -> ${g.remoteGroup} ${g.pktType}/${g.proto}/${g.port}`,
      [g.connections, g.bytesSent, g.bytesReceived, g.bytesTotal],
    ]),
  );
}

describe('groupEdges', () => {
  it('returns the edges themselves for groupBy pod', () => {
    const out = groupEdges(edges, { groupBy: 'pod', ips: [] }, state);
    expect(out).toHaveLength(edges.length);
    expect(out[0]).toBe(edges[0]);
  });

  it('sums exact counters per namespace', () => {
    expect(summary('namespace')).toEqual({
      'demo -> demo OUTGOING/tcp/80': [4, 157, 1570, 1727],
      'demo -> demo HOST/tcp/8080': [3, 1500, 150, 1650],
      'ops -> demo OUTGOING/tcp/8080': [1, 11, 22, 33],
      'demo -> node/node-b OUTGOING/tcp/10250': [1, 3, 4, 7],
    });
  });

  it('sums per service, a pod no service selects standing for itself', () => {
    expect(summary('service')).toEqual({
      'demo/service/web -> demo/service/server OUTGOING/tcp/80': [3, 150, 1500, 1650],
      'demo/pod/debug -> demo/service/server OUTGOING/tcp/80': [1, 7, 70, 77],
      'demo/service/server,server-headless -> demo/service/web HOST/tcp/8080': [3, 1500, 150, 1650],
      'ops/pod/backup-28930000-qv7zl -> demo/service/server,server-headless OUTGOING/tcp/8080': [
        1, 11, 22, 33,
      ],
      'demo/service/web -> node/node-b OUTGOING/tcp/10250': [1, 3, 4, 7],
    });
  });

  it('sums per owner', () => {
    expect(summary('owner')).toEqual({
      'demo/deployment/client -> demo/service/server OUTGOING/tcp/80': [3, 150, 1500, 1650],
      'demo/pod/debug -> demo/service/server OUTGOING/tcp/80': [1, 7, 70, 77],
      'demo/statefulset/server -> demo/deployment/client HOST/tcp/8080': [3, 1500, 150, 1650],
      'ops/cronjob/backup -> demo/statefulset/server OUTGOING/tcp/8080': [1, 11, 22, 33],
      'demo/deployment/client -> node/node-b OUTGOING/tcp/10250': [1, 3, 4, 7],
    });
  });

  it('sums per node, node addresses and remote pods landing on the same node names', () => {
    expect(summary('node')).toEqual({
      'node/node-a -> demo/service/server OUTGOING/tcp/80': [4, 157, 1570, 1727],
      'node/node-b -> node/node-a HOST/tcp/8080': [3, 1500, 150, 1650],
      'node/node-a -> node/node-b OUTGOING/tcp/8080': [1, 11, 22, 33],
      'node/node-a -> node/node-b OUTGOING/tcp/10250': [1, 3, 4, 7],
    });
  });

  it("sums the kubelet's probes from a node's pod-range gateway with that node's other traffic", () => {
    const ranged = fixtureState();
    ranged.apply('Node', 'MODIFIED', {
      metadata: { name: 'node-b' },
      spec: { podCIDR: '10.244.2.0/24' },
      status: { addresses: [{ type: 'InternalIP', address: '10.250.0.4' }] },
    });
    const probe = new Enricher(ranged).enrich({
      type: 'normal',
      node: 'node-b',
      namespace: 'demo',
      pod: 'server-0',
      pktType: 'HOST',
      proto: 'tcp',
      ip: '10.244.2.1',
      port: 8080,
      connections: 2,
    });
    for (const [by, group] of [
      ['node', 'node/node-b'],
      ['owner', 'demo/statefulset/server'],
    ] as const) {
      expect(groupEdges([probe], { groupBy: by, ips: [] }, ranged)[0]).toMatchObject({
        group,
        remoteGroup: 'node/node-b',
        connections: 2,
      });
    }
  });

  it('keeps the widest time span and the shared side fields, and leaves the input alone', () => {
    const before = structuredClone(edges);
    const [g] = groupEdges(edges, { groupBy: 'owner', ips: [] }, state);
    expect(g).toEqual({
      type: 'normal',
      node: undefined,
      namespace: 'demo',
      pktType: 'OUTGOING',
      proto: 'tcp',
      port: 80,
      group: 'demo/deployment/client',
      remoteGroup: 'demo/service/server',
      connections: 3,
      packetsSent: 15,
      packetsReceived: 18,
      bytesSent: 150,
      bytesReceived: 1500,
      bytesTotal: 1650,
      firstSeen: seen(1),
      lastSeen: seen(9),
    });
    expect(edges).toEqual(before);
  });

  it('keeps only edges whose remote IP is listed, in any text form', () => {
    expect(summary('namespace', ['FD00:10:96:0::1234'])).toEqual({
      'demo -> demo OUTGOING/tcp/80': [1, 50, 500, 550],
    });
    const pods = groupEdges(edges, { groupBy: 'pod', ips: ['10.250.0.4', '10.244.2.9'] }, state);
    expect(pods.map((e) => e.ip)).toEqual(['10.244.2.9', '10.250.0.4']);
    expect(groupEdges(edges, { groupBy: 'pod', ips: ['192.0.2.1'] }, state)).toEqual([]);
  });

  it('gives grouped edges keys that are stable and unique', () => {
    const a = groupEdges(edges, { groupBy: 'service', ips: [] }, state).map(groupKey);
    const b = groupEdges([...edges].reverse(), { groupBy: 'service', ips: [] }, state).map(
      groupKey,
    );
    expect(new Set(a).size).toBe(a.length);
    expect([...b].sort()).toEqual([...a].sort());
    expect(a[0]).toBe('demo/service/web|demo/service/server|OUTGOING|tcp|80');
  });
});

describe('GroupView', () => {
  it('logs a group when it first appears, and sums the counters as they are when asked', () => {
    const view = new GroupView({ groupBy: 'namespace', ips: [] }, state);
    const first = structuredClone(edges[0] as Edge);
    const second = structuredClone(edges[1] as Edge);
    expect(view.add(first)).toMatchObject({
      group: 'demo',
      remoteGroup: 'demo',
      bytesSent: 100,
      bytesReceived: 1000,
    });
    expect(view.add(second)).toBeUndefined(); // same group: nothing new to log
    // The operator replaces an edge's cumulative counters in place, then calls update().
    Object.assign(first, { bytesSent: 400, bytesReceived: 4000, bytesTotal: 4400 });
    view.update();
    expect(view.edges()).toMatchObject([{ bytesSent: 450, bytesReceived: 4500, bytesTotal: 4950 }]);
  });

  it('shows pod edges as they are, filters by ips, and passes messages through', () => {
    const view = new GroupView({ groupBy: 'pod', ips: ['10.244.2.9'] }, state);
    const warn: Edge = { type: 'warn', node: 'node-a', message: 'edge map full' };
    expect(view.add(edges[0] as Edge)).toBeUndefined();
    expect(view.add(edges[4] as Edge)).toBe(edges[4]);
    expect(view.add(warn)).toBe(warn);
    expect(view.edges()).toEqual([edges[4], warn]);
    expect(groupEdges([warn, ...edges], { groupBy: 'owner', ips: [] }, state)[0]).toBe(warn);
  });
});
