import { describe, expect, it } from 'vitest';
import type { Edge } from '../../api/edge.js';
import { fixtureState } from '../../test/fixtures/k8s/cluster.js';
import { named, namedLater, OUTSIDE_IP, OUTSIDE_NAME, unnamed } from '../../test/named-later.js';
import { Enricher } from '../enrich/enricher.js';
import { groupNames } from '../enrich/group.js';
import { HistoryStore, type TraceHistory } from '../history/history.js';
import { buildGraph, diff, entityParts, type GraphQuery, UNFILTERED } from './graph.js';

const state = fixtureState();
const enricher = new Enricher(state);
const client = 'client-7d4b9c-x2k4p';

const edge = (e: Partial<Edge>): Edge =>
  enricher.enrich({ type: 'normal', namespace: 'demo', proto: 'tcp', connections: 1, ...e });

/** Both ends of client -> Service server (10.96.12.34:80 -> server-0:8080), and debug -> server-0 direct. */
const EDGES: [string, Edge][] = [
  [
    'node-a',
    edge({
      node: 'node-a',
      pod: client,
      pktType: 'OUTGOING',
      ip: '10.96.12.34',
      port: 80,
      bytesSent: 100,
      bytesReceived: 1000,
    }),
  ],
  [
    'node-b',
    edge({
      node: 'node-b',
      pod: 'server-0',
      pktType: 'HOST',
      ip: '10.244.1.5',
      port: 8080,
      bytesSent: 990,
      bytesReceived: 101,
    }),
  ],
  [
    'node-a',
    edge({
      node: 'node-a',
      pod: 'debug',
      pktType: 'OUTGOING',
      ip: '10.244.2.9',
      port: 8080,
      bytesSent: 7,
      bytesReceived: 70,
    }),
  ],
  [
    'node-b',
    edge({
      node: 'node-b',
      pod: 'server-0',
      pktType: 'HOST',
      ip: '10.244.1.6',
      port: 8080,
      bytesSent: 71,
      bytesReceived: 8,
    }),
  ],
];

/** The graph with every record's own counters as its window's totals; `before` maps them for the window before. */
function graphOf(q: Partial<GraphQuery>, before?: (now: number[], record: number) => number[]) {
  const s = new HistoryStore({ groupNames: (e, by) => groupNames(e, by, state), now: () => 0 });
  s.started('gadget/t', {}, { groupBy: 'pod', ips: [] });
  for (const [node, e] of EDGES) s.edge('gadget/t', node, e);
  const records = s.get('gadget/t')?.records ?? [];
  const totals = new Float64Array(3 * records.length);
  for (const r of records)
    totals.set(
      [r.edge.connections ?? 0, r.edge.bytesSent ?? 0, r.edge.bytesReceived ?? 0],
      3 * r.id,
    );
  const earlier = before && new Float64Array(totals.length);
  if (earlier)
    for (const r of records)
      earlier.set(before([...totals.subarray(3 * r.id, 3 * r.id + 3)], r.id), 3 * r.id);
  return buildGraph(records, totals, { ...UNFILTERED, ...q }, earlier);
}

const rows = (q: Partial<GraphQuery>) =>
  graphOf(q).graph.edges.map((e) => [
    e.source,
    e.target,
    e.bytesSent,
    e.bytesReceived,
    e.ports.join(),
  ]);

