// The operator's memory per edge: enriched edges (workload pods, Services, other pods and
// outside addresses, with their labels as enrichment shares them) fed through every
// EdgeObserver the operator wires in operator/main.ts (the history, the one store of a
// trace's edges for the graph page and policy advice, and the Prometheus metrics), each
// edge growing in each of 6 10-second bins (one busy minute). The edge objects are made
// before the first figure (TraceRun holds those); what the observers add is measured
// after GC: heap (with array buffers) and RSS, in total and per edge, once running and
// again after the trace stopped.
//
//   node --expose-gc --import tsx bench/operator-edge-memory.ts [--edges 50000]
import { parseArgs } from 'node:util';
import { BIN_MS } from '../operator/history/bin-log.js';
import { HistoryStore } from '../operator/history/history.js';
import { MetricsEndpoint } from '../operator/metrics/endpoint.js';
import { parseMetricsFlags } from '../operator/metrics/flags.js';
import type { EdgeObserver } from '../operator/trace/edge-observer.js';
import { writeResults } from './lib/results.js';
import { syntheticEdges } from './lib/synthetic-edges.js';

const { values } = parseArgs({ options: { edges: { type: 'string', default: '50000' } } });
const EDGES = Number(values.edges);
const BINS = 6;
const TRACE = 'gadget/bench';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc --import tsx bench/operator-edge-memory.ts');

function memory() {
  gc?.();
  const m = process.memoryUsage();
  return { heap: m.heapUsed + m.arrayBuffers, rss: m.rss };
}
const mb = (n: number) => Math.round((n / 2 ** 20) * 10) / 10;
const perEdge = (n: number) => Math.round(n / EDGES);

const { edges, pick } = syntheticEdges(EDGES, { seed: 11, uniquePorts: true });
const clock = { now: 1_700_000_000_000 };
const before = memory();
// As operator/main.ts wires them.
const history = new HistoryStore({
  groupNames: (e, by) => ({
    group: by === 'node' ? `node/${e.node}` : `${e.namespace}/${by}/${e.podOwner}`,
    remoteGroup: e.remoteKind === 'other' ? (e.ip ?? '') : `${e.remotePodNamespace}/${by}/x`,
  }),
  now: () => clock.now,
});
const metrics = new MetricsEndpoint({
  ...parseMetricsFlags({}),
  remoteOwner: (_ns, pod) => ({ kind: 'Deployment', name: pod.replace(/-\d+$/, '') }),
  liveWorkloads: () => new Set(),
  agents: () => 10,
});
const observers: EdgeObserver[] = [history, ...metrics.observers];
for (const o of observers) o.started?.(TRACE, {}, { groupBy: 'pod', ips: [] });
for (let bin = 1; bin <= BINS; bin++) {
  for (const e of edges) {
    e.connections = (e.connections ?? 0) + 1;
    e.bytesSent = (e.bytesSent ?? 0) + 100 + pick(50_000);
    e.bytesReceived = (e.bytesReceived ?? 0) + 100 + pick(200_000);
    e.bytesTotal = e.bytesSent + e.bytesReceived;
    e.packetsSent = (e.packetsSent ?? 0) + 5;
    e.packetsReceived = (e.packetsReceived ?? 0) + 7;
    for (const o of observers) o.edge(TRACE, e.node ?? '', e);
  }
  clock.now += BIN_MS;
}
const running = memory();
for (const o of observers) o.ended?.(TRACE, 'stopped');
const stopped = memory();
const figures = {
  edges: EDGES,
  bins: BINS,
  observers: observers.map((o) => o.constructor.name),
  runningHeapMB: mb(running.heap - before.heap),
  runningRssMB: mb(running.rss - before.rss),
  runningHeapBytesPerEdge: perEdge(running.heap - before.heap),
  runningRssBytesPerEdge: perEdge(running.rss - before.rss),
  stoppedHeapMB: mb(stopped.heap - before.heap),
  stoppedHeapBytesPerEdge: perEdge(stopped.heap - before.heap),
};
// Keep everything alive until measured.
if (edges.length < 0 || observers.length < 0) throw new Error('unreachable');
console.log(JSON.stringify(figures, null, 2));
console.log(`written to ${writeResults('operator-edge-memory', figures)}`);
