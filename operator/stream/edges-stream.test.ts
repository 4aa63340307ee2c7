import { get as httpGet, type IncomingMessage } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Edge } from '../../api/edge.js';
import type { EdgesStreamLine } from '../../api/edges-stream.js';
import { HttpServer } from '../../lib/http-server.js';
import { logger } from '../../lib/log.js';
import { StreamSlots } from '../../lib/stream-slots.js';
import { named, namedLater, OUTSIDE_IP, OUTSIDE_NAME, unnamed } from '../../test/named-later.js';
import { HistoryStore } from '../history/history.js';
import { EdgesStream } from './edges-stream.js';

const T0 = Date.parse('2026-01-01T12:00:00Z');
const clock = { now: T0 };
const store = new HistoryStore({
  now: () => clock.now,
  groupNames: (e) => ({ group: e.namespace ?? '', remoteGroup: '' }),
});
const stream = new EdgesStream({ store, now: () => clock.now, maxUnsentBytes: 64 * 1024 });
// As the controller tells its observers: the store first, then the stream.
const observers = [store, stream];
const http = new HttpServer(logger('test', 'silent'));
let base = '';

const edge = (pod: string, port: number, firstSeen: number, bytesSent = 100): Edge => ({
  type: 'normal',
  namespace: 'demo',
  pod,
  pktType: 'OUTGOING',
  proto: 'tcp',
  ip: '10.0.0.2',
  port,
  remoteKind: 'pod',
  connections: 1,
  bytesSent,
  firstSeen: new Date(firstSeen).toISOString(),
});
const start = (trace: string) => {
  for (const o of observers) o.started(trace, {}, { groupBy: 'pod', ips: [] });
};
const see = (trace: string, e: Edge) => {
  for (const o of observers) o.edge(trace, 'n1', e);
};
const end = (trace: string, how: 'stopped' | 'deleted') => {
  for (const o of observers) o.ended(trace, how);
};

/** An open stream: its lines so far, parsed, and whether the server ended it. */
function open(path: string): Promise<{
  status: number;
  lines: EdgesStreamLine[];
  blank: { n: number };
  ended: Promise<void>;
  res: IncomingMessage;
}> {
  return new Promise((resolve, reject) => {
    httpGet(`${base}${path}`, (res) => {
      const lines: EdgesStreamLine[] = [];
      const blank = { n: 0 };
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        buf += d;
        for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
          const l = buf.slice(0, i);
          buf = buf.slice(i + 1);
          if (l === '') blank.n++;
          else lines.push(JSON.parse(l));
        }
      });
      const ended = new Promise<void>((r) => res.on('close', () => r()));
      resolve({ status: res.statusCode ?? 0, lines, blank, ended, res });
    }).on('error', reject);
  });
}

async function until<T>(what: () => T | undefined): Promise<T> {
  for (let i = 0; i < 200; i++) {
    const v = what();
    if (v !== undefined) return v;
    await sleep(10);
  }
  throw new Error('timed out');
}

