import { describe, expect, it } from 'vitest';
import type { Edge } from '../../api/edge.js';
import { BIN_MS } from './bin-log.js';
import { HistoryStore, type TraceHistory } from './history.js';

const params = { groupBy: 'pod' as const, ips: [] };
const T0 = 1_700_000_000_000; // a bin boundary

function store(windowMs = 3_600_000, keepStopped = 10) {
  const clock = { now: T0 };
  const s = new HistoryStore({
    windowMs,
    keepStopped,
    now: () => clock.now,
    groupNames: (e) => ({ group: e.namespace ?? '', remoteGroup: e.ip ?? '' }),
  });
  return { s, clock };
}

const edge = (bytesSent: number, bytesReceived = 0, connections = 1): Edge => ({
  type: 'normal',
  node: 'n1',
  namespace: 'demo',
  pod: 'client',
  pktType: 'OUTGOING',
  proto: 'tcp',
  ip: '10.96.0.10',
  port: 80,
  connections,
  bytesSent,
  bytesReceived,
  bytesTotal: bytesSent + bytesReceived,
});

/** [bin offset from T0, connections, sent, received] of every delta in the window. */
function deltas(s: HistoryStore, h: TraceHistory, from = T0 - 3_600_000, to = T0 + 3_600_000) {
  const out: number[][] = [];
  s.each(h, from, to, (bin, _e, c, sent, r) => out.push([bin - T0 / BIN_MS, c, sent, r]));
  return out;
}

describe('HistoryStore', () => {
  it('turns cumulative counters into 10-second bins of deltas', () => {
    const { s, clock } = store();
    s.started('gadget/t', {}, params);
    const e = edge(100, 10);
    s.edge('gadget/t', 'n1', e);
    clock.now += 3_000;
    Object.assign(e, edge(150, 20)); // same object, counters grown in place
    s.edge('gadget/t', 'n1', e);
    clock.now += 12_000;
    Object.assign(e, edge(400, 20, 2));
    s.edge('gadget/t', 'n1', e);
    const h = s.get('gadget/t') as TraceHistory;
    expect(deltas(s, h)).toEqual([
      [0, 1, 150, 20],
      [1, 1, 250, 0],
    ]);
    // Only the second bin is inside a window starting at T0+10s.
    expect(deltas(s, h, T0 + BIN_MS)).toEqual([[1, 1, 250, 0]]);
    // The store keeps a copy as first seen, not the object it was given.
    e.ip = '10.0.0.1';
    expect(h.records[0]?.edge.ip).toBe('10.96.0.10');
    expect(h.records).toHaveLength(1);
  });

  it('drops bins older than the window', () => {
    const { s, clock } = store(60_000);
    s.started('gadget/t', {}, params);
    s.edge('gadget/t', 'n1', edge(100));
    clock.now += 120_000;
    s.edge('gadget/t', 'n1', edge(130));
    const h = s.get('gadget/t') as TraceHistory;
    expect(deltas(s, h)).toEqual([[12, 0, 30, 0]]);
  });

  it('counts a counter that went down as starting again from zero', () => {
    const { s } = store();
    s.started('gadget/t', {}, params);
    s.edge('gadget/t', 'n1', edge(100));
    s.edge('gadget/t', 'n1', edge(40));
    expect(deltas(s, s.get('gadget/t') as TraceHistory)).toEqual([[0, 1, 140, 0]]);
  });

  it('keeps stopped traces (the newest ones) until deleted, and starts afresh on start', () => {
    const { s, clock } = store(3_600_000, 2);
    for (const t of ['a', 'b', 'c']) {
      s.started(`gadget/${t}`, {}, params);
      s.edge(`gadget/${t}`, 'n1', edge(10));
      clock.now += 1000;
      s.ended(`gadget/${t}`, 'stopped');
    }
    expect(s.list().map((h) => h.key)).toEqual(['gadget/b', 'gadget/c']);
    // Edges after the stop are not counted; the last state stays readable.
    s.edge('gadget/c', 'n1', edge(99));
    expect(deltas(s, s.get('gadget/c') as TraceHistory)).toEqual([[0, 1, 10, 0]]);
    const c = s.get('gadget/c') as TraceHistory;
    expect(s.endOf(c)).toBe(c.stoppedAt);
    s.ended('gadget/b', 'deleted');
    expect(s.get('gadget/b')).toBeUndefined();
    s.started('gadget/c', {}, params);
    expect(s.get('gadget/c')?.records).toEqual([]);
  });

  it('ignores agent messages', () => {
    const { s } = store();
    s.started('gadget/t', {}, params);
    s.edge('gadget/t', 'n1', { type: 'warn', message: 'edge map full' });
    expect(s.get('gadget/t')?.records).toEqual([]);
  });
});
