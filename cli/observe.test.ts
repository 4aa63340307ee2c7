import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Edge } from '../api/edge.js';
import { EDGES_STREAM_PREFIX } from '../api/edges-stream.js';
import { HttpServer } from '../lib/http-server.js';
import { Kube, KubeConfig } from '../lib/kube.js';
import { logger } from '../lib/log.js';
import { HistoryStore } from '../operator/history/history.js';
import { EdgesStream } from '../operator/stream/edges-stream.js';
import { demoEdge } from '../test/demo-edge.js';
import { named, namedLater, OUTSIDE_IP, OUTSIDE_NAME, unnamed } from '../test/named-later.js';
import { observe } from './observe.js';
import { connectOperator, type OperatorEndpoint } from './operator-endpoint.js';

// The operator's edge stream on loopback (its real handler over the real history store),
// ending streams after 300 ms as its lifetime bound does after an hour.
const store = new HistoryStore({ groupNames: () => ({ group: '', remoteGroup: '' }) });
const stream = new EdgesStream({ store, keepAliveMs: 25, maxLifetimeMs: 300 });
const seen: (string | undefined)[] = [];
let http: HttpServer;
let port = 0;
let operator: OperatorEndpoint;

/** The operator's port: (again) on `port`, 0 for a free one. */
async function serve(): Promise<void> {
  http = new HttpServer(logger('test', 'silent'));
  http.route(EDGES_STREAM_PREFIX, (req, res, url) => {
    seen.push(req.headers.authorization);
    stream.handler(req, res, url);
  });
  port = (await http.listen({ host: '127.0.0.1', port })).port;
}

const edge = (pod: string) => demoEdge({ pod, firstSeen: new Date().toISOString() });
const see = (e: Edge, trace = 'gadget/t') => {
  for (const o of [store, stream]) o.edge(trace, 'n1', e);
};

beforeAll(async () => {
  await serve();
  const config = new KubeConfig();
  config.loadFromOptions({
    clusters: [{ name: 'c', server: 'https://127.0.0.1:1' }],
    users: [{ name: 'u', token: 'the-users-token' }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  operator = await connectOperator(
    { config, kube: new Kube(config), namespace: 'gadget' },
    { operator: new URL(`http://127.0.0.1:${port}`) },
  );
});
afterAll(async () => {
  await operator.close();
  await http.close();
});

const sink = (append: (s: string) => void) =>
  new Writable({
    write(chunk: Buffer, _e, done) {
      append(chunk.toString());
      done();
    },
  });

describe('observe', () => {
  it('prints nothing on stdout when the operator refuses, and says why', async () => {
    let out = '';
    const refused = observe(operator, {
      namespace: 'gadget',
      name: 'nope',
      output: 'table',
      out: sink((s) => {
        out += s;
      }),
      err: sink(() => {}),
    });
    await expect(refused).rejects.toThrow(
      'observe gadget/nope: HTTP 404: trace gadget/nope is not held (never started, or deleted)',
    );
    expect(out).toBe('');
  });

  it('follows the trace across the operator ending its stream, printing each edge once', async () => {
    for (const o of [store, stream]) o.started('gadget/t', {}, { groupBy: 'pod', ips: [] });
    see(edge('a'));
    let out = '';
    let err = '';
    const done = observe(operator, {
      namespace: 'gadget',
      name: 't',
      output: 'json',
      out: sink((s) => {
        out += s;
      }),
      err: sink((s) => {
        err += s;
      }),
    });
    // Past the stream's lifetime: observe has asked again, and the replay holds a again.
    await sleep(500);
    see(edge('b'));
    await sleep(100);
    for (const o of [store, stream]) o.ended('gadget/t', 'stopped');
    expect(await done).toBe(0);
    expect(err).toBe('trace gadget/t stopped\n');
    expect(
      out
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as Edge).pod),
    ).toEqual(['a', 'b']);
    // Asked more than once, each time with the kubeconfig's token.
    expect(seen.length).toBeGreaterThan(1);
    expect(new Set(seen)).toEqual(new Set(['Bearer the-users-token']));
  });

  it('asks again when the operator goes away and comes back (a restart), printing each edge once', async () => {
    for (const o of [store, stream]) o.started('gadget/r', {}, { groupBy: 'pod', ips: [] });
    see(edge('a'), 'gadget/r');
    let out = '';
    let err = '';
    const done = observe(operator, {
      namespace: 'gadget',
      name: 'r',
      output: 'json',
      out: sink((s) => {
        out += s;
      }),
      err: sink((s) => {
        err += s;
      }),
    });
    await sleep(100);
    // The operator's port goes, every connection with it, and is back a second later.
    await http.close();
    await sleep(1000);
    await serve();
    await sleep(1500);
    see(edge('b'), 'gadget/r');
    await sleep(100);
    for (const o of [store, stream]) o.ended('gadget/r', 'stopped');
    expect(await done).toBe(0);
    expect(
      out
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as Edge).pod),
    ).toEqual(['a', 'b']);
    expect(err).toMatch(/; asking the operator at http:\/\/127\.0\.0\.1:\d+\/ again\n/);
    expect(err).toContain('the stream is back\n');
    expect(err).toMatch(/trace gadget\/r stopped\n$/);
  });

  it('prints an edge again, named, once its pod looks the address up (table and JSON)', async () => {
    const { run, send } = await namedLater([store, stream], 'gadget/named');
    send(unnamed());
    const outs = { table: '', json: '' };
    const done = (['table', 'json'] as const).map((output) =>
      observe(operator, {
        namespace: 'gadget',
        name: 'named',
        output,
        out: sink((s) => {
          outs[output] += s;
        }),
        err: sink(() => {}),
      }),
    );
    await sleep(100);
    send(named());
    send(named(3, 400));
    // Across a stream's end (its lifetime): the replay has the name, printed already.
    await sleep(400);
    await run.stop();
    expect(await Promise.all(done)).toEqual([0, 0]);
    const json = outs.json
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Edge);
    expect(json.map((e) => [e.ip, e.remoteName, e.remoteNameSource])).toEqual([
      [OUTSIDE_IP, undefined, undefined],
      [OUTSIDE_IP, OUTSIDE_NAME, 'dns'],
    ]);
    const rows = outs.table.trim().split('\n');
    expect(rows).toHaveLength(3);
    expect(rows[1]).toMatch(/demo\/pod\/client +203\.0\.113\.7 +tcp\/443/);
    expect(rows[2]).toMatch(/demo\/pod\/client +api\.example\.com \(203\.0\.113\.7\) +tcp\/443/);
  });
});
