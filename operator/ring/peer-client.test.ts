// Reads across replicas over real HTTPS: two replicas' graph API and edge stream, each
// with its own history store and node, sharing one serving certificate as replicas do;
// the answers of either are those one replica holding both nodes gives, and a replica
// that stops answering makes them partial.
import { mkdtempSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Edge } from '../../api/edge.js';
import type { EdgesStreamLine } from '../../api/edges-stream.js';
import type { GraphAnswer, SeriesAnswer, TraceList } from '../../api/graph.js';
import type { Replica } from '../../api/ring.js';
import type { Trace } from '../../api/trace.js';
import { observe } from '../../cli/observe.js';
import { connectOperator } from '../../cli/operator-endpoint.js';
import { HttpServer } from '../../lib/http-server.js';
import { Kube, KubeConfig } from '../../lib/kube.js';
import { logger } from '../../lib/log.js';
import { selfSignedIdentity } from '../../lib/tls.js';
import { GraphApi } from '../graph/api.js';
import { HistoryStore } from '../history/history.js';
import { PolicyAdvisor } from '../policy/advisor.js';
import { PolicyFacts } from '../policy/cluster-facts.js';
import { registerPolicyApi } from '../policy/http.js';
import { EdgesStream } from '../stream/edges-stream.js';
import { registerNodeEdges } from './node-edges.js';
import { PeerClient } from './peer-client.js';

const NAME = 'netgraph-operator.netgraph.svc';
// The Service's name, and the address `kubectl netgraph observe --operator` dials here.
const tls = selfSignedIdentity([NAME, '127.0.0.1']);
const log = logger('test', process.env.LOG ? 'info' : 'silent');
const TRACE = 'gadget/t';
const PARAMS = { groupBy: 'pod' as const, ips: [] };

// A client on n1 calls a Service whose pod runs on n2: each node's agent sees its side.
const client: Edge = {
  type: 'normal',
  namespace: 'demo',
  pod: 'client',
  pktType: 'OUTGOING',
  proto: 'tcp',
  ip: '10.96.0.10',
  port: 80,
  remoteKind: 'svc',
  remoteServiceNamespace: 'demo',
  remoteServiceName: 'web',
  remoteServiceLabelSelector: { app: 'web' },
  connections: 2,
  bytesSent: 1000,
  bytesReceived: 5000,
  firstSeen: new Date().toISOString(),
};
const server: Edge = {
  type: 'normal',
  namespace: 'demo',
  pod: 'web-1',
  podLabels: { app: 'web' },
  pktType: 'HOST',
  proto: 'tcp',
  ip: '10.0.1.5',
  port: 80,
  remoteKind: 'pod',
  remotePodNamespace: 'demo',
  remotePodName: 'client',
  connections: 2,
  bytesSent: 5000,
  bytesReceived: 1000,
  firstSeen: new Date().toISOString(),
};

interface Node {
  id: string;
  store: HistoryStore;
  stream: EdgesStream;
  advisor: PolicyAdvisor;
  http: HttpServer;
  endpoint: string;
  others: Replica[];
  peers: PeerClient;
  /** What it serves as its nodes' edges for the leader's summary. */
  nodeEdges: Edge[];
}

const noFacts = new PolicyFacts({
  pod: () => undefined,
  ownerOf: () => undefined,
  nodeWithPodRange: () => undefined,
});

const store = () =>
  new HistoryStore({
    groupNames: (e) => ({ group: e.namespace ?? '', remoteGroup: e.remotePodNamespace ?? '' }),
  });

