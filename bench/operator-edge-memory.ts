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
import type { Edge } from '../api/edge.js';
import type { EdgeObserver } from '../operator/edge-observer.js';
import { BIN_MS } from '../operator/history/bin-log.js';
import { HistoryStore } from '../operator/history/history.js';
import { MetricsEndpoint } from '../operator/metrics/endpoint.js';
import { parseMetricsFlags } from '../operator/metrics/flags.js';
import { writeResults } from './lib/results.js';

const { values } = parseArgs({ options: { edges: { type: 'string', default: '50000' } } });
const EDGES = Number(values.edges);
const BINS = 6;
const NAMESPACES = 50;
const WORKLOADS = 2_000;
const PODS = 5;
const TRACE = 'gadget/bench';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc --import tsx bench/operator-edge-memory.ts');

let seed = 11;
const rand = () => {
  seed = (seed * 48_271) % 2_147_483_647;
  return seed / 2_147_483_647;
};
const pick = (n: number) => Math.floor(rand() * n);
const podIP = (w: number, p: number) => `10.244.${w >> 4}.${((w & 15) << 4) | p}`;
// Enrichment hands out the pod cache's label objects: one per workload, shared.
const labels = Array.from({ length: WORKLOADS }, (_, w) => ({
  app: `wl-${w}`,
  'pod-template-hash': `h${w}`,
}));

function makeEdges(): Edge[] {
  const out: Edge[] = [];
  for (let i = 0; i < EDGES; i++) {
    const w = pick(WORKLOADS);
    const p = pick(PODS);
    const e: Edge = {
      type: 'normal',
      node: `node-${w % 100}`,
      namespace: `ns-${w % NAMESPACES}`,
      pod: `wl-${w}-${p}`,
      podIP: podIP(w, p),
      podOwner: `wl-${w}`,
      podOwnerKind: 'Deployment',
      podLabels: labels[w],
      pktType: rand() < 0.5 ? 'OUTGOING' : 'HOST',
      proto: rand() < 0.8 ? 'tcp' : 'udp',
      port: 1024 + i, // every edge its own key
      connections: 0,
      packetsSent: 0,
      packetsReceived: 0,
      bytesSent: 0,
      bytesReceived: 0,
      bytesTotal: 0,
    };
    const kind = rand();
    if (kind < 0.3) {
      const s = pick(WORKLOADS);
      Object.assign(e, {
        ip: `10.96.${s >> 8}.${s & 255}`,
        remoteKind: 'svc',
        remoteServiceNamespace: `ns-${s % NAMESPACES}`,
        remoteServiceName: `svc-${s}`,
      });
    } else if (kind < 0.85) {
      const rw = pick(WORKLOADS);
      const rp = pick(PODS);
      Object.assign(e, {
        ip: podIP(rw, rp),
        remoteKind: 'pod',
        remotePodNamespace: `ns-${rw % NAMESPACES}`,
        remotePodName: `wl-${rw}-${rp}`,
        remotePodLabels: labels[rw],
      });
    } else Object.assign(e, { ip: `203.0.${pick(256)}.${pick(256)}`, remoteKind: 'other' });
    out.push(e);
  }
  return out;
}

function memory() {
  gc?.();
  const m = process.memoryUsage();
  return { heap: m.heapUsed + m.arrayBuffers, rss: m.rss };
}
const mb = (n: number) => Math.round((n / 2 ** 20) * 10) / 10;
const perEdge = (n: number) => Math.round(n / EDGES);

const edges = makeEdges();
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
