import { describe, expect, it } from 'vitest';
import type { Edge } from '../../api/edge.js';
import { baselineOf, EdgeWindow, flowEdgeKey } from './edge-window.js';

const edge = (over: Partial<Edge>): Edge => ({
  type: 'normal',
  pktType: 'OUTGOING',
  proto: 'tcp',
  ip: '10.0.0.2',
  port: 80,
  connections: 1,
  packetsSent: 10,
  packetsReceived: 8,
  bytesSent: 1000,
  bytesReceived: 800,
  bytesTotal: 1800,
  firstSeen: '2026-01-01T00:00:00.000Z',
  lastSeen: '2026-01-01T00:00:05.000Z',
  ...over,
});

describe('EdgeWindow', () => {
  it('sees everything without a baseline', () => {
    const e = edge({});
    expect(new EdgeWindow().view(e)).toBe(e);
  });

  it('subtracts the counters at its start, and starts its edges no earlier than itself', () => {
    const since = '2026-01-01T00:00:03.000Z';
    const w = new EdgeWindow(baselineOf([edge({})], new Map()), since);
    expect(
      w.view(
        edge({
          packetsSent: 15,
          bytesSent: 1600,
          bytesTotal: 2400,
          lastSeen: '2026-01-01T00:00:09.000Z',
        }),
      ),
    ).toMatchObject({
      connections: 0,
      packetsSent: 5,
      packetsReceived: 0,
      bytesSent: 600,
      bytesReceived: 0,
      bytesTotal: 600,
      firstSeen: since,
      lastSeen: '2026-01-01T00:00:09.000Z',
    });
  });

  it('leaves out an edge with nothing new, keeps a connection still open at its start', () => {
    const old = edge({ port: 80 });
    const held = edge({ port: 443, connections: 3 });
    const w = new EdgeWindow(baselineOf([old, held], new Map([[flowEdgeKey(held), 1]])));
    expect(w.view(old)).toBeUndefined();
    expect(w.view(held)).toMatchObject({ connections: 1, packetsSent: 0, bytesTotal: 0 });
    // Edges it has no baseline for are new since it started; warnings pass.
    const fresh = edge({ port: 8080 });
    expect(w.view(fresh)).toBe(fresh);
    const warn: Edge = { type: 'warn', message: 'full' };
    expect(w.view(warn)).toBe(warn);
  });
});
