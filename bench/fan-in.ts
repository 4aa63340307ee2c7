// What reading across replicas costs (operator/ring/): N edges of 100 nodes held by R
// replicas (a node's edges on one replica, as the ring spreads them), each replica's graph
// API on its own HTTPS port with the certificate they share. The graph of the last 5
// minutes asked of one replica, which gathers its peers' parts (records and bins) and
// merges them, against the same graph from one replica holding every edge: the answer's
// time (median of 5), the bytes its peers sent (first ask: their edges whole; later asks:
// only bins, their edges being held), and the heap the asker keeps of its peers' edges.
// Writes bench/results/fan-in.json.
//
//   node --expose-gc --import tsx bench/fan-in.ts [--edges 30000] [--replicas 3]
import https from 'node:https';
import { parseArgs } from 'node:util';
import type { GraphAnswer } from '../api/graph.js';
import type { Replica } from '../api/ring.js';
import { HttpServer } from '../lib/http-server.js';
import { logger } from '../lib/log.js';
import { selfSignedIdentity } from '../lib/tls.js';
import { GraphApi } from '../operator/graph/api.js';
import { BIN_MS } from '../operator/history/bin-log.js';
import { HistoryStore } from '../operator/history/history.js';
import { PeerClient } from '../operator/ring/peer-client.js';
import { writeResults } from './lib/results.js';
import { median } from './lib/stats.js';
import { syntheticEdges } from './lib/synthetic-edges.js';

const { values } = parseArgs({
  options: {
    edges: { type: 'string', default: '30000' },
    replicas: { type: 'string', default: '3' },
  },
});
const N = Number(values.edges);
const R = Number(values.replicas);
const NAME = 'netgraph-operator.netgraph.svc';
const TRACE = 'bench/t';
const log = logger('bench', 'silent');
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});
const heapMB = () => {
  gc();
  return process.memoryUsage().heapUsed / 2 ** 20;
};
const tls = selfSignedIdentity([NAME]);

/** The stores' clock: each bin's time while they are fed, then the real one. */
const clock: { at?: number } = {};

/** A replica: its store and its port. */
async function replica(id: string, members: Replica[]) {
  const store = new HistoryStore({
    groupNames: (e) => ({ group: e.namespace ?? '', remoteGroup: e.remotePodNamespace ?? '' }),
    now: () => clock.at ?? Date.now(),
  });
  store.started(TRACE, {}, { groupBy: 'pod', ips: [] });
  const peers = new PeerClient({
    peers: { self: id, others: () => members.filter((m) => m.id !== id) },
    serving: { ca: tls.cert, hosts: [NAME] },
    token: async () => 'token',
    store,
    log,
  });
  const http = new HttpServer(log, { tls: { cert: tls.cert, key: tls.key } });
  new GraphApi({ store, log, webRoot: '/nonexistent', peers }).register(http);
  const { port } = await http.listen({ host: '127.0.0.1', port: 0 });
  return { id, store, http, port, peers };
}

/** GET a path of a replica's port: the answer's text and how long it took (ms). */
function get(port: number, path: string): Promise<{ ms: number; text: string }> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    https
      .get(`https://127.0.0.1:${port}${path}`, { ca: tls.cert, servername: NAME }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          text += c;
        });
        res.on('end', () => resolve({ ms: performance.now() - t0, text }));
      })
      .on('error', reject);
  });
}

/** The graph of the last 5 minutes: its time in ms, its edges and bytes, whether partial. */
async function graph(
  port: number,
): Promise<{ ms: number; edges: number; bytes: number; partial: boolean }> {
  const { ms, text } = await get(port, `/api/v1/traces/${TRACE}/graph?start=-5m`);
  const g = JSON.parse(text) as GraphAnswer;
  const bytes = g.edges.reduce((n, e) => n + e.bytesTotal, 0);
  return { ms, edges: g.edges.length, bytes, partial: g.partial === true };
}

