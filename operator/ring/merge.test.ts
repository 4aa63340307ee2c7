import { describe, expect, it } from 'vitest';
import type { Edge } from '../../api/edge.js';
import type { TraceSummary } from '../../api/graph.js';
import { BIN_MS } from '../history/bin-log.js';
import { HistoryStore } from '../history/history.js';
import {
  appendPart,
  coverage,
  mergeLists,
  mergeViews,
  partOf,
  partView,
  type TraceView,
  uniqueNodeEdges,
} from './merge.js';

const T0 = 1_700_000_000_000;
const PARAMS = { groupBy: 'pod' as const, ips: [] };

const edge = (node: string, pod: string, port: number, bytesSent: number): Edge => ({
  type: 'normal',
  node,
  namespace: 'demo',
  pod,
  pktType: 'OUTGOING',
  proto: 'tcp',
  ip: '10.0.0.9',
  port,
  remoteKind: 'other',
  connections: 1,
  bytesSent,
  bytesReceived: 0,
});

/** A replica's history of the trace: `feed` tells it edges at `ms`. */
function replica() {
  const clock = { now: T0 };
  const store = new HistoryStore({
    now: () => clock.now,
    groupNames: (e) => ({ group: e.namespace ?? '', remoteGroup: e.ip ?? '' }),
  });
  store.started('gadget/t', {}, PARAMS);
  const feed = (ms: number, e: Edge) => {
    clock.now = ms;
    store.edge('gadget/t', e.node ?? '', e);
  };
  const view = (): TraceView => {
    const h = store.get('gadget/t');
    if (!h) throw new Error('not held');
    return {
      key: h.key,
      parameters: h.parameters,
      startedAt: h.startedAt,
      ...(h.stoppedAt === undefined ? {} : { stoppedAt: h.stoppedAt }),
      end: store.endOf(h),
      records: h.records,
      each: (f, t, v) => store.each(h, f, t, v),
    };
  };
  return { clock, store, feed, view };
}

/** Bytes sent by each edge (node/pod:port) in bins from..to. */
function sentBy(v: TraceView, from: number, to: number): Record<string, number> {
  const out: Record<string, number> = {};
  v.each(from, to, (_bin, id, _c, s) => {
    const e = v.records[id]?.edge;
    const k = `${e?.node}/${e?.pod}:${e?.port}`;
    out[k] = (out[k] ?? 0) + s;
  });
  return out;
}

/** A peer's view as the asker sees it: its part over the wire (JSON), then as a view. */
const overTheWire = (v: TraceView, from: number, to: number) => {
  const part = JSON.parse(
    JSON.stringify(partOf(v, { after: 0, fromMs: from, toMs: to, bins: 'each', memoryFromMs: 0 })),
  );
  return partView(part, part.records, to);
};