beforeAll(async () => {
  stream.register(http);
  const { port } = await http.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${port}`;
});
afterAll(() => http.close());

describe('the edge stream', () => {
  it('replays the edges held, then sends each new edge once (not its counter updates), then the end', async () => {
    start('gadget/live');
    see('gadget/live', edge('a', 80, T0));
    const s = await open('/api/v1/traces/gadget/live/edges');
    expect(s.status).toBe(200);
    expect(s.res.headers['content-type']).toBe('application/x-ndjson');
    await until(() => s.lines[0]);
    expect(s.lines[0]).toEqual({ edge: expect.objectContaining({ pod: 'a', node: 'n1' }) });
    // Counters grew on the edge already sent: nothing new to say.
    see('gadget/live', edge('a', 80, T0, 500));
    see('gadget/live', edge('b', 443, T0));
    await until(() => s.lines[1]);
    expect(s.lines[1]).toEqual({
      edge: expect.objectContaining({ pod: 'b', port: 443, bytesSent: 100 }),
    });
    end('gadget/live', 'stopped');
    await s.ended;
    expect(s.lines).toHaveLength(3);
    expect(s.lines[2]).toEqual({ end: 'stopped' });
  });

  it('replays only edges first seen within since; a stopped trace ends after its replay', async () => {
    start('gadget/since');
    clock.now = T0 + 10 * 60_000;
    see('gadget/since', edge('old', 80, T0));
    see('gadget/since', edge('new', 80, clock.now - 30_000));
    end('gadget/since', 'stopped');
    const s = await open('/api/v1/traces/gadget/since/edges?since=1m');
    await s.ended;
    expect(s.lines).toEqual([
      { edge: expect.objectContaining({ pod: 'new' }) },
      { end: 'stopped' },
    ]);
    const all = await open('/api/v1/traces/gadget/since/edges');
    await all.ended;
    expect(all.lines).toHaveLength(3);
  });

  it('tells two watchers of the same trace alike, and a deletion ends both', async () => {
    start('gadget/two');
    const [a, b] = await Promise.all([
      open('/api/v1/traces/gadget/two/edges'),
      open('/api/v1/traces/gadget/two/edges'),
    ]);
    await sleep(50);
    see('gadget/two', edge('x', 53, T0));
    end('gadget/two', 'deleted');
    await Promise.all([a.ended, b.ended]);
    for (const s of [a, b])
      expect(s.lines).toEqual([
        { edge: expect.objectContaining({ pod: 'x' }) },
        { end: 'deleted' },
      ]);
  });

  it('sends an edge again, named, when its pod looks the address up later; a replay has the name', async () => {
    const { run, send } = await namedLater(observers, 'gadget/named');
    send(unnamed());
    const s = await open('/api/v1/traces/gadget/named/edges');
    await until(() => s.lines[0]);
    expect(s.lines[0]).toEqual({ edge: expect.not.objectContaining({ remoteName: OUTSIDE_NAME }) });
    send(named());
    // Once: a later update, named already, is only counters.
    send(named(3, 400));
    await until(() => s.lines[1]);
    expect(s.lines[1]).toEqual({
      edge: expect.objectContaining({
        node: 'n1',
        ip: OUTSIDE_IP,
        remoteName: OUTSIDE_NAME,
        remoteNameSource: 'dns',
        remoteCanonicalName: 'lb-7.cdn.example.net',
      }),
      named: true,
    });
    // Who comes after the name sees the edge named from the start.
    const later = await open('/api/v1/traces/gadget/named/edges');
    await until(() => later.lines[0]);
    expect(later.lines[0]).toEqual({
      edge: expect.objectContaining({ remoteName: OUTSIDE_NAME, connections: 1 }),
    });
    await run.stop();
    await Promise.all([s.ended, later.ended]);
    expect(s.lines.slice(2)).toEqual([{ end: 'stopped' }]);
    expect(later.lines.slice(1)).toEqual([{ end: 'stopped' }]);
  });

  it('answers 400 naming a bad parameter and 404 for a trace not held', async () => {
    const bad = await fetch(`${base}/api/v1/traces/gadget/live/edges?since=yesterday`);
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({
      error: 'since: must be a duration like 30s, 5m or 1h, not "yesterday"',
      parameter: 'since',
    });
    const unknown = await fetch(`${base}/api/v1/traces/gadget/live/edges?follow=1`);
    expect(unknown.status).toBe(400);
    expect((await unknown.json()).parameter).toBe('follow');
    const missing = await fetch(`${base}/api/v1/traces/gadget/nope/edges`);
    expect(missing.status).toBe(404);
    expect((await missing.json()).error).toMatch(/gadget\/nope is not held/);
    expect((await fetch(`${base}/api/v1/traces/gadget/live/other`)).status).toBe(404);
  });

  it('writes blank lines on a quiet stream', async () => {
    const quiet = new EdgesStream({ store, keepAliveMs: 20 });
    const own = new HttpServer(logger('test', 'silent'));
    quiet.register(own);
    const { port } = await own.listen({ host: '127.0.0.1', port: 0 });
    store.started('gadget/quiet', {}, { groupBy: 'pod', ips: [] });
    const saved = base;
    base = `http://127.0.0.1:${port}`;
    const s = await open('/api/v1/traces/gadget/quiet/edges');
    base = saved;
    await until(() => (s.blank.n >= 2 ? true : undefined));
    expect(s.lines).toEqual([]);
    quiet.close();
    await s.ended;
    expect(s.lines).toEqual([{ end: 'shutdown' }]);
    await own.close();
  });

  it('bounds streams per identity (429), and ends them idle or at their lifetime', async () => {
    const slots = new StreamSlots({ maxStreams: 10, maxPerIdentity: 1 });
    const clock2 = { now: T0 };
    const bounded = new EdgesStream({
      store,
      slots,
      keepAliveMs: 10,
      idleMs: 1000,
      maxLifetimeMs: 5000,
      now: () => clock2.now,
    });
    const own = new HttpServer(logger('test', 'silent'));
    bounded.register(own);
    const { port } = await own.listen({ host: '127.0.0.1', port: 0 });
    const saved = base;
    base = `http://127.0.0.1:${port}`;
    for (const o of [store, bounded]) o.started('gadget/bounded', {}, { groupBy: 'pod', ips: [] });
    const first = await open('/api/v1/traces/gadget/bounded/edges');
    const second = await fetch(`${base}/api/v1/traces/gadget/bounded/edges`);
    expect(second.status).toBe(429);
    expect(second.headers.get('retry-after')).toBe('10');
    expect(await second.json()).toEqual({
      error: 'too many live streams for 127.0.0.1: at most 1 at once',
    });
    // An edge resets the idle clock; past the idle time with none, the stream ends.
    clock2.now += 900;
    bounded.edge('gadget/bounded', 'n1', edge('a', 80, T0));
    clock2.now += 900;
    await sleep(50);
    expect(first.res.complete).toBe(false);
    clock2.now += 200;
    await first.ended;
    expect(first.lines).toEqual([{ edge: expect.objectContaining({ pod: 'a' }) }, { end: 'idle' }]);
    // Its slot is back: a new stream, kept busy, ends at its lifetime.
    await sleep(20);
    const again = await open('/api/v1/traces/gadget/bounded/edges');
    expect(again.status).toBe(200);
    for (let i = 0; i < 6; i++) {
      clock2.now += 900;
      bounded.edge('gadget/bounded', 'n1', edge(`b${i}`, 80, T0));
      await sleep(20);
    }
    await again.ended;
    expect(again.lines.at(-1)).toEqual({ end: 'lifetime' });
    expect(slots.size).toBe(0);
    base = saved;
    await own.close();
  });

  it('closes the stream of a client that stops reading once its unsent lines pass the bound', async () => {
    start('gadget/slow');
    const s = await open('/api/v1/traces/gadget/slow/edges');
    s.res.pause();
    await sleep(50);
    // 40,000 edges of ~300 bytes: far more than socket buffers and the 64 KiB bound hold.
    for (let i = 0; i < 40_000; i++) see('gadget/slow', edge(`p${i}`, 80, T0));
    s.res.resume();
    await s.ended;
    expect(s.lines.length).toBeLessThan(40_000);
    expect(s.lines.at(-1)).not.toEqual({ end: 'stopped' });
  });
});
