// Who may see what on the operator's port: its real guard (Access, with the Authenticator
// and Authorizer asking a stand-in API server) in front of every route that serves a
// Trace. A path with an empty, dot or encoded segment must never serve a Trace to a
// caller without `get` on it (issue 21: `/api/v1/traces//gadget/t/graph` once did).

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { type IncomingMessage, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TraceList } from '../../api/graph.js';
import { HttpServer, sendJSON } from '../../lib/http-server.js';
import { logger } from '../../lib/log.js';
import { answerTo } from '../../test/answer-to.js';
import { demoEdge } from '../../test/demo-edge.js';
import { GraphApi } from '../graph/api.js';
import { HistoryStore } from '../history/history.js';
import { registerPolicyApi } from '../policy/http.js';
import { registerNodeEdges } from '../ring/node-edges.js';
import { EdgesStream } from '../stream/edges-stream.js';
import { Access } from './access.js';
import { Authenticator } from './authenticator.js';
import { Authorizer } from './authorizer.js';
import { PUBLIC_PATHS } from './permission.js';

/** The token is the user's name; `reader` may get the Trace gadget/t and nothing else. */
const apiServer = {
  async request<T>(_method: string, path: string, body?: unknown): Promise<T> {
    const spec = (body as { spec: Record<string, unknown> }).spec;
    if (path.endsWith('/tokenreviews'))
      return { status: { authenticated: true, user: { username: spec.token } } } as T;
    const r = spec.resourceAttributes as
      | { verb: string; namespace: string; name: string }
      | undefined;
    const allowed =
      spec.user === 'reader' && r?.verb === 'get' && r.namespace === 'gadget' && r.name === 't';
    return { status: { allowed } } as T;
  },
};

const log = logger('test', 'silent');
const store = new HistoryStore({
  groupNames: (e) => ({ group: e.namespace ?? '', remoteGroup: e.remotePodNamespace ?? '' }),
});
const edge = demoEdge({ bytesSent: 100 });
const access = new Access(new Authenticator(apiServer), new Authorizer(apiServer), log);
const http = new HttpServer(log, { guard: access.guard, publicPaths: PUBLIC_PATHS });
const webRoot = mkdtempSync(join(tmpdir(), 'netgraph-web-'));
writeFileSync(join(webRoot, 'index.html'), '<html></html>');
const graph = new GraphApi({
  store,
  log,
  webRoot,
  mayList: (req, ns, name) => access.mayGetTrace(req, ns, name),
});
const edges = new EdgesStream({ store });
let port = 0;

beforeAll(async () => {
  // Wired as operator/assemble.ts wires them.
  graph.register(http);
  registerNodeEdges(http, () => [edge]);
  edges.register(http);
  http.route('/metrics', (_req, res) => {
    res.end('netgraph_operator_traces 2\n');
  });
  registerPolicyApi(http, { advice: () => 'kind: NetworkPolicy\n' });
  for (const trace of ['gadget/t', 'gadget/other']) {
    store.started(trace, {}, { groupBy: 'pod', ips: [] });
    store.edge(trace, 'n1', edge);
  }
  ({ port } = await http.listen({ host: '127.0.0.1', port: 0 }));
});
afterAll(async () => {
  graph.close();
  edges.close();
  await http.close();
  rmSync(webRoot, { recursive: true, force: true });
});

/** The status of a GET of `path` exactly as written (fetch would resolve its dot segments). */
function statusOf(path: string, token?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const headers = token ? { authorization: `Bearer ${token}` } : {};
    request({ host: '127.0.0.1', port, path, headers, agent: false }, (res) => {
      resolve(res.statusCode ?? 0);
      // Streams go on: their status is all this asks.
      res.destroy();
    })
      .on('error', reject)
      .end();
  });
}

/** Every path that serves something of a Trace. */
const tracePaths = (ns: string, name: string) => [
  `/api/v1/traces/${ns}/${name}/graph`,
  `/api/v1/traces/${ns}/${name}/series?entity=demo/pod/client`,
  `/api/v1/traces/${ns}/${name}/stream`,
  `/api/v1/traces/${ns}/${name}/part`,
  `/api/v1/traces/${ns}/${name}/edges`,
  `/api/v1/traces/${ns}/${name}/node-edges`,
  `/api/v1/networkpolicies/${ns}/${name}`,
];