/** A replica: its store, its port (HTTPS, the shared certificate), its peers as the ring gives them. */
async function replica(id: string): Promise<Node> {
  const n = { id, store: store(), others: [] as Replica[], nodeEdges: [] as Edge[] } as Node;
  const peers = new PeerClient({
    peers: { self: id, others: () => n.others },
    serving: { ca: tls.cert, hosts: [NAME] },
    token: async () => 'token',
    store: n.store,
    log,
  });
  // Blank lines (and peers asked again) every 100 ms, not 15 s.
  n.stream = new EdgesStream({ store: n.store, peers, keepAliveMs: 100 });
  // Small advice goes to status.output: nothing is written to the API server.
  const kube = { request: async () => ({}), jsonPatch: async () => ({}) } as never;
  n.advisor = new PolicyAdvisor(kube, n.store, noFacts, undefined, (t) => peers.allEdges(t));
  n.http = new HttpServer(log, { tls: { cert: tls.cert, key: tls.key } });
  new GraphApi({
    store: n.store,
    log,
    webRoot: '/nonexistent',
    peers,
    streams: { intervalMs: 50 },
  }).register(n.http);
  n.stream.register(n.http);
  registerPolicyApi(n.http, n.advisor, peers);
  registerNodeEdges(n.http, () => n.nodeEdges);
  n.peers = peers;
  const { port } = await n.http.listen({ host: '127.0.0.1', port: 0 });
  n.endpoint = `https://127.0.0.1:${port}`;
  return n;
}

const member = (n: Node): Replica => ({
  id: n.id,
  endpoint: n.endpoint,
  view: '',
  expires: Date.now() + 60_000,
});

let a: Node;
let b: Node;
/** One replica holding both nodes: what every answer should be. */
const truth = store();

function see(s: HistoryStore, st: EdgesStream | undefined, node: string, e: Edge) {
  s.edge(TRACE, node, e);
  st?.edge(TRACE, node, e);
}

beforeAll(async () => {
  [a, b] = [await replica('a'), await replica('b')];
  a.others = [member(b)];
  b.others = [member(a)];
  for (const s of [a.store, b.store, truth]) s.started(TRACE, {}, PARAMS);
  see(a.store, a.stream, 'n1', client);
  see(b.store, b.stream, 'n2', server);
  see(truth, undefined, 'n1', client);
  see(truth, undefined, 'n2', server);
});
afterAll(async () => {
  await Promise.all([a.http.close(), b.http.close()]);
});

const get = <T>(n: Node, path: string): Promise<{ status: number; body: T }> =>
  new Promise((resolve, reject) => {
    https
      .get(`${n.endpoint}${path}`, { ca: tls.cert, servername: NAME }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          text += c;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
      })
      .on('error', reject);
  });

/** The graph one replica holding both nodes answers. */
async function truthGraph(query: string): Promise<GraphAnswer> {
  const http = new HttpServer(log);
  new GraphApi({ store: truth, log, webRoot: '/nonexistent' }).register(http);
  const { port } = await http.listen({ host: '127.0.0.1', port: 0 });
  try {
    const r = await fetch(`http://127.0.0.1:${port}/api/v1/traces/${TRACE}/graph?${query}`);
    return (await r.json()) as GraphAnswer;
  } finally {
    await http.close();
  }
}

const shape = (g: GraphAnswer) => ({ entities: g.entities, edges: g.edges });

/** A stream's text as it comes: `wait(ok)` resolves once `ok` holds of what came. */
function follow(n: Node, path: string) {
  let text = '';
  let check = () => {};
  const req = https.get(`${n.endpoint}${path}`, { ca: tls.cert, servername: NAME }, (res) => {
    res.setEncoding('utf8');
    res.on('data', (c: string) => {
      text += c;
      check();
    });
  });
  req.on('error', () => {});
  return {
    close: () => req.destroy(),
    wait: <T>(parse: (text: string) => T, ok: (got: T) => boolean) =>
      new Promise<T>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`not yet: ${text.slice(-500)}`)), 4000);
        check = () => {
          const got = parse(text);
          if (!ok(got)) return;
          clearTimeout(timer);
          resolve(got);
        };
        check();
      }),
  };
}

const ndjson = (text: string): EdgesStreamLine[] =>
  text
    .split('\n')
    .slice(0, -1)
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l));
/** The server-sent events' data, in order. */
const events = (text: string): Record<string, unknown>[] =>
  [...text.matchAll(/^data: (.*)$/gm)].map((m) => JSON.parse(m[1] ?? '{}'));

