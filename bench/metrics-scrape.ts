// The operator's /metrics with 100,000 edges feeding it: edges in 50 namespaces from
// 2,000 workloads (5 pods each), to Services, to pods of other workloads and to
// addresses outside the cluster, each edge updated 5 times with grown counters, through
// the real MetricsEndpoint on a real HttpServer. Prints the feed rate, the series
// held, the render time (the handler's text, median of 20), the scrape time (median and
// p95 of 20 GETs over loopback, each body read whole by a client process of its own, as
// Prometheus is) and the memory the metrics added (heap and RSS after GC, the edges
// allocated before): once fed, and RSS again after the scrapes.
// Run twice, each in a process of its own (in one, the second fill would reuse what the
// first freed): workload labels (the default) and every opt-in label (pod,ip).
//
//   node --expose-gc --import tsx bench/metrics-scrape.ts [--edges 100000] [--labels pod,ip]
//
// Targets: a scrape under 250 ms, under 100 MB added (exit code 1 if missed).
import { execFile, execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { HttpServer } from '../lib/http-server.js';
import { logger } from '../lib/log.js';
import { MetricsEndpoint } from '../operator/metrics/endpoint.js';
import { ExpositionWriter } from '../operator/metrics/exposition-writer.js';
import { parseMetricsFlags } from '../operator/metrics/flags.js';
import { writeResults } from './lib/results.js';
import { syntheticEdges } from './lib/synthetic-edges.js';

const { values } = parseArgs({
  options: {
    edges: { type: 'string', default: '100000' },
    // Set: run this one configuration here and print its figures (what each child does).
    labels: { type: 'string' },
    // Set: scrape this URL SCRAPES times and print the times (the client's process).
    scrape: { type: 'string' },
  },
});
const EDGES = Number(values.edges);
const execFileAsync = promisify(execFile);
const UPDATES = 5;
const SCRAPES = 20;

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc --import tsx bench/metrics-scrape.ts');

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
  const { edges } = syntheticEdges(count);
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
  const client = await execFileAsync(
    process.execPath,
    [
      ...process.execArgv,
      fileURLToPath(import.meta.url),
      '--scrape',
      `http://127.0.0.1:${port}/metrics`,
    ],
    { encoding: 'utf8', maxBuffer: 2 ** 20 },
  );
  const { times, bytes, series } = JSON.parse(client.stdout) as Awaited<ReturnType<typeof scrape>>;
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

/** The scraper's part, in a process of its own as Prometheus is: SCRAPES GETs, bodies read whole. */
async function scrape(url: string) {
  const times: number[] = [];
  // One scrape first, not counted: Prometheus's client code is not cold either.
  let text = await (await fetch(url)).text();
  for (let i = 0; i < SCRAPES; i++) {
    const s = performance.now();
    text = await (await fetch(url)).text();
    times.push(performance.now() - s);
  }
  const series = Number(/^netgraph_metrics_series (\d+)$/m.exec(text)?.[1]);
  return { times, bytes: text.length, series };
}

if (values.scrape !== undefined) {
  console.log(JSON.stringify(await scrape(values.scrape)));
  process.exit(0);
}
if (values.labels !== undefined) {
  // A warm-up run, not reported: a running operator has its code loaded and compiled.
  await run(values.labels, 2000);
  console.log(JSON.stringify(await run(values.labels)));
  process.exit(0);
}
const results: Awaited<ReturnType<typeof run>>[] = [];
for (const labels of ['', 'pod,ip']) {
  const out = execFileSync(
    process.execPath,
    [
      ...process.execArgv,
      fileURLToPath(import.meta.url),
      '--edges',
      String(EDGES),
      `--labels=${labels}`,
    ],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const r = JSON.parse(out.trim().split('\n').at(-1) as string);
  console.log(JSON.stringify(r));
  results.push(r);
}
const path = writeResults('metrics-scrape', { runs: results });
console.log(`written to ${path}`);
const missed = results.filter((r) => r.scrapeMedianMs >= 250 || r.addedRssMB >= 100);
if (missed.length > 0) {
  console.log(`target missed: scrape < 250 ms and < 100 MB added (${missed.length} runs)`);
  process.exit(1);
}
