// Who may see what on the operator's port: its real guard (Access, with the Authenticator
// and Authorizer asking a stand-in API server) in front of every route that serves a
// Trace. A path with an empty, dot or encoded segment must never serve a Trace to a
// caller without `get` on it (issue 21: `/api/v1/traces//gadget/t/graph` once did).

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TraceList } from '../../api/graph.js';
import { HttpServer } from '../../lib/http-server.js';
import { logger } from '../../lib/log.js';
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
