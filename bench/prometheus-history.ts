// What the graph API spends on the part of a window before its memory, once Prometheus
// has answered: a trace's range-query answers (netgraph_edge_bytes_total by direction and
// netgraph_edge_connections_total, as JSON text) for N workload-level edges over a span
// sampled as the operator samples it (prometheus-history.ts's sampling), parsed, turned into bins (operator/history/workload-bins.ts), made
// into records (workload-records.ts) and drawn with buildGraph in the owner view; and the
// heap the kept bins take. The default N is the series cap's worth (50,000 series / 5 a
// label set); the span is the page's longest window, an hour.
//
//   node --expose-gc --import tsx bench/prometheus-history.ts [--edges 10000] [--minutes 60] [--rounds 5]
import { parseArgs } from 'node:util';
import { WORKLOAD_EDGE_LABELS } from '../api/metrics.js';
import { buildGraph, UNFILTERED } from '../operator/graph/graph.js';
import { BIN_MS } from '../operator/history/bin-log.js';
import { sampling } from '../operator/history/prometheus-history.js';
import type { MatrixSeries } from '../operator/history/prometheus-source.js';
import { WorkloadBins } from '../operator/history/workload-bins.js';
import { workloadRecords } from '../operator/history/workload-records.js';
import { writeResults } from './lib/results.js';
import { median } from './lib/stats.js';

const { values } = parseArgs({
  options: {
    edges: { type: 'string', default: '10000' },
    minutes: { type: 'string', default: '60' },
    rounds: { type: 'string', default: '5' },
  },
});
const EDGES = Number(values.edges);
const BINS = (Number(values.minutes) * 60_000) / BIN_MS;
const END = Math.floor(Date.now() / BIN_MS);
const { step: STEP, first: FIRST } = sampling(END - BINS, END);
const SAMPLES = (END - FIRST) / STEP + 1;
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});

/** Edge i: workload w<i/10> in namespace ns<i%50> calling a Service, counters growing each sample. */
function answers(): { bytes: string; connections: string } {
  const bytes: MatrixSeries[] = [];
  const connections: MatrixSeries[] = [];
  for (let i = 0; i < EDGES; i++) {
    const labels: Record<string, string> = {
      trace: 'bench/t',
      namespace: `ns${i % 50}`,
      workload: `w${Math.floor(i / 10)}`,
      workload_kind: 'Deployment',
      pkt_type: 'OUTGOING',
      remote_kind: 'svc',
      remote_namespace: `ns${(i + 1) % 50}`,
      remote_workload: `svc${i % 10}`,
      proto: 'tcp',
      port: '80',
    };
    const series = (step: number): [number, string][] =>
      Array.from({ length: SAMPLES }, (_, k) => [
        ((FIRST + k * STEP) * BIN_MS) / 1000,
        String(1000 + step * k),
      ]);
    bytes.push({ metric: { ...labels, direction: 'sent' }, values: series(1500) });
    bytes.push({ metric: { ...labels, direction: 'received' }, values: series(9000) });
    connections.push({ metric: labels, values: series(2) });
  }
  const text = (result: MatrixSeries[]) =>
    JSON.stringify({ status: 'success', data: { resultType: 'matrix', result } });
  return { bytes: text(bytes), connections: text(connections) };
}

const { bytes, connections } = answers();
const mb = (n: number) => Math.round(n / 1e5) / 10;
console.log(
  `${EDGES} workload edges, ${values.minutes} min sampled every ${STEP * 10} s (${SAMPLES} samples): answers ${mb(bytes.length + connections.length)} MB of JSON`,
);
const rounds: Record<string, number[]> = {
  parse: [],
  bins: [],
  records: [],
  graph: [],
  heapMB: [],
};

/** One round, timed; returns the bins kept (the parsed answers are let go). */
function round(): WorkloadBins {
  let t = performance.now();
  const b = (JSON.parse(bytes) as { data: { result: MatrixSeries[] } }).data.result;
  const c = (JSON.parse(connections) as { data: { result: MatrixSeries[] } }).data.result;
  rounds.parse?.push(performance.now() - t);
  t = performance.now();
  const book = new WorkloadBins();
  book.add(FIRST, END, [
    ['bytes', b],
    ['connections', c],
  ]);
  rounds.bins?.push(performance.now() - t);
  t = performance.now();
  const records = workloadRecords(book.edges, 0, { workloads: new Map(), selectors: new Map() });
  rounds.records?.push(performance.now() - t);
  t = performance.now();
  const totals = new Float64Array(3 * records.length);
  book.each(FIRST, END, (_bin, e, conn, s, rcv) => {
    totals[3 * e] = (totals[3 * e] ?? 0) + conn;
    totals[3 * e + 1] = (totals[3 * e + 1] ?? 0) + s;
    totals[3 * e + 2] = (totals[3 * e + 2] ?? 0) + rcv;
  });
  const { graph } = buildGraph(records, totals, { ...UNFILTERED, groupBy: 'owner' });
  rounds.graph?.push(performance.now() - t);
  if (graph.edges.length === 0) throw new Error('no edge drawn');
  return book;
}

let kept: WorkloadBins | undefined;
for (let r = 0; r < Number(values.rounds); r++) {
  kept = undefined;
  gc();
  const heap0 = process.memoryUsage().heapUsed;
  kept = round();
  gc();
  rounds.heapMB?.push((process.memoryUsage().heapUsed - heap0) / 1e6);
}
void kept;
const figures = Object.fromEntries(
  Object.entries(rounds).map(([k, xs]) => [k, Math.round(median(xs) * 10) / 10]),
);
console.log(
  `median of ${values.rounds}: JSON.parse ${figures.parse} ms, bins ${figures.bins} ms, records ${figures.records} ms, totals + graph ${figures.graph} ms; bins kept ${figures.heapMB} MB of heap`,
);
console.log(`labels summed by: ${WORKLOAD_EDGE_LABELS.join(', ')}`);
writeResults('prometheus-history', {
  edges: EDGES,
  minutes: Number(values.minutes),
  samples: SAMPLES,
  ...figures,
});