/** The path with an empty segment, a dot segment or an encoded slash or dot in each place. */
function bent(path: string): string[] {
  const [p = '', query] = path.split('?');
  const q = query ? `?${query}` : '';
  const at = [...p.matchAll(/\//g)].map((m) => m.index);
  const splice = (i: number, s: string) => `${p.slice(0, i)}${s}${p.slice(i + 1)}${q}`;
  return [
    ...at.flatMap((i) => [
      splice(i, '//'),
      splice(i, '/./'),
      splice(i, '/x/../'),
      splice(i, '/%2e/'),
      splice(i, '/%2E%2E/'),
      splice(i, '%2F'),
      splice(i, '%2f/'),
      splice(i, '\\'),
    ]),
    `${p}/${q}`,
    `${p}/.${q}`,
    `/${p}${q}`,
  ];
}

const ALLOWED = 200;
const REFUSED = [400, 403, 404];

describe("the operator's port", () => {
  it('serves a Trace to no one without get on it, however its path is written', async () => {
    for (const path of [...tracePaths('gadget', 't'), '/metrics']) {
      expect(await statusOf(path, 'nobody'), path).toBe(403);
      for (const b of bent(path)) expect(REFUSED, b).toContain(await statusOf(b, 'nobody'));
    }
  });

  it('serves the Trace a caller may get, at its paths as written, and no other', async () => {
    for (const path of tracePaths('gadget', 't')) {
      expect(await statusOf(path, 'reader'), path).toBe(ALLOWED);
      for (const b of bent(path)) expect(REFUSED, b).toContain(await statusOf(b, 'reader'));
    }
    for (const path of tracePaths('gadget', 'other')) {
      expect(await statusOf(path, 'reader'), path).toBe(403);
      for (const b of bent(path)) expect(REFUSED, b).toContain(await statusOf(b, 'reader'));
    }
  });

  it('lists only the Traces the caller may get', async () => {
    const listed = async (token: string) => {
      const r = await fetch(`http://127.0.0.1:${port}/api/v1/traces`, {
        headers: { authorization: `Bearer ${token}` },
      });
      return ((await r.json()) as TraceList).traces.map((t) => t.trace);
    };
    expect(await listed('nobody')).toEqual([]);
    expect(await listed('reader')).toEqual(['gadget/t']);
  });

  it('answers a stranger 401 (or 400 for a malformed path), before any path is read', async () => {
    for (const path of tracePaths('gadget', 't')) {
      expect(await statusOf(path), path).toBe(401);
      for (const b of bent(path)) expect([400, 401], b).toContain(await statusOf(b));
    }
  });
});

describe("the operator's port under a flood of made-up tokens", () => {
  // Tokens starting with `good` belong to their name; the rest are refused; a `slow` one
  // is answered after 50 ms. Each TokenReview the port asks for is counted.
  const reviewed: string[] = [];
  const kube = {
    async request<T>(_method: string, _path: string, body?: unknown): Promise<T> {
      const token = (body as { spec: { token: string } }).spec.token;
      reviewed.push(token);
      if (token.includes('slow')) await new Promise((r) => setTimeout(r, 50));
      return {
        status: token.startsWith('good')
          ? { authenticated: true, user: { username: token } }
          : { authenticated: false, error: 'invalid bearer token' },
      } as T;
    },
  };
  let now = 1_000_000;
  const authn = new Authenticator(kube, { now: () => now });
  const guarded = new HttpServer(log, {
    guard: new Access(authn, new Authorizer(apiServer), log).guard,
    publicPaths: PUBLIC_PATHS,
  });
  guarded.route('/api/v1/traces', (_req, res) => sendJSON(res, 200, { traces: [] }));
  let guardedPort = 0;
  beforeAll(async () => {
    ({ port: guardedPort } = await guarded.listen({ host: '127.0.0.1', port: 0 }));
  });
  afterAll(() => guarded.close());

  /** The trace list as `from` asks for it with `token`. */
  const list = (token: string, from = '127.0.0.1') =>
    answerTo((onResponse) =>
      request(
        {
          host: '127.0.0.1',
          port: guardedPort,
          path: '/api/v1/traces',
          headers: { authorization: `Bearer ${token}` },
          localAddress: from,
        },
        onResponse,
      ),
    );

  it('reviews 10 refused tokens from an address a minute, then answers 429 without asking', async () => {
    expect((await list('good-jane')).status).toBe(200);
    for (let i = 0; i < 10; i++) expect((await list(`made-up-${i}`)).status).toBe(401);
    expect(reviewed).toHaveLength(11);
    now += 15_000;
    expect(await list('made-up-10')).toEqual({
      status: 429,
      retryAfter: '45',
      error:
        'Too Many Requests: 10 bearer tokens refused from this address within 60 s: new tokens are not reviewed for 45 s',
    });
    // A token not known good waits too; the one already known good goes on working.
    expect((await list('good-bob')).status).toBe(429);
    expect((await list('good-jane')).status).toBe(200);
    expect(reviewed).toHaveLength(11);
  });

  it('leaves other addresses their own budget', async () => {
    expect((await list('made-up-elsewhere', '127.0.0.2')).status).toBe(401);
    expect((await list('good-bob', '127.0.0.2')).status).toBe(200);
    expect(reviewed.slice(11)).toEqual(['made-up-elsewhere', 'good-bob']);
  });

  it('reviews again once the window has passed', async () => {
    now += 45_000;
    expect((await list('made-up-11')).status).toBe(401);
    expect((await list('good-carol')).status).toBe(200);
    expect(reviewed.slice(13)).toEqual(['made-up-11', 'good-carol']);
  });

  it("reviews a fresh token once for a page's requests made at once", async () => {
    const before = reviewed.length;
    const page = Array.from({ length: 6 }, () => list('good-slow-page', '127.0.0.3'));
    expect((await Promise.all(page)).map((a) => a.status)).toEqual([200, 200, 200, 200, 200, 200]);
    const refused = Array.from({ length: 6 }, () => list('slow-made-up', '127.0.0.3'));
    expect((await Promise.all(refused)).map((a) => a.status)).toEqual([
      401, 401, 401, 401, 401, 401,
    ]);
    expect(reviewed.slice(before)).toEqual(['good-slow-page', 'slow-made-up']);
  });

  it('takes a client certificate from a throttled address, never asking about its token', async () => {
    for (let i = 0; i < 10; i++) await list(`made-up-again-${i}`);
    expect((await list('made-up-more')).status).toBe(429);
    authn.clientCAKnown = true;
    const before = reviewed.length;
    const socket = {
      remoteAddress: '127.0.0.1',
      authorized: true,
      getPeerCertificate: () => ({ subject: { CN: 'jane', O: 'admins' } }),
    };
    const req = { socket, headers: { authorization: 'Bearer made-up-too' } };
    expect(await authn.authenticate(req as unknown as IncomingMessage)).toEqual({
      ok: true,
      user: { username: 'jane', groups: ['admins'] },
    });
    expect(reviewed).toHaveLength(before);
  });
});
