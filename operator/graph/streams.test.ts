// The live streams' bounds, over loopback with real sockets: the caps in all and per
// identity, a client that does not read cut, idle and long-lived streams ended, and one
// graph computation per change shared by the streams of the same trace and parameters.
import { request } from 'node:http';
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { Edge } from '../../api/edge.js';
import { HttpServer } from '../../lib/http-server.js';
import { logger } from '../../lib/log.js';
import { HistoryStore } from '../history/history.js';
import { GraphApi, type GraphApiOptions } from './api.js';

const T0 = 1_700_000_000_000;
const log = logger('test', process.env.LOG ? 'info' : 'silent');
let servers: HttpServer[] = [];

afterEach(async () => {
  await Promise.all(servers.map((s) => s.close()));
  servers = [];
});

const edge = (i: number, bytesSent: number): Edge => ({
  type: 'normal',
  node: 'n1',
  namespace: 'demo',
  pod: `client-${i}`,
  pktType: 'OUTGOING',
  proto: 'tcp',
  ip: `10.0.${i >> 8}.${i & 255}`,
  port: 80,
  remoteKind: 'pod',
  remotePodNamespace: 'demo',
  remotePodName: `server-${i}`,
  connections: 1,
  bytesSent,
  bytesReceived: 2 * bytesSent,
});

/** A trace of `edges` edges served with these options; `grow()` adds bytes to every edge. */
async function serve(o: Partial<GraphApiOptions>, edges = 1) {
  const clock = { now: T0 };
  const store = new HistoryStore({
    now: () => clock.now,
    groupNames: (e) => ({ group: e.namespace ?? '', remoteGroup: e.remotePodNamespace ?? '' }),
  });
  store.started('gadget/t', {}, { groupBy: 'pod', ips: [] });
  // Cumulative counters, each growth bigger than the last: every window's total differs.
  let bytes = 100;
  let step = 0;
  const grow = () => {
    step += 100;
    bytes += step;
    for (let i = 0; i < edges; i++) store.edge('gadget/t', 'n1', edge(i, bytes));
  };
  grow();
  const http = new HttpServer(log);
  servers.push(http);
  const api = new GraphApi({ store, log, webRoot: '/nonexistent', now: () => clock.now, ...o });
  api.register(http);
  const { port } = await http.listen({ host: '127.0.0.1', port: 0 });
  return { api, port, clock, grow, store };
}

interface Client {
  status: number;
  body: string;
  /** The events received so far, by name. */
  events: string[];
  ended: Promise<void>;
  close(): void;
}

/** Opens a stream as a browser does, reading as it comes. */
function open(port: number, query = 'start=-1m', headers: Record<string, string> = {}) {
  return new Promise<Client>((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path: `/api/v1/traces/gadget/t/stream?${query}`, headers },
      (res) => {
        const c: Client = {
          status: res.statusCode ?? 0,
          body: '',
          events: [],
          ended: new Promise((done) => res.on('close', () => done())),
          close: () => req.destroy(),
        };
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          c.body += chunk;
          c.events = [...c.body.matchAll(/^event: (\w+)$/gm)].map((m) => m[1] ?? '');
        });
        res.on('error', () => {});
        resolve(c);
      },
    );
    req.on('error', reject);
    req.end();
  });
}