describe('merging replicas’ parts of a trace', () => {
  it("has every node's edge once, with the bytes each replica counted, as one replica would", () => {
    // One replica holding both nodes: the truth.
    const one = replica();
    // Two replicas, a node each, then n2 handed from b to a at T0+30s.
    const a = replica();
    const b = replica();
    const traffic: [number, Edge, 'a' | 'b'][] = [
      [T0, edge('n1', 'client', 80, 100), 'a'],
      [T0 + 1000, edge('n2', 'server', 443, 50), 'b'],
      [T0 + 11_000, edge('n1', 'client', 80, 300), 'a'],
      [T0 + 12_000, edge('n2', 'server', 443, 70), 'b'],
      [T0 + 31_000, edge('n2', 'server', 443, 170), 'a'],
      [T0 + 32_000, edge('n1', 'client', 81, 5), 'a'],
    ];
    for (const [ms, e, owner] of traffic) {
      one.feed(ms, e);
      // The new owner of n2 counts from where the old one stopped (70 bytes).
      const own =
        owner === 'a' && e.node === 'n2' ? { ...e, bytesSent: (e.bytesSent ?? 0) - 70 } : e;
      (owner === 'a' ? a : b).feed(ms, own);
    }
    for (const r of [one, a, b]) r.clock.now = T0 + 40_000;

    const from = T0;
    const to = T0 + 40_000;
    const merged = mergeViews([a.view(), overTheWire(b.view(), from, to)]);
    expect(
      merged?.records.map((r) => `${r.edge.node}/${r.edge.pod}:${r.edge.port}`).sort(),
    ).toEqual(['n1/client:80', 'n1/client:81', 'n2/server:443']);
    expect(sentBy(merged as TraceView, from, to)).toEqual(sentBy(one.view(), from, to));
    // And bin by bin.
    for (let t = from; t <= to; t += BIN_MS)
      expect(sentBy(merged as TraceView, t, t)).toEqual(sentBy(one.view(), t, t));
  });

  it("sends a window's sums that count as its bins do, and bins where the memory ends", () => {
    const r = replica();
    // 40 bins of traffic on two edges, one quiet for a while.
    for (let b = 0; b < 40; b++) {
      r.feed(T0 + b * BIN_MS + 1, edge('n1', 'a', 1, 100 * (b + 1)));
      if (b < 10 || b > 30) r.feed(T0 + b * BIN_MS + 2, edge('n1', 'b', 2, 7 * (b + 1)));
    }
    const v = r.view();
    const ask = (bins: 'each' | 'window', beforeMs: number, fromMs: number, toMs: number) => {
      const part = partOf(v, { after: 0, fromMs, toMs, beforeMs, bins, memoryFromMs: T0 });
      return { view: partView(part, part.records, toMs), entries: part.bins.length / 5 };
    };
    const [before, from, to] = [T0 + 50_000, T0 + 200_000, T0 + 350_000];
    const each = ask('each', before, from, to);
    const sums = ask('window', before, from, to);
    for (const [f, t] of [
      [from, to],
      [before, from],
    ] as const)
      expect(sentBy(sums.view, f, t)).toEqual(sentBy(each.view, f, t));
    // One entry an edge a window, against one an edge a bin.
    expect(sums.entries).toBe(4);
    expect(each.entries).toBeGreaterThan(30);
    // A window starting before the memory is sent bin by bin (Prometheus has what came before).
    const early = partOf(v, {
      after: 0,
      fromMs: T0 + 100_000,
      toMs: to,
      bins: 'window',
      memoryFromMs: T0 + 150_000,
    });
    expect(early.bins.length / 5).toBeGreaterThan(20);
  });

  it('is running while any replica runs, stopped at the last stop otherwise', () => {
    const base = replica().view();
    const at = (stoppedAt?: number): TraceView => ({
      ...base,
      ...(stoppedAt === undefined ? {} : { stoppedAt }),
      end: stoppedAt ?? T0 + 9,
    });
    expect(mergeViews([at(T0 + 5), at()])?.stoppedAt).toBeUndefined();
    expect(mergeViews([at(T0 + 5), at(T0 + 7)])?.stoppedAt).toBe(T0 + 7);
    expect(mergeViews([])).toBeUndefined();
  });

  it('sends a peer only the edges it lacks, and all of them after the trace started afresh', () => {
    const r = replica();
    r.feed(T0, edge('n1', 'a', 1, 1));
    r.feed(T0 + 1, edge('n1', 'b', 2, 1));
    const first = partOf(r.view(), {
      after: 0,
      fromMs: T0,
      toMs: T0 + 1,
      bins: 'none',
      memoryFromMs: T0,
    });
    expect(first.records).toHaveLength(2);
    expect(first.bins).toEqual([]);
    let held = appendPart(undefined, first);
    r.feed(T0 + 2, edge('n1', 'c', 3, 1));
    const next = partOf(r.view(), {
      after: held?.records.length ?? 0,
      epoch: held?.startedAt,
      fromMs: T0,
      toMs: T0 + 2,
      bins: 'each',
      memoryFromMs: T0,
    });
    expect(next.after).toBe(2);
    expect(next.records.map((x) => x.edge.pod)).toEqual(['c']);
    held = appendPart(held, next);
    expect(held?.records.map((x) => x.edge.pod)).toEqual(['a', 'b', 'c']);

    // Started afresh: a new start, edges from 0 again.
    r.clock.now = T0 + 100;
    r.store.started('gadget/t', {}, PARAMS);
    r.feed(T0 + 101, edge('n1', 'd', 4, 1));
    const fresh = partOf(r.view(), {
      after: 3,
      epoch: held?.startedAt,
      fromMs: T0,
      toMs: T0 + 101,
      bins: 'each',
      memoryFromMs: T0,
    });
    expect(fresh.after).toBe(0);
    expect(appendPart(held, fresh)?.records.map((x) => x.edge.pod)).toEqual(['d']);
    // A part past what is held does not fit: the asker asks again from 0.
    expect(appendPart(undefined, { ...next })).toBeUndefined();
  });
});

describe('merging replicas’ trace lists', () => {
  const summary = (over: Partial<TraceSummary>): TraceSummary => ({
    trace: 'gadget/t',
    namespace: 'gadget',
    name: 't',
    state: 'Started',
    startedAt: '2026-01-01T00:00:10.000Z',
    edges: 3,
    parameters: PARAMS,
    historySeconds: 3600,
    ...over,
  });

  it('lists each trace once, its edges summed, running if any replica runs it', () => {
    const merged = mergeLists([
      [summary({}), summary({ trace: 'gadget/u', name: 'u' })],
      [
        summary({
          edges: 4,
          state: 'Stopped',
          startedAt: '2026-01-01T00:00:05.000Z',
          stoppedAt: '2026-01-01T00:01:00.000Z',
        }),
      ],
    ]);
    expect(merged).toEqual([
      summary({ edges: 7, startedAt: '2026-01-01T00:00:05.000Z' }),
      summary({ trace: 'gadget/u', name: 'u' }),
    ]);
    const stopped = (at: string) =>
      summary({ state: 'Stopped', stoppedAt: `2026-01-01T00:0${at}:00.000Z` });
    expect(mergeLists([[stopped('1')], [stopped('2')]])[0]).toMatchObject({
      state: 'Stopped',
      stoppedAt: '2026-01-01T00:02:00.000Z',
      edges: 6,
    });
  });
});

describe('edges and coverage', () => {
  it("keeps each node's edge once across replicas", () => {
    const e = edge('n1', 'client', 80, 1);
    const out = uniqueNodeEdges([
      [e, edge('n2', 'client', 80, 1)],
      [{ ...e, bytesSent: 9 }, edge('n1', 'client', 81, 1)],
    ]);
    expect(out.map((x) => `${x.node}:${x.port}:${x.bytesSent}`)).toEqual([
      'n1:80:1',
      'n2:80:1',
      'n1:81:1',
    ]);
  });

  it('says partial only when a peer is missing', () => {
    expect(coverage('r0', ['r1'], [])).toEqual({ answered: ['r0', 'r1'], missing: [] });
    expect(coverage('r0', [], ['r1'])).toEqual({
      answered: ['r0'],
      missing: ['r1'],
      partial: true,
    });
  });
});