describe('buildGraph', () => {
  it('shows a call through a Service as client -> Service -> server, each counted once', () => {
    expect(rows({})).toEqual([
      [`demo/pod/${client}`, 'demo/service/server', 100, 1000, 'tcp/80'],
      // The server's side, turned to the requester's: the client sent 101, got 990.
      ['demo/service/server', 'demo/pod/server-0', 101, 990, 'tcp/8080'],
      // Seen from both ends, one edge, counted from the client's side.
      ['demo/pod/debug', 'demo/pod/server-0', 7, 70, 'tcp/8080'],
    ]);
    const kinds = graphOf({}).graph.entities.map((e) => [e.id, e.kind, e.namespace]);
    expect(kinds).toContainEqual(['demo/service/server', 'service', 'demo']);
  });

  it('folds the Service into client -> server on request', () => {
    expect(rows({ services: 'fold' })).toEqual([
      [`demo/pod/${client}`, 'demo/pod/server-0', 101, 990, 'tcp/8080'],
      ['demo/pod/debug', 'demo/pod/server-0', 7, 70, 'tcp/8080'],
    ]);
  });

  it('collapses to namespaces', () => {
    const g = graphOf({ groupBy: 'namespace' }).graph;
    expect(g.entities.map((e) => [e.id, e.kind])).toEqual([['demo', 'namespace']]);
    expect(g.edges.map((e) => [e.id, e.bytesTotal])).toEqual([['demo->demo', 1100 + 1091 + 77]]);
  });

  it('keeps only edges to the listed addresses', () => {
    expect(rows({ ips: ['10.96.12.34'] })).toEqual([
      [`demo/pod/${client}`, 'demo/service/server', 100, 1000, 'tcp/80'],
    ]);
  });

  it('filters by namespace and by bytes in the window', () => {
    expect(rows({ namespaces: ['ops'] })).toEqual([]);
    expect(rows({ namespaces: ['demo'], minBytes: 1000 }).map((r) => r[1])).toEqual([
      'demo/service/server',
      'demo/pod/server-0',
    ]);
  });

  it('keeps only edges on the listed ports and protocols', () => {
    expect(rows({ ports: [80] })).toEqual([
      [`demo/pod/${client}`, 'demo/service/server', 100, 1000, 'tcp/80'],
    ]);
    expect(rows({ ports: [8080], protocols: ['tcp'] }).map((r) => r[1])).toEqual([
      'demo/pod/server-0',
      'demo/pod/server-0',
    ]);
    expect(rows({ protocols: ['udp'] })).toEqual([]);
  });

  it("names a pod's owner in the pod view, so the page can draw the owner as one", () => {
    const owners = graphOf({}).graph.entities.map((e) => [e.id, e.owner]);
    expect(owners).toEqual([
      [`demo/pod/${client}`, 'demo/deployment/client'],
      ['demo/service/server', undefined],
      ['demo/pod/server-0', 'demo/statefulset/server'],
      ['demo/pod/debug', undefined],
    ]);
    expect(graphOf({ groupBy: 'namespace' }).graph.entities[0]?.owner).toBeUndefined();
  });

  it('keeps only edges new, gone or moved 2x against the window before, when asked', () => {
    // The same bytes before: nothing changed.
    expect(rows({}).length).toBe(3);
    expect(graphOf({}, (now) => now).graph.edges).toEqual([]);
    // debug -> server-0 new (nothing before), the Service's call 1.5x: only debug's edge.
    const ids = graphOf({}, (now, record) =>
      record >= 2 ? [0, 0, 0] : now.map((x) => x / 1.5),
    ).graph.edges.map((e) => e.id);
    expect(ids).toEqual(['demo/pod/debug->demo/pod/server-0']);
    // Twice as much before (halved now): changed.
    expect(graphOf({}, (now) => now.map((x) => 2 * x)).graph.edges).toHaveLength(3);
  });

  it('sums an entity from its own side of each edge (time series)', () => {
    const { graph, contributions } = graphOf({});
    // server-0 responds on two edges: it sends what the requester received.
    const parts = entityParts(graph, contributions, 'demo/pod/server-0');
    expect([...parts.values()]).toEqual([true, false]);
    const server = graph.entities.find((e) => e.id === 'demo/pod/server-0');
    expect([server?.bytesSent, server?.bytesReceived]).toEqual([990 + 70, 101 + 7]);
  });
});

describe('diff', () => {
  it('lists new and changed edges and the ids gone', () => {
    const before = graphOf({}).graph;
    const after = graphOf({ services: 'fold' }).graph;
    const d = diff(before, after);
    expect(d.edges.map((e) => e.id)).toEqual([`demo/pod/${client}->demo/pod/server-0`]);
    expect(d.removedEdges).toEqual([
      `demo/pod/${client}->demo/service/server`,
      'demo/service/server->demo/pod/server-0',
    ]);
    expect(d.removedEntities).toEqual(['demo/service/server']);
  });
});

describe('an outside peer its pod named after the first sighting', () => {
  it('is one entity from then on, the name, with every byte counted before and after', async () => {
    const s = new HistoryStore({ groupNames: (e, by) => groupNames(e, by, state) });
    const { send } = await namedLater([s]);
    const graph = (groupBy: GraphQuery['groupBy']) => {
      const h = s.get('gadget/t') as TraceHistory;
      const totals = new Float64Array(3 * h.records.length);
      s.each(h, 0, Date.now(), (_bin, r, c, sent, recv) => {
        totals[3 * r] = (totals[3 * r] ?? 0) + c;
        totals[3 * r + 1] = (totals[3 * r + 1] ?? 0) + sent;
        totals[3 * r + 2] = (totals[3 * r + 2] ?? 0) + recv;
      });
      return buildGraph(h.records, totals, { ...UNFILTERED, groupBy }).graph;
    };
    const outside = (g: ReturnType<typeof graph>) =>
      g.entities.filter((e) => e.kind === 'external').map((e) => [e.id, e.bytesReceived]);
    send(unnamed(1, 100));
    const before = graph('pod');
    expect(outside(before)).toEqual([[OUTSIDE_IP, 100]]);
    send(named(2, 300));
    // The id is the name: the entity moves, the bytes of its unnamed time with it.
    for (const by of ['pod', 'owner', 'namespace', 'service', 'node'] as const)
      expect(outside(graph(by))).toEqual([[OUTSIDE_NAME, 300]]);
    const d = diff(before, graph('pod'));
    expect(d.removedEntities).toEqual([OUTSIDE_IP]);
    expect(d.edges.map((e) => e.target)).toEqual([OUTSIDE_NAME]);
    // The local side keeps its groups: the owner view's client is still its Deployment.
    expect(graph('owner').edges.map((e) => e.id)).toEqual([
      `demo/deployment/client->${OUTSIDE_NAME}`,
    ]);
  });
});