const until = async (what: string, ok: () => boolean, timeoutMs = 10_000) => {
  const end = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe('live streams', () => {
  it('serves at most maxStreams at once: one more gets 429, a closed one frees its place', async () => {
    const { api, port } = await serve({ streams: { maxStreams: 2 } });
    const [a, b] = [await open(port), await open(port)];
    expect([a.status, b.status]).toEqual([200, 200]);
    const c = await open(port);
    expect(c.status).toBe(429);
    await c.ended;
    expect(JSON.parse(c.body).error).toBe('too many live streams: at most 2 in all');
    a.close();
    await until('the closed stream to be let go', () => api.streams.stats().streams === 1);
    expect((await open(port)).status).toBe(200);
  });

  it('serves at most maxPerIdentity to one identity', async () => {
    const { port } = await serve({
      streams: { maxPerIdentity: 1 },
      identity: (req) => String(req.headers['x-user'] ?? ''),
    });
    expect((await open(port, 'start=-1m', { 'x-user': 'alice' })).status).toBe(200);
    const again = await open(port, 'start=-5m', { 'x-user': 'alice' });
    expect(again.status).toBe(429);
    await again.ended;
    expect(JSON.parse(again.body).error).toBe('too many live streams for alice: at most 1 at once');
    expect((await open(port, 'start=-1m', { 'x-user': 'bob' })).status).toBe(200);
  });

  it('cuts a stream whose client does not read once its unsent bytes pass the bound', async () => {
    const { api, port, grow } = await serve(
      { streams: { maxUnsentBytes: 256 * 1024, intervalMs: 10 } },
      500,
    );
    const reader = await open(port);
    // A client that sends its request and never reads the answer.
    const stuck = connect(port, '127.0.0.1');
    stuck.on('error', () => {});
    stuck.write('GET /api/v1/traces/gadget/t/stream?start=-1m HTTP/1.1\r\nhost: x\r\n\r\n');
    stuck.pause();
    await until('both streams', () => api.streams.stats().streams === 2);
    // Every edge grows every few ms: each update frame carries all 500 edges (~100 KB).
    const growing = setInterval(grow, 5);
    try {
      await until('the stuck stream to be cut', () => api.streams.stats().streams === 1, 20_000);
    } finally {
      clearInterval(growing);
      stuck.destroy();
    }
    // The client that reads kept its stream and its updates.
    expect(reader.events.filter((e) => e === 'update').length).toBeGreaterThan(3);
    expect(api.streams.stats().streams).toBe(1);
  });

  it('ends a stream that sent nothing for idleMs, and any stream after maxLifetimeMs', async () => {
    const { api, port, clock, grow } = await serve({
      streams: { idleMs: 60_000, maxLifetimeMs: 600_000, intervalMs: 10 },
    });
    // Its window (5 minutes) holds the one bin of traffic throughout: nothing changes.
    const quiet = await open(port, 'start=-5m');
    await until('the graph', () => quiet.events.includes('graph'));
    clock.now += 59_000;
    await new Promise((r) => setTimeout(r, 50));
    expect(api.streams.stats().streams).toBe(1);
    clock.now += 1_000;
    await quiet.ended;
    expect(quiet.events).toEqual(['graph']);

    // A busy stream is never idle, but it ends at its lifetime all the same.
    const busy = await open(port);
    for (let minute = 0; minute < 9; minute++) {
      clock.now += 60_000;
      grow();
      await until(`update ${minute + 1}`, () => busy.events.length === minute + 2);
    }
    expect(api.streams.stats().streams).toBe(1);
    clock.now += 60_000;
    await busy.ended;
    expect(api.streams.stats()).toMatchObject({ streams: 0, watches: 0 });
  });

  it('computes the graph once per change for every stream of the same trace and parameters', async () => {
    const { api, port, grow } = await serve({ streams: { intervalMs: 10 } });
    const same = [await open(port), await open(port), await open(port)];
    const other = await open(port, 'start=-5m');
    const all = [...same, other];
    await until('the graphs', () => all.every((c) => c.events.includes('graph')));
    expect(api.streams.stats()).toMatchObject({ streams: 4, watches: 2, computations: 2 });
    grow();
    await until('the updates', () => all.every((c) => c.events.includes('update')));
    // One computation for the three alike, one for the other.
    expect(api.streams.stats().computations).toBe(4);
    // The three got the same bytes.
    expect(new Set(same.map((c) => c.body)).size).toBe(1);
    for (const c of all) c.close();
    await until('every watch gone', () => api.streams.stats().watches === 0);
  });
});
