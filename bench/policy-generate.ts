// NetworkPolicy advice at the operator's bound: `generate` over 20,000 kept edges
// (500 workloads, 200 Services, 2,000 external addresses), the generator and the YAML,
// two ways: at once (generatePolicies and policiesYaml, as the operator ran them before
// time slices) and as the operator runs it now (PolicyAdvisor.generate, in slices:
// lib/time-slices.ts). For each, over 5 runs: the median time, the longest event-loop
// stall during a run (perf_hooks.monitorEventLoopDelay, 1 ms resolution) and the
// slowest answer to a GET /healthz that the operator's HTTP server (in this process)
// was asked during a run, by a client on a thread of its own asking every 5 ms over
// loopback. Checks that both give the same YAML; writes bench/results/policy-generate.json.
//
//   node --import tsx bench/policy-generate.ts
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import { type Edge, unique } from '../api/edge.js';
import { DEFAULT_POLICY_PARAMETERS } from '../api/policy-parameters.js';
import type { Trace } from '../api/trace.js';
import { HttpServer } from '../lib/http-server.js';
import { logger } from '../lib/log.js';
import { MAX_POLICY_EDGES, PolicyAdvisor, type TraceSource } from '../operator/policy/advisor.js';
import { type ClusterFacts, generatePolicies } from '../operator/policy/generate.js';
import { policiesYaml } from '../operator/policy/yaml.js';
import { writeResults } from './lib/results.js';

const WORKLOADS = 500;
const SERVICES = 200;
const facts: ClusterFacts = {
  podOwner: (_ns, name) => ({ kind: 'Deployment', name: name.replace(/-pod$/, '') }),
  selectorOf: (_kind, _ns, name) => ({ matchLabels: { app: name } }),
  service: (_ns, name) => ({
    selector: { app: name },
    ports: [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 8080 }],
  }),
  nodeWithPodRange: () => undefined,
  endpointSlices: () => [
    {
      addressType: 'IPv4',
      addresses: ['10.244.0.1'],
      ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
    },
  ],
};

const edges: Edge[] = [];
for (let i = 0; edges.length < MAX_POLICY_EDGES; i++) {
  // Shifted every 1,000 edges, when the addresses below repeat: each edge is unique.
  const wi = (i + Math.floor(i / 1000)) % WORKLOADS;
  const w = `w${wi}`;
  const base: Edge = {
    type: 'normal',
    namespace: `ns${wi % 10}`,
    pod: `${w}-pod`,
    proto: 'tcp',
    podOwner: w,
    podOwnerKind: 'Deployment',
    podLabels: { app: w, 'pod-template-hash': 'abc' },
    port: 80,
    ip: '',
  };
  const kind = i % 3;
  if (kind === 0)
    edges.push({
      ...base,
      pktType: 'OUTGOING',
      ip: `10.96.${i % 250}.${i % 200}`,
      remoteKind: 'svc',
      remoteServiceNamespace: `ns${wi % 10}`,
      remoteServiceName: `s${i % SERVICES}`,
    });
  else if (kind === 1)
    edges.push({
      ...base,
      pktType: 'HOST',
      ip: `10.244.${i % 250}.${i % 251}`,
      port: 8080,
      remoteKind: 'pod',
      remotePodNamespace: `ns${(wi + 1) % 10}`,
      remotePodName: `w${(i * 7) % WORKLOADS}-pod`,
      remotePodLabels: { app: `w${(i * 7) % WORKLOADS}` },
    });
  else
    edges.push({
      ...base,
      pktType: 'OUTGOING',
      ip: `203.0.${i % 8}.${i % 250}`,
      port: 443,
      remoteKind: 'other',
    });
}

if (unique(edges).length !== edges.length) throw new Error('the edges are not unique');

const RUNS = 5;
// The history as the advisor reads it: one record per edge.
const history = { records: edges.map((edge) => ({ edge })) };
const source = { get: () => history, keepStopped: 10 } as unknown as TraceSource;
// The YAML is too big for status.output: it goes to a ConfigMap, written nowhere here.
const kube = { request: async () => ({}), mergePatch: async () => ({}) };
const advisor = new PolicyAdvisor(kube as never, source, facts);
const trace = {
  apiVersion: 'gadget.kinvolk.io/v1alpha1',
  kind: 'Trace',
  metadata: { namespace: 'bench', name: 'trace' },
  spec: {},
} as Trace;