describe('reads across two replicas', () => {
  for (const groupBy of ['pod', 'namespace']) {
    for (const services of ['show', 'fold'])
      it(`either replica draws the graph one replica would (groupBy ${groupBy}, services ${services})`, async () => {
        const query = `start=-5m&groupBy=${groupBy}&services=${services}`;
        const want = shape(await truthGraph(query));
        expect(want.edges.length).toBeGreaterThan(0);
        for (const n of [a, b]) {
          const got = await get<GraphAnswer>(n, `/api/v1/traces/${TRACE}/graph?${query}`);
          expect(got.status).toBe(200);
          expect(shape(got.body)).toEqual(want);
          expect(got.body.answered).toEqual([n.id, n === a ? 'b' : 'a']);
          expect(got.body.missing).toEqual([]);
          expect(got.body.partial).toBeUndefined();
        }
      });
  }

  it('answers an entity series with both nodes, and the trace list once', async () => {
    const s = await get<SeriesAnswer>(
      a,
      `/api/v1/traces/${TRACE}/series?start=-5m&entity=demo/pod/web-1`,
    );
    expect(s.body.known).toBe(true);
    // The server's bytes, counted from the client's side (on the other replica).
    expect(s.body.sent.reduce((x, y) => x + y, 0)).toBe(5000);
    expect(s.body.received.reduce((x, y) => x + y, 0)).toBe(1000);
    const list = await get<TraceList>(b, '/api/v1/traces');
    expect(list.body.traces).toEqual([expect.objectContaining({ trace: TRACE, edges: 2 })]);
    expect(list.body.answered).toEqual(['b', 'a']);
  });

  it("advises from every node's edges, and either replica serves the advice", async () => {
    const t: Trace = {
      apiVersion: 'gadget.kinvolk.io/v1alpha1',
      kind: 'Trace',
      metadata: { namespace: 'gadget', name: 't', uid: 'u1' },
      spec: { gadget: 'network-graph' },
    };
    // The Trace's leader generates: b, which holds only the server's node.
    const s = await b.advisor.generate(t, false);
    expect(s.operationError).toBeNull();
    expect(s.output).toMatch(/from 2 unique edges/);
    const text = (n: Node) =>
      new Promise<{ status: number; text: string }>((resolve, reject) => {
        https
          .get(
            `${n.endpoint}/api/v1/networkpolicies/${TRACE}`,
            { ca: tls.cert, servername: NAME },
            (res) => {
              let body = '';
              res.setEncoding('utf8');
              res.on('data', (c: string) => {
                body += c;
              });
              res.on('end', () => resolve({ status: res.statusCode ?? 0, text: body }));
            },
          )
          .on('error', reject);
      });
    expect(await text(a)).toEqual({ status: 200, text: s.output });
    expect(await text(b)).toEqual({ status: 200, text: s.output });
  });

  it('answers only its own nodes when asked with scope=local', async () => {
    const g = await get<GraphAnswer>(a, `/api/v1/traces/${TRACE}/graph?start=-5m&scope=local`);
    expect(g.body.answered).toEqual(['a']);
    expect(g.body.edges.map((e) => e.id)).toEqual(['demo/pod/client->demo/service/web']);
    const bad = await get<{ parameter: string }>(a, `/api/v1/traces/${TRACE}/graph?scope=all`);
    expect(bad).toMatchObject({ status: 400, body: { parameter: 'scope' } });
  });

  it("streams every node's edge once, new ones from the peer too, after saying who answered", async () => {
    const stream = follow(a, `/api/v1/traces/${TRACE}/edges`);
    await stream.wait(ndjson, (l) => l.filter((x) => 'edge' in x).length >= 2);
    // A new edge on the peer's node, told twice as its counters grow.
    const more = { ...server, pod: 'web-2' };
    see(b.store, b.stream, 'n2', more);
    see(b.store, b.stream, 'n2', { ...more, bytesSent: 9000 });
    await stream.wait(ndjson, (l) => l.filter((x) => 'edge' in x).length >= 3);
    // Named later, as TraceRun tells its observers: the peer's named line passes through.
    const named = { ...more, remoteName: 'web.example.com', remoteNameSource: 'dns' as const };
    for (const o of [b.store, b.stream]) o.named(TRACE, 'n2', named);
    const got = await stream.wait(ndjson, (l) => l.some((x) => 'named' in x));
    stream.close();
    expect(got.filter((x) => 'named' in x)).toEqual([
      {
        edge: expect.objectContaining({ pod: 'web-2', remoteName: 'web.example.com' }),
        named: true,
      },
    ]);
    expect(got[0]).toEqual({ coverage: { answered: ['a', 'b'], missing: [] } });
    const edges = got.flatMap((l) =>
      'edge' in l && !l.named ? [`${l.edge.node}/${l.edge.pod}`] : [],
    );
    expect(edges.sort()).toEqual(['n1/client', 'n2/web-1', 'n2/web-2']);
  });

  it("the page's live graph has the peer's nodes, and follows their changes", async () => {
    const stream = follow(a, `/api/v1/traces/${TRACE}/stream?start=-5m`);
    const [graph] = await stream.wait(events, (e) => e.length >= 1);
    expect(graph).toMatchObject({ answered: ['a', 'b'], missing: [] });
    const ids = (graph as unknown as GraphAnswer).edges.map((e) => e.id).sort();
    expect(ids).toContain('demo/service/web->demo/pod/web-2');
    // The server on the peer's node answers a new client: drawn from the peer's part.
    see(b.store, b.stream, 'n2', { ...server, ip: '10.0.1.9', remotePodName: 'other' });
    const all = await stream.wait(events, (e) =>
      e.some((x) => JSON.stringify(x).includes('demo/pod/other->demo/pod/web-1')),
    );
    stream.close();
    expect(all.at(-1)).toMatchObject({ answered: ['a', 'b'], missing: [] });
  });

  it("gathers a peer's node edges a line at a time, all of them, in order", async () => {
    // Some 30 chunks of 64 KB, each written on its own turn of the peer's event loop.
    b.nodeEdges = Array.from({ length: 10_000 }, (_, i) => ({ ...server, port: i, node: 'n2' }));
    try {
      const got = await a.peers.askLines<Edge>(`/api/v1/traces/${TRACE}/node-edges`);
      expect(got.missing).toEqual([]);
      expect(got.lines).toEqual(b.nodeEdges);
    } finally {
      b.nodeEdges = [];
    }
  });

  it('says which replica is missing when one does not answer, within the timeout', async () => {
    const edges = follow(a, `/api/v1/traces/${TRACE}/edges`);
    const page = follow(a, `/api/v1/traces/${TRACE}/stream?start=-5m`);
    await edges.wait(ndjson, (l) => l.filter((x) => 'edge' in x).length >= 3);
    await page.wait(events, (e) => e.length >= 1);
    await b.http.close();
    const started = Date.now();
    const g = await get<GraphAnswer>(a, `/api/v1/traces/${TRACE}/graph?start=-5m`);
    expect(Date.now() - started).toBeLessThan(3000);
    expect(g.body).toMatchObject({ answered: ['a'], missing: ['b'], partial: true });
    expect(g.body.edges.map((e) => e.id)).toEqual(['demo/pod/client->demo/service/web']);
    const list = await get<TraceList>(a, '/api/v1/traces');
    expect(list.body).toMatchObject({ answered: ['a'], missing: ['b'], partial: true });
    // The streams say so too, and go on with this replica's edges.
    const lines = await edges.wait(ndjson, (l) =>
      l.some((x) => 'coverage' in x && x.coverage.partial),
    );
    expect(lines.at(-1)).toEqual({
      coverage: { answered: ['a'], missing: ['b'], partial: true },
    });
    const frames = await page.wait(events, (e) => e.some((x) => x.partial === true));
    expect(frames.at(-1)).toMatchObject({ answered: ['a'], missing: ['b'], partial: true });
    // The ring drops the dead replica (its Lease expired): whole again, from one replica.
    a.others = [];
    const again = await edges.wait(ndjson, (l) => {
      const last = l.filter((x) => 'coverage' in x).at(-1);
      return last !== undefined && 'coverage' in last && last.coverage.missing.length === 0;
    });
    expect(again.filter((x) => 'coverage' in x).at(-1)).toEqual({
      coverage: { answered: ['a'], missing: [] },
    });
    const whole = await page.wait(events, (e) => e.at(-1)?.partial === undefined);
    expect(whole.at(-1)).toMatchObject({ answered: ['a'], missing: [] });
    edges.close();
    page.close();
  });

  it('gives a peer that accepts but never answers 2 s', async () => {
    const sockets: Socket[] = [];
    const hung = createServer((s) => sockets.push(s));
    await new Promise<void>((r) => hung.listen(0, '127.0.0.1', r));
    const port = (hung.address() as { port: number }).port;
    a.others = [{ ...member(b), id: 'hung', endpoint: `https://127.0.0.1:${port}` }];
    try {
      const started = Date.now();
      const g = await get<GraphAnswer>(a, `/api/v1/traces/${TRACE}/graph?start=-5m`);
      const took = Date.now() - started;
      expect(took).toBeGreaterThanOrEqual(1900);
      expect(took).toBeLessThan(3000);
      expect(g.body).toMatchObject({ answered: ['a'], missing: ['hung'], partial: true });
    } finally {
      for (const s of sockets) s.destroy();
      hung.close();
    }
  });
  it('kubectl netgraph observe through one replica prints every edge once, and says when one goes', async () => {
    const [c, d] = [await replica('c'), await replica('d')];
    c.others = [member(d)];
    d.others = [member(c)];
    for (const n of [c, d]) n.store.started(TRACE, {}, PARAMS);
    see(c.store, c.stream, 'n1', client);
    see(d.store, d.stream, 'n2', server);
    // As a user runs it: `--operator https://<one replica> --operator-ca <its certificate>`.
    const ca = join(mkdtempSync(join(tmpdir(), 'netgraph-observe-')), 'ca.crt');
    writeFileSync(ca, tls.cert);
    const config = new KubeConfig();
    config.loadFromOptions({
      clusters: [{ name: 'c', server: 'https://127.0.0.1:1' }],
      users: [{ name: 'u', token: 'the-users-token' }],
      contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
      currentContext: 'x',
    });
    const operator = await connectOperator(
      { config, kube: new Kube(config), namespace: 'gadget' },
      { operator: new URL(c.endpoint), operatorCA: ca },
    );
    let out = '';
    let err = '';
    const sink = (append: (s: string) => void) =>
      new Writable({
        write(chunk: Buffer, _e, done) {
          append(chunk.toString());
          done();
        },
      });
    const exit = observe(operator, {
      namespace: 'gadget',
      name: 't',
      output: 'json',
      out: sink((x) => {
        out += x;
      }),
      err: sink((x) => {
        err += x;
      }),
    });
    const until = async (ok: () => boolean) => {
      for (let i = 0; i < 400 && !ok(); i++) await new Promise((r) => setTimeout(r, 10));
    };
    await until(() => out.split('\n').length > 2);
    await d.http.close();
    await until(() => err.includes('partial'));
    // The trace stops: this replica's part ends, the missing one's cannot.
    c.store.ended(TRACE, 'stopped');
    c.stream.ended(TRACE, 'stopped');
    expect(await exit).toBe(0);
    await operator.close();
    await c.http.close();
    const printed = out
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as Edge);
    expect(printed.map((e) => `${e.node}/${e.pod}`).sort()).toEqual(['n1/client', 'n2/web-1']);
    expect(err).toBe(
      "partial: operator replicas d did not answer; their nodes' edges are missing\ntrace gadget/t stopped\n",
    );
  });
});
