// The operator's /metrics with 100,000 edges feeding it: edges in 50 namespaces from
// 2,000 workloads (5 pods each), to Services, to pods of other workloads and to
// addresses outside the cluster, each edge updated 5 times with grown counters, through
// the real MetricsEndpoint on a real HttpServer. Prints the feed rate, the series
// held, the render time (the handler's text, median of 20), the scrape time (median and
// p95 of 20 GETs over loopback, body read by a client in this same process) and the
// memory the metrics added (heap and RSS after GC, the edges allocated before): once fed,
// and RSS again after the scrapes (V8 keeps what the 10 MB responses took).
// Run twice: workload labels (the default) and every opt-in label (pod,ip).
//
//   node --expose-gc --import tsx bench/metrics-scrape.ts [--edges 100000]
//
// Targets: a scrape under 250 ms, under 100 MB added (exit code 1 if missed).
import { parseArgs } from 'node:util';
import type { Edge } from '../api/edge.js';
import { logger } from '../lib/log.js';
import { HttpServer } from '../operator/http/server.js';
import { MetricsEndpoint } from '../operator/metrics/endpoint.js';
import { ExpositionWriter } from '../operator/metrics/exposition-writer.js';
import { parseMetricsFlags } from '../operator/metrics/flags.js';
import { writeResults } from './lib/results.js';

const { values } = parseArgs({ options: { edges: { type: 'string', default: '100000' } } });
const EDGES = Number(values.edges);
const NAMESPACES = 50;
const WORKLOADS = 2_000;
const PODS_PER_WORKLOAD = 5;
const SERVICES = 2_000;
const UPDATES = 5;
const SCRAPES = 20;

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc --import tsx bench/metrics-scrape.ts');

let seed = 7;
const rand = () => {
  seed = (seed * 48_271) % 2_147_483_647;
  return seed / 2_147_483_647;
};
const pick = (n: number) => Math.floor(rand() * n);
const ip = (w: number, p: number) => `10.244.${w >> 4}.${((w & 15) << 4) | p}`;

function makeEdges(count: number): Edge[] {
  const edges: Edge[] = [];
  for (let i = 0; i < count; i++) {
    const w = pick(WORKLOADS);
    const p = pick(PODS_PER_WORKLOAD);
    const ns = `ns-${w % NAMESPACES}`;
    const e: Edge = {
      type: 'normal',
      node: `node-${w % 100}`,
      namespace: ns,
      pod: `wl-${w}-${p}`,
      podOwner: `wl-${w}`,
      podOwnerKind: 'Deployment',
      podIP: ip(w, p),
      pktType: rand() < 0.5 ? 'OUTGOING' : 'HOST',
      proto: rand() < 0.8 ? 'tcp' : 'udp',
      port: [80, 443, 8080, 5432, 53][pick(5)],
      // The counters exist on TraceRun's edges before the metrics see them.
      connections: 0,
      packetsSent: 0,
      packetsReceived: 0,
      bytesSent: 0,
      bytesReceived: 0,
      bytesTotal: 0,
    };
    const kind = rand();
    if (kind < 0.3) {
      const s = pick(SERVICES);
      Object.assign(e, {
        ip: `10.96.${s >> 8}.${s & 255}`,
        remoteKind: 'svc',
        remoteServiceNamespace: `ns-${s % NAMESPACES}`,
        remoteServiceName: `svc-${s}`,
      });
    } else if (kind < 0.85) {
      const rw = pick(WORKLOADS);
      const rp = pick(PODS_PER_WORKLOAD);
      Object.assign(e, {
        ip: ip(rw, rp),
        remoteKind: 'pod',
        remotePodNamespace: `ns-${rw % NAMESPACES}`,
        remotePodName: `wl-${rw}-${rp}`,
      });
    } else {
      const a = `${1 + pick(200)}.${pick(256)}.${pick(256)}.${pick(256)}`;
      Object.assign(e, { ip: a, remoteKind: 'other', remoteOther: a });
    }
    edges.push(e);
  }
  return edges;
}

