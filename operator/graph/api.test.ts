import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpServer } from '../../lib/http-server.js';
import { logger } from '../../lib/log.js';
import { demoEdge } from '../../test/demo-edge.js';
import { HistoryStore } from '../history/history.js';
import { GraphApi } from './api.js';

const T0 = 1_700_000_000_000;
const clock = { now: T0 };
const store = new HistoryStore({
  now: () => clock.now,
  groupNames: (e) => ({ group: e.namespace ?? '', remoteGroup: e.remotePodNamespace ?? '' }),
});
const log = logger('test', 'silent');
const http = new HttpServer(log);
let base = '';

const edge = (bytesSent: number) => demoEdge({ bytesSent, bytesReceived: 2 * bytesSent });

beforeAll(async () => {
  new GraphApi({ store, log, webRoot: '/nonexistent', streams: { intervalMs: 20 } }).register(http);
  const { port } = await http.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${port}`;
  store.started('gadget/t', {}, { groupBy: 'pod', ips: [] });
  store.edge('gadget/t', 'n1', edge(100));
  clock.now += 60_000;
  store.edge('gadget/t', 'n1', edge(150));
});
afterAll(() => http.close());

const get = async (path: string) => {
  const r = await fetch(`${base}${path}`);
  return { status: r.status, body: await r.json() };
};

describe('the graph API', () => {
  it('lists traces and answers a graph and an entity series', async () => {
    expect((await get('/api/v1/traces')).body.traces).toEqual([
      expect.objectContaining({ trace: 'gadget/t', state: 'Started', edges: 1 }),
    ]);
    const g = await get('/api/v1/traces/gadget/t/graph?start=-1m');
    expect(g.body.edges).toEqual([
      expect.objectContaining({
        source: 'demo/pod/client',
        target: 'demo/pod/server',
        bytesSent: 150,
        bytesReceived: 300,
        bytesTotal: 450,
      }),
    ]);
    // Only the last bin is inside a 30-second window.
    const recent = await get('/api/v1/traces/gadget/t/graph?start=-30s');
    expect(recent.body.edges[0].bytesSent).toBe(50);
    const s = await get('/api/v1/traces/gadget/t/series?start=-30s&entity=demo/pod/server');
    expect(s.body.binSeconds).toBe(10);
    expect(s.body.sent).toEqual([0, 0, 0, 100]);
    expect(s.body.received).toEqual([0, 0, 0, 50]);
  });

  it('answers an absolute window, a port and protocol filter, and only what changed', async () => {
    const iso = (ms: number) => new Date(ms).toISOString();
    // From T0 to T0 + 30 s: the first 100 bytes only.
    const first = await get(`/api/v1/traces/gadget/t/graph?from=${iso(T0)}&to=${iso(T0 + 30_000)}`);
    expect(first.body.edges.map((e: { bytesSent: number }) => e.bytesSent)).toEqual([100]);
    expect([first.body.from, first.body.to]).toEqual([iso(T0), iso(T0 + 30_000)]);
    expect(
      (await get('/api/v1/traces/gadget/t/graph?ports=80&protocols=tcp')).body.edges,
    ).toHaveLength(1);
    expect((await get('/api/v1/traces/gadget/t/graph?ports=443')).body.edges).toEqual([]);
    // The last 30 s (50 bytes) against the 30 s before (none): new, so changed.
    expect(
      (await get('/api/v1/traces/gadget/t/graph?start=-30s&changed=true')).body.edges,
    ).toHaveLength(1);
    // The last minute (150) against the minute before (100): under 2x, not changed.
    expect((await get('/api/v1/traces/gadget/t/graph?start=-1m&changed=true')).body.edges).toEqual(
      [],
    );
  });

  it('answers 400 naming the parameter, 404 for a trace not held, 503 for an unbuilt page', async () => {
    expect(await get('/api/v1/traces/gadget/t/graph?minBytes=lots')).toEqual({
      status: 400,
      body: {
        error: 'minBytes: must be a whole number of bytes, not "lots"',
        parameter: 'minBytes',
      },
    });
    expect((await get('/api/v1/traces/gadget/t/series')).body.parameter).toBe('entity');
    expect((await get('/api/v1/traces/gadget/t/graph?from=yesterday')).body.parameter).toBe('from');
    expect((await get('/api/v1/traces/gadget/nope/graph')).status).toBe(404);
    expect((await get('/')).status).toBe(503);
  });

  it('streams the graph, then what changed', async () => {
    const ctl = new AbortController();
    const r = await fetch(`${base}/api/v1/traces/gadget/t/stream?start=-1m`, {
      signal: ctl.signal,
    });
    expect(r.headers.get('content-type')).toContain('text/event-stream');
    const reader = (r.body as ReadableStream<Uint8Array>).getReader();
    let text = '';
    const next = async (event: string) => {
      for (;;) {
        const i = text.indexOf('\n\n');
        if (i >= 0) {
          const chunk = text.slice(0, i);
          text = text.slice(i + 2);
          const m = /^event: (\w+)\ndata: (.*)$/s.exec(chunk);
          if (m?.[1] === event) return JSON.parse(m[2] ?? '');
          continue;
        }
        const { value } = await reader.read();
        text += new TextDecoder().decode(value);
      }
    };
    expect((await next('graph')).edges).toHaveLength(1);
    store.edge('gadget/t', 'n1', edge(175));
    const u = await next('update');
    expect(u.edges.map((e: { bytesSent: number }) => e.bytesSent)).toEqual([175]);
    expect(u.removedEdges).toEqual([]);
    ctl.abort();
  });
});