// The trace starts with its first bin, so the window is inside every replica's memory.
const start = Date.now() - 29 * BIN_MS;
clock.at = start;
const members: Replica[] = [];
const replicas: Awaited<ReturnType<typeof replica>>[] = [];
for (let i = 0; i < R; i++) {
  const r = await replica(`r${i}`, members);
  replicas.push(r);
  members.push({ id: r.id, endpoint: `https://127.0.0.1:${r.port}`, view: '', expires: Infinity });
}
const one = await replica('alone', []);

// Every edge grows in each of the last 30 bins (5 minutes): the window's busiest case.
const { edges } = syntheticEdges(N, { uniquePorts: true });
const nodeIndex = (e: (typeof edges)[number]) => Number((e.node ?? 'node-0').slice(5));
for (let b = 0; b < 30; b++) {
  const now = start + b * BIN_MS;
  for (const e of edges) {
    e.connections = b + 1;
    e.bytesSent = 1000 * (b + 1);
    e.bytesReceived = 3000 * (b + 1);
    clock.at = now;
    replicas[nodeIndex(e) % R]?.store.edge(TRACE, e.node ?? '', e);
    one.store.edge(TRACE, e.node ?? '', e);
  }
}
clock.at = undefined;

const runs = async (port: number, n: number) => {
  const out = [];
  for (let i = 0; i < n; i++) out.push(await graph(port));
  return out;
};
const asker = replicas[0] as (typeof replicas)[number];
const alone = await runs(one.port, 5);
/** What the peers send for one ask: their parts, whole or past the edges already held. */
const partBytes = async (held: boolean, bins: 'each' | 'window') => {
  let n = 0;
  for (const r of replicas.slice(1)) {
    const h = r.store.get(TRACE);
    const q = held ? `&after=${h?.records.length}&epoch=${h?.startedAt}` : '';
    const path = `/api/v1/traces/${TRACE}/part?start=-5m&scope=local&bins=${bins}${q}`;
    n += Buffer.byteLength((await get(r.port, path)).text);
  }
  return n;
};
const firstBytes = await partBytes(false, 'window');
const laterBytes = await partBytes(true, 'window');
const laterEachBytes = await partBytes(true, 'each');
const heapBefore = heapMB();
const first = await graph(asker.port);
const heapHeld = heapMB() - heapBefore;
const later = await runs(asker.port, 5);

const figures = {
  edges: N,
  replicas: R,
  graphEdges: alone[0]?.edges,
  aloneMs: median(alone.map((r) => r.ms)),
  fanInFirstMs: first.ms,
  fanInLaterMs: median(later.map((r) => r.ms)),
  sameGraph: [first, ...later].every(
    (r) => r.edges === alone[0]?.edges && r.bytes === alone[0]?.bytes && !r.partial,
  ),
  peerBytesFirst: firstBytes,
  peerBytesLater: laterBytes,
  peerBytesLaterEachBin: laterEachBytes,
  peerEdgesHeldMB: heapHeld,
};
console.log(
  [
    `${N} edges over ${R} replicas (graph of ${figures.graphEdges} edges, last 5 minutes, every edge busy in each bin)`,
    `one replica holding all: ${figures.aloneMs.toFixed(0)} ms (median of 5)`,
    `fanned in: first ${figures.fanInFirstMs.toFixed(0)} ms, then ${figures.fanInLaterMs.toFixed(0)} ms (median of 5)`,
    `peers sent: first ${(firstBytes / 2 ** 20).toFixed(1)} MB, then ${(laterBytes / 2 ** 20).toFixed(1)} MB an ask (a series, every bin: ${(laterEachBytes / 2 ** 20).toFixed(1)} MB)`,
    `heap the asker keeps of its peers' edges: ${heapHeld.toFixed(1)} MB`,
    `same graph as one replica's (edges and bytes): ${figures.sameGraph}`,
  ].join('\n'),
);
console.log(writeResults('fan-in', figures));
for (const r of [...replicas, one]) {
  r.peers.close();
  await r.http.close();
}
if (!figures.sameGraph) process.exit(1);