const mb = (n: number) => Math.round((n / 2 ** 20) * 10) / 10;
function memory() {
  gc?.();
  gc?.();
  const m = process.memoryUsage();
  return { rss: m.rss, heap: m.heapUsed };
}
const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] as number;
};

async function run(labels: string, count = EDGES) {
  const edges = makeEdges(count);
  const before = memory();
  const flags = parseMetricsFlags({ 'metrics-labels': labels });
  const metrics = new MetricsEndpoint({
    ...flags,
    remoteOwner: (_ns, pod) => ({ kind: 'Deployment', name: pod.replace(/-\d+$/, '') }),
    liveWorkloads: () => new Set(),
    agents: () => 100,
  });
  for (const o of metrics.observers) o.started?.('gadget/bench', {}, { groupBy: 'pod', ips: [] });
  const t0 = performance.now();
  let fed = 0;
  for (let round = 1; round <= UPDATES; round++) {
    for (const e of edges) {
      e.connections = round;
      e.bytesSent = round * 1000;
      e.bytesReceived = round * 4000;
      e.packetsSent = round * 5;
      e.packetsReceived = round * 7;
      for (const o of metrics.observers) o.edge('gadget/bench', e.node ?? '', e);
      fed++;
    }
  }
  const feedMs = performance.now() - t0;
  const fedMemory = memory();
  // The server's share alone: the bytes of every series, as the handler writes them.
  const renders: number[] = [];
  for (let i = 0; i < SCRAPES; i++) {
    const s = performance.now();
    const w = new ExpositionWriter({
      write: (_chunk, sent) => {
        sent();
        return true;
      },
      drained: async () => true,
    });
    await metrics.graph.render(w);
    w.text(await metrics.registry.metrics());
    w.flush();
    renders.push(performance.now() - s);
  }
  const http = new HttpServer(logger('bench', 'silent'));
  http.route('/metrics', metrics.handler);
  const { port } = await http.listen({ host: '127.0.0.1', port: 0 });
  const times: number[] = [];
  let bytes = 0;
  for (let i = 0; i < SCRAPES; i++) {
    const s = performance.now();
    const body = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    times.push(performance.now() - s);
    bytes = body.length;
  }
  const series = Number(
    /^netgraph_metrics_series (\d+)$/m.exec(
      await (await fetch(`http://127.0.0.1:${port}/metrics`)).text(),
    )?.[1],
  );
  await http.close();
  const after = memory();
  const figures = {
    labels: labels || 'workload (default)',
    edges: count,
    updatesPerSecond: Math.round(fed / (feedMs / 1000)),
    series,
    renderMedianMs: Math.round(quantile(renders, 0.5)),
    scrapeMedianMs: Math.round(quantile(times, 0.5)),
    scrapeP95Ms: Math.round(quantile(times, 0.95)),
    scrapeMB: mb(bytes),
    addedHeapMB: mb(fedMemory.heap - before.heap),
    addedRssMB: mb(fedMemory.rss - before.rss),
    addedRssAfterScrapesMB: mb(after.rss - before.rss),
  };
  // Keep the edges and the metrics alive until measured.
  if (edges.length < 0 || !metrics) throw new Error('unreachable');
  return figures;
}

// A warm-up run, not reported: a running operator has its code loaded and compiled.
await run('', 2000);
const results = [await run(''), await run('pod,ip')];
for (const r of results) console.log(JSON.stringify(r));
const path = writeResults('metrics-scrape', { runs: results });
console.log(`written to ${path}`);
const missed = results.filter((r) => r.scrapeMedianMs >= 250 || r.addedRssMB >= 100);
if (missed.length > 0) {
  console.log(`target missed: scrape < 250 ms and < 100 MB added (${missed.length} runs)`);
  process.exit(1);
}