const http = new HttpServer(logger('bench', 'silent'));
const { port } = await http.listen({ host: '127.0.0.1', port: 0 });
// A client with an event loop of its own, as a kubelet's probe or a Prometheus is:
// [sent at, answered after] in ms since the epoch, for every GET /healthz.
const answers: [number, number][] = [];
const client = new Worker(
  `const { parentPort } = require('node:worker_threads');
  const now = () => performance.timeOrigin + performance.now();
  let going = true;
  parentPort.on('message', () => { going = false; });
  (async () => {
    while (going) {
      const s = now();
      await (await fetch('http://127.0.0.1:${port}/healthz')).text();
      parentPort.postMessage([s, now() - s]);
      await new Promise((r) => setTimeout(r, 5));
    }
    parentPort.close();
  })();`,
  { eval: true },
);
client.on('message', (a: [number, number]) => answers.push(a));
const epochMs = () => performance.timeOrigin + performance.now();

interface Run {
  ms: number;
  stallMs: number;
  from: number;
  to: number;
}

/** One generate, with the event loop's longest delay measured around it. */
async function measure(work: () => unknown): Promise<Run> {
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  // The histogram counts from its timer's first tick: let it tick before the work.
  await sleep(50);
  const from = epochMs();
  const t0 = performance.now();
  await work();
  const ms = performance.now() - t0;
  const to = epochMs();
  // The stall of synchronous work is recorded when the loop next turns.
  await sleep(20);
  delay.disable();
  return { ms, stallMs: delay.max / 1e6, from, to };
}

let bytes = 0;
let policies = 0;
let atOnceYaml = '';
const atOnce: Run[] = [];
for (let r = 0; r < RUNS; r++)
  atOnce.push(
    await measure(() => {
      const g = generatePolicies(edges, facts, DEFAULT_POLICY_PARAMETERS, 'bench/trace');
      atOnceYaml = policiesYaml(g.policies, g.peerNames);
      bytes = Buffer.byteLength(atOnceYaml);
      policies = g.policies.length;
    }),
  );
const sliced: Run[] = [];
for (let r = 0; r < RUNS; r++) sliced.push(await measure(() => advisor.generate(trace, false)));
client.postMessage('stop');
await new Promise((resolve) => client.once('exit', resolve));
await http.close();
// The advisor's YAML is a header of comments, then the same documents.
if (!advisor.advice('bench/trace')?.endsWith(`---\n${atOnceYaml}`))
  throw new Error('the YAML generated in slices differs from the one generated at once');

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
/** The /healthz requests in flight during a run. */
const during = (r: Run) => answers.filter(([sent, ms]) => sent < r.to && sent + ms > r.from);
const summary = (runs: Run[]) => ({
  medianMs: median(runs.map((r) => r.ms)),
  times: runs.map((r) => r.ms),
  stallMaxMs: Math.max(...runs.map((r) => r.stallMs)),
  stallMedianMs: median(runs.map((r) => r.stallMs)),
  healthzMaxMs: Math.max(...runs.flatMap((r) => during(r).map(([, ms]) => ms))),
  healthzAnswered: runs.map((r) => during(r).length),
});
const before = summary(atOnce);
const after = summary(sliced);
const rssMB = process.memoryUsage().rss / 2 ** 20;
const line = (what: string, f: ReturnType<typeof summary>) =>
  `  ${what}: median ${f.medianMs.toFixed(0)} ms (runs ${f.times.map((t) => t.toFixed(0)).join(', ')}); longest event-loop stall ${f.stallMaxMs.toFixed(0)} ms (median of the runs' longest ${f.stallMedianMs.toFixed(0)} ms); slowest /healthz ${f.healthzMaxMs.toFixed(0)} ms (answered during each run: ${f.healthzAnswered.join(', ')})`;
console.log(
  `generate: ${edges.length} edges -> ${policies} policies, ${(bytes / 1024).toFixed(0)} KiB of YAML, RSS ${rssMB.toFixed(0)} MB`,
);
console.log(line('at once  ', before));
console.log(line('in slices', after));
console.log(
  `results: ${writeResults('policy-generate', { edges: edges.length, policies, bytes, rssMB, atOnce: before, inSlices: after })}`,
);
