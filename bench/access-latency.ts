// What access control costs the graph API, on the test bed's real apiserver: GET a trace's
// graph (200 edges) over HTTPS as a ServiceAccount with `get` on that Trace, through
//   open     the port with no guard (the floor),
//   cached   the guard as the operator runs it (TokenReview and SubjectAccessReview
//            answers cached in bounded LRUs),
//   uncached the same guard asking the apiserver on every request,
// in interleaved rounds (so the machine's load drifts over all three alike), one keep-alive
// connection each; p50 and p95 per mode, and what the guard adds at the median.
//
//   node --import tsx bench/access-latency.ts [--rounds 5] [--requests 200]
import { execFileSync } from 'node:child_process';
import https from 'node:https';
import { parseArgs } from 'node:util';
import { HttpServer } from '../lib/http-server.js';
import { Kube, loadKubeConfig } from '../lib/kube.js';
import { logger } from '../lib/log.js';
import { selfSignedIdentity } from '../lib/tls.js';
import { Access } from '../operator/access/access.js';
import { Authenticator } from '../operator/access/authenticator.js';
import { Authorizer } from '../operator/access/authorizer.js';
import { GraphApi } from '../operator/graph/api.js';
import { HistoryStore } from '../operator/history/history.js';
import { serviceAccountToken } from '../test/e2e/operator-port.js';
import { kubeconfigPath, kubectl, testbedScript } from '../test/e2e/testbed.js';
import { writeResults } from './lib/results.js';
import { median } from './lib/stats.js';
import { syntheticEdges } from './lib/synthetic-edges.js';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    requests: { type: 'string', default: '200' },
  },
});
const rounds = Number(values.rounds);
const requests = Number(values.requests);
const NS = 'bench-access';
const TRACE = `${NS}/graph`;

execFileSync(testbedScript, ['up'], { stdio: ['ignore', 'ignore', 'inherit'] });
const kube = new Kube(loadKubeConfig(kubeconfigPath()));
await kubectl(['create', 'namespace', NS]).catch(() => {});
await kubectl(['apply', '-f', '-'], {
  input: `apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: { name: trace-viewer, namespace: ${NS} }
rules: [{ apiGroups: [gadget.kinvolk.io], resources: [traces], verbs: [get] }]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: { name: viewer, namespace: ${NS} }
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: Role, name: trace-viewer }
subjects: [{ kind: ServiceAccount, name: viewer, namespace: ${NS} }]
`,
});
const token = await serviceAccountToken(NS, 'viewer');

const store = new HistoryStore({
  groupNames: (e) => ({ group: e.pod ?? '', remoteGroup: e.ip ?? '' }),
});
store.started(TRACE, {}, { groupBy: 'pod', ips: [] });
for (const e of syntheticEdges(200).edges) {
  e.connections = 1;
  e.bytesSent = 1000;
  store.edge(TRACE, 'node-0', e);
}

const tls = selfSignedIdentity(['127.0.0.1']);
const log = logger('bench', 'silent');
async function serve(guarded: 'no' | 'cached' | 'uncached'): Promise<number> {
  const cache = guarded === 'cached';
  const access = new Access(
    new Authenticator(kube, { cacheSize: cache ? 4096 : 0 }),
    new Authorizer(kube, { cacheSize: cache ? 8192 : 0 }),
    log,
  );
  const http = new HttpServer(log, {
    tls,
    ...(guarded !== 'no' && { guard: access.guard }),
  });
  new GraphApi({ store, log }).register(http);
  return (await http.listen({ host: '127.0.0.1', port: 0 })).port;
}
const modes = {
  open: await serve('no'),
  cached: await serve('cached'),
  uncached: await serve('uncached'),
};

const agent = new https.Agent({ keepAlive: true, maxSockets: 1, ca: tls.cert });
function get(port: number): Promise<number> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    https
      .get(
        `https://127.0.0.1:${port}/api/v1/traces/${TRACE}/graph`,
        { agent, headers: { authorization: `Bearer ${token}` } },
        (res) => {
          res.resume();
          res.on('end', () =>
            res.statusCode === 200
              ? resolve(performance.now() - t0)
              : reject(new Error(`HTTP ${res.statusCode}`)),
          );
        },
      )
      .on('error', reject);
  });
}

const times: Record<keyof typeof modes, number[]> = { open: [], cached: [], uncached: [] };
for (let r = 0; r < rounds; r++) {
  const order = Object.keys(modes) as (keyof typeof modes)[];
  if (r % 2) order.reverse();
  for (const mode of order)
    for (let i = 0; i < requests; i++) times[mode].push(await get(modes[mode]));
}
const q = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.floor(p * (xs.length - 1))] ?? 0;
const figures: Record<string, { p50: number; p95: number }> = {};
for (const [mode, xs] of Object.entries(times)) {
  figures[mode] = { p50: median(xs), p95: q(xs, 0.95) };
  console.log(
    `${mode.padEnd(9)} p50 ${median(xs).toFixed(2)} ms  p95 ${q(xs, 0.95).toFixed(2)} ms  (${xs.length} requests)`,
  );
}
const added = (m: string) => (figures[m]?.p50 ?? 0) - (figures.open?.p50 ?? 0);
console.log(
  `guard adds at p50: cached ${added('cached').toFixed(2)} ms, uncached ${added('uncached').toFixed(2)} ms (target: cached <= 5 ms)`,
);
console.log(`results: ${writeResults('access-latency', { rounds, requests, figures })}`);
agent.destroy();
await kubectl(['delete', 'namespace', NS, '--wait=false']).catch(() => {});
process.exit(0);
