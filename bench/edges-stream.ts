// What the edge stream (operator/stream/edges-stream.ts, `kubectl netgraph observe`)
// costs the operator: it is told of every edge update of every trace. Fed as TraceRun
// feeds its observers (50,000 new edges, then rounds of counter updates on all of
// them) with nobody watching, then with one watcher reading over loopback HTTP.
// Prints updates/s on the operator's edge path, the lines the watcher got, and the heap
// the watcher's sent-set takes; writes bench/results/edges-stream.json.
//
//   node --expose-gc --import tsx bench/edges-stream.ts [--edges 50000] [--rounds 10]
import { get } from 'node:http';
import { parseArgs } from 'node:util';
import { HttpServer } from '../lib/http-server.js';
import { logger } from '../lib/log.js';
import { HistoryStore } from '../operator/history/history.js';
import { EdgesStream } from '../operator/stream/edges-stream.js';
import { writeResults } from './lib/results.js';
import { syntheticEdges } from './lib/synthetic-edges.js';

const { values } = parseArgs({
  options: {
    edges: { type: 'string', default: '50000' },
    rounds: { type: 'string', default: '10' },
  },
});
const N = Number(values.edges);
const ROUNDS = Number(values.rounds);
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});
const heapMB = () => {
  gc();
  return process.memoryUsage().heapUsed / 2 ** 20;
};

/** Feeds N new edges, then ROUNDS updates of each; calls per second of each part. */
function feed(observe: (trace: string, node: string, e: (typeof edges)[number]) => void) {
  const t0 = performance.now();
  for (const e of edges) observe('bench/t', e.node ?? 'n', e);
  const t1 = performance.now();
  for (let r = 1; r <= ROUNDS; r++)
    for (const e of edges) {
      e.connections = r;
      e.bytesSent = 100 * r;
      observe('bench/t', e.node ?? 'n', e);
    }
  const t2 = performance.now();
  return {
    newPerSecond: N / ((t1 - t0) / 1000),
    updatesPerSecond: (N * ROUNDS) / ((t2 - t1) / 1000),
  };
}

const { edges } = syntheticEdges(N, { uniquePorts: true });
const store = new HistoryStore({ groupNames: () => ({ group: '', remoteGroup: '' }) });
const stream = new EdgesStream({ store, maxUnsentBytes: 1 << 30 });
const params = { groupBy: 'pod' as const, ips: [] };

// Nobody watching: the stream's part of the edge path is one Map lookup.
stream.started('bench/t');
const idle = feed((t, n, e) => stream.edge(t, n, e));
const bare = feed(() => {});

// One watcher, reading as fast as loopback HTTP goes.
const http = new HttpServer(logger('bench', 'silent'));
stream.register(http);
const { port } = await http.listen({ host: '127.0.0.1', port: 0 });
store.started('bench/t', {}, params);
stream.started('bench/t');
let lines = 0;
const done = new Promise<void>((resolve) =>
  get(`http://127.0.0.1:${port}/api/v1/traces/bench/t/edges`, (res) => {
    res.on('data', (d: Buffer) => {
      for (const b of d) if (b === 10) lines++;
    });
    res.on('end', () => resolve());
  }),
);
await new Promise((r) => setTimeout(r, 100));
const before = heapMB();
const watched = feed((t, n, e) => stream.edge(t, n, e));
const sentSetMB = heapMB() - before;
store.ended('bench/t', 'stopped');
stream.ended('bench/t', 'stopped');
await done;
await http.close();

const rate = (x: number) => Math.round(x).toLocaleString('en');
const figures = {
  edges: N,
  rounds: ROUNDS,
  noObserver: bare,
  nobodyWatching: idle,
  oneWatcher: watched,
  linesReceived: lines,
  watcherHeapMB: Math.round(sentSetMB * 10) / 10,
};
console.log(
  [
    `${N} edges, then ${ROUNDS} rounds of updates of each; observer calls per second, new / updates:`,
    `  no observer:      ${rate(bare.newPerSecond)} / ${rate(bare.updatesPerSecond)}`,
    `  nobody watching:  ${rate(idle.newPerSecond)} / ${rate(idle.updatesPerSecond)}`,
    `  one watcher:      ${rate(watched.newPerSecond)} / ${rate(watched.updatesPerSecond)}; ${lines} lines received (${N} edges + the end)`,
    `  heap with the watcher (its sent-set, and the lines a burst leaves unsent): +${figures.watcherHeapMB} MB`,
  ].join('\n'),
);
console.log(`results: ${writeResults('edges-stream', figures)}`);
