// Load on the test bed (brought up if needed; run it under the test bed's lock):
//   1. --traces 200 Traces started at once across 10 simulated nodes (one agent each);
//      time until all are Started, then a burst of new edges on every node: edges/s
//      through the operator (edge lines logged / time until the last one);
//   2. --pods 1000 pods added to one traced node: time until the agent has attached all
//      of them, the agent's RSS and file descriptors;
//   3. --nodes 50 simulated nodes, each with its own agent process, all traced by one
//      Trace with node "": time until all 50 are Started;
//   4. --churn 120s of steady churn on --churn-nodes 2 nodes (pods created and deleted on
//      traced nodes, traces started and stopped): every --sample 60s the operator's and
//      agents' RSS, fds and open traces (and the operator's heap), then first vs last,
//      the slope per 10 minutes, stuck traces and processes that exited. With
//      --heap-snapshots DIR the operator writes a heap snapshot there after it (not before:
//      writing one adds ~80 MB to its RSS); compare a short run's with a long run's.
// Throughout: the operator's and an agent's CPU (share of one core) and RSS.
//
//   node --import tsx bench/operator-load.ts [--traces 200] [--pods 1000] [--nodes 50] [--churn 120s]
// A count of 0 skips its part.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { OPERATION_ANNOTATION, type Trace } from '../api/trace.js';
import { parseDuration } from '../lib/duration.js';
import { Kube, loadKubeConfig } from '../lib/kube.js';
import { type Proc, procs } from '../test/e2e/netgraph.js';
import { prepareTestbed, startNetgraph } from '../test/e2e/on-testbed.js';
import {
  addNode,
  addPod,
  delNode,
  delPod,
  gcPods,
  kubeconfigPath,
  kubectl,
  type PodInfo,
  podRun,
  testbedScript,
} from '../test/e2e/testbed.js';
import { pool } from './lib/pool.js';
import { cpuSeconds, fdCount, rssMB, scrapeGauges } from './lib/proc-sample.js';
import { writeResults } from './lib/results.js';
import { median, slope } from './lib/stats.js';

const { values } = parseArgs({
  options: {
    traces: { type: 'string', default: '200' },
    pods: { type: 'string', default: '1000' },
    nodes: { type: 'string', default: '50' },
    churn: { type: 'string', default: '120s' },
    'churn-nodes': { type: 'string', default: '2' },
    sample: { type: 'string', default: '60s' },
    'heap-snapshots': { type: 'string' },
  },
});
const TRACES = Number(values.traces);
const PODS = Number(values.pods);
const NODES = Number(values.nodes);
const CHURN_MS = values.churn === '0' ? 0 : parseDuration(values.churn, '--churn');
const CHURN_NODES = Number(values['churn-nodes']);
const SAMPLE_MS = parseDuration(values.sample, '--sample');
const SNAPSHOTS = values['heap-snapshots'] && resolve(values['heap-snapshots']);
const NS = 'load';
const base = `/apis/gadget.kinvolk.io/v1alpha1/namespaces/${NS}/traces`;
const t0 = Date.now();
const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

// --- process figures from /proc

/** Has the process write a heap snapshot (--heap-snapshots) and waits until it is whole. */
async function heapSnapshot(p: Proc, dir: string): Promise<string> {
  const before = new Set(readdirSync(dir));
  p.child.kill('SIGUSR2');
  for (let size = -1; ; await sleep(2_000)) {
    const file = readdirSync(dir).find((f) => !before.has(f) && f.endsWith('.heapsnapshot'));
    if (!file) continue;
    const now = statSync(join(dir, file)).size;
    if (now > 0 && now === size) return join(dir, file);
    size = now;
  }
}

/** CPU (share of one core) and peak RSS of a process over an interval, sampled every 500 ms. */
function usage(p: Proc) {
  const pid = p.child.pid as number;
  const cpu0 = cpuSeconds(pid);
  const start = Date.now();
  let peak = rssMB(pid);
  const timer = setInterval(() => {
    peak = Math.max(peak, rssMB(pid));
  }, 500);
  return () => {
    clearInterval(timer);
    const cpu = (cpuSeconds(pid) - cpu0) / ((Date.now() - start) / 1000);
    return {
      cpu: Number(cpu.toFixed(2)),
      rssPeakMB: Math.round(peak),
      rssMB: Math.round(rssMB(pid)),
    };
  };
}

// --- test bed helpers

const kc = kubeconfigPath();
let kube: Kube;
const traceObj = (name: string, node: string, filter: Record<string, string>) => ({
  apiVersion: 'gadget.kinvolk.io/v1alpha1',
  kind: 'Trace',
  metadata: { name, namespace: NS },
  spec: {
    node,
    gadget: 'network-graph',
    filter: { namespace: NS, ...filter },
    outputMode: 'Stream',
  },
});

async function operateAll(names: string[], op: 'start' | 'stop') {
  await pool(names, 16, (name) =>
    kube.mergePatch(`${base}/${name}`, {
      metadata: { annotations: { [OPERATION_ANNOTATION]: op } },
    }),
  );
}

/** Polls the Traces until `ok` holds for every one named; resolves with the ms it took. */
async function until(names: string[], ok: (t: Trace) => boolean, timeoutMs = 600_000) {
  const from = Date.now();
  const want = new Set(names);
  for (;;) {
    const items = (await kube.list<Trace>(base)).items.filter((t) => want.has(t.metadata.name));
    if (items.length === want.size && items.every(ok)) return Date.now() - from;
    if (Date.now() - from > timeoutMs) {
      const bad = items.filter((t) => !ok(t)).slice(0, 3);
      throw new Error(`timed out: ${JSON.stringify(bad.map((t) => t.status))}`);
    }
    await sleep(250);
  }
}

async function startAgents(nodes: string[]): Promise<Proc[]> {
  const { agents } = await startNetgraph({
    nodes,
    operator: false,
    agentEnv: { NETGRAPH_LOG_LEVEL: 'info' },
    readyTimeoutMs: 300_000,
  });
  return agents;
}

/** UDP datagrams from `from` to `count` ports of `to`: that many new edges on each side. */
const burst = (from: PodInfo, to: PodInfo, count: number) =>
  podRun(from, [
    process.execPath,
    '-e',
    `const s=require('dgram').createSocket('udp4');let i=0;const go=()=>{if(i>=${count})return s.close();s.send('x',20000+i++,'${to.ip}',go)};go()`,
  ]);

// --- run

// A failure part-way must not leave agents (and their BPF programs) running.
process.on('exit', () => {
  for (const p of procs) p.child.kill('SIGKILL');
});

// Left as found: a bed this run brought up goes down at the end, so the lock is never
// released with it up.
const wasUp = spawnSync(testbedScript, ['status'], { stdio: 'ignore' }).status === 0;
execFileSync(testbedScript, ['up'], { stdio: ['ignore', 'ignore', 'inherit'] });
kube = new Kube(loadKubeConfig(kc));
await prepareTestbed({ namespaces: [NS] });
if (SNAPSHOTS) mkdirSync(SNAPSHOTS, { recursive: true });
const { operator } = await startNetgraph({
  operatorEnv: {
    NETGRAPH_LOG_LEVEL: 'info',
    ...(SNAPSHOTS && {
      NODE_OPTIONS: `--heapsnapshot-signal=SIGUSR2 --diagnostic-dir=${SNAPSHOTS}`,
    }),
  },
  readyTimeoutMs: 60_000,
});
const figures: Record<string, unknown> = {
  traces: TRACES,
  pods: PODS,
  nodes: NODES,
  churnMs: CHURN_MS,
};

// 1. Traces at once across 10 nodes, then a burst of edges (--traces 0 skips it).
if (TRACES > 0) {
  const nodes = Array.from({ length: 10 }, (_, i) => `load-${i}`);
  for (const n of nodes) await addNode(n);
  const pods = await Promise.all(
    nodes.flatMap((n) => [
      addPod(`${NS}/c-${n}`, { node: n, labels: { role: 'client' } }),
      addPod(`${NS}/s-${n}`, { node: n, labels: { role: 'server' } }),
    ]),
  );
  const agents = await startAgents(nodes);
  const names = Array.from({ length: TRACES }, (_, i) => `t-${i}`);
  await pool(names, 16, (name, i) =>
    kube.request('POST', base, traceObj(name, nodes[i % nodes.length] as string, {})),
  );
  const op = usage(operator);
  const ag = usage(agents[0] as Proc);
  const startedMs = await (async () => {
    const s = Date.now();
    await operateAll(names, 'start');
    await until(
      names,
      (t) => t.status?.state === 'Started' && !t.metadata.annotations?.[OPERATION_ANNOTATION],
    );
    return Date.now() - s;
  })();
  const attachedMs = await until(names, (t) =>
    Object.values(t.status?.nodes ?? {}).every((s) => s.pods === 2),
  );
  // Each node's client sends to 200 ports of its server: 200 client and 200 server
  // edges, in each of the node's traces.
  const PORTS = 200;
  const from = operator.lines.length;
  const b0 = Date.now();
  await Promise.all(
    nodes.map((_, i) => burst(pods[2 * i] as PodInfo, pods[2 * i + 1] as PodInfo, PORTS)),
  );
  const expected = (TRACES / nodes.length) * nodes.length * PORTS; // client side alone
  let lastAt = b0;
  let logged = 0;
  for (let quiet = 0; quiet < 10; ) {
    await sleep(500);
    const n = operator.lines.slice(from).filter((l) => l.msg === 'edge').length;
    if (n > logged) {
      logged = n;
      lastAt = Date.now();
      quiet = 0;
    } else quiet++;
  }
  const burstMs = lastAt - b0;
  figures.tracesAtOnce = {
    startedMs,
    allAttachedMs: startedMs + attachedMs,
    edgeLines: logged,
    clientEdgesExpected: expected,
    burstMs,
    edgesPerSecond: Math.round(logged / (burstMs / 1000)),
    operator: op(),
    agent: ag(),
  };
  console.log(
    `${TRACES} traces on 10 nodes: all Started in ${secs(startedMs)}, all attached in ${secs(startedMs + attachedMs)}; ` +
      `burst: ${logged} edge lines in ${secs(burstMs)} (${Math.round(logged / (burstMs / 1000))} edges/s); ` +
      `operator ${JSON.stringify(figures.tracesAtOnce && (figures.tracesAtOnce as { operator: unknown }).operator)}`,
  );
  await operateAll(names, 'stop');
  await until(names, (t) => t.status?.state === 'Stopped');
  await kubectl(['delete', 'traces', '--all', '-n', NS, '--wait=true', '--timeout=300s']);
  await Promise.all(agents.map((a) => a.stop()));
  await Promise.all(pods.map((p) => delPod(p)));
  for (const n of nodes) await delNode(n);
}

// 2. Pods on one traced node (--pods 0 skips it).
if (PODS > 0) {
  const node = 'load-pods';
  await addNode(node);
  const [agent] = (await startAgents([node])) as [Proc];
  await kube.request('POST', base, traceObj('pods', node, {}));
  await operateAll(['pods'], 'start');
  await until(['pods'], (t) => t.status?.state === 'Started');
  const ag = usage(agent);
  const op = usage(operator);
  const a0 = Date.now();
  const refs = Array.from({ length: PODS }, (_, i) => `${NS}/p-${i}`);
  await pool(refs, 8, (ref) => addPod(ref, { node }));
  const addedMs = Date.now() - a0;
  await until(['pods'], (t) => t.status?.nodes?.[node]?.pods === PODS);
  const attachedMs = Date.now() - a0;
  const fds = fdCount(agent.child.pid as number);
  figures.podsOnOneNode = { addedMs, attachedMs, agentFds: fds, agent: ag(), operator: op() };
  console.log(
    `${PODS} pods on one traced node: added in ${secs(addedMs)}, all attached ${secs(attachedMs)} after the first; ` +
      `agent ${JSON.stringify((figures.podsOnOneNode as { agent: unknown }).agent)}, ${fds} fds`,
  );
  await operateAll(['pods'], 'stop');
  await until(['pods'], (t) => t.status?.state === 'Stopped');
  await kubectl(['delete', 'trace', '-n', NS, 'pods']);
  await pool(refs, 8, (ref) => delPod(ref));
  await agent.stop();
  await delNode(node);
}

// 3. Many nodes, each with its own agent, one Trace with node "" (--nodes 0 skips it).
if (NODES > 0) {
  const nodes = Array.from({ length: NODES }, (_, i) => `many-${i}`);
  for (const n of nodes) await addNode(n);
  const pods = await Promise.all(nodes.map((n) => addPod(`${NS}/m-${n}`, { node: n })));
  const a0 = Date.now();
  const agents = await startAgents(nodes);
  const agentsReadyMs = Date.now() - a0;
  await kube.request('POST', base, traceObj('all-nodes', '', {}));
  const op = usage(operator);
  const ag = usage(agents[0] as Proc);
  const s0 = Date.now();
  await operateAll(['all-nodes'], 'start');
  await until(['all-nodes'], (t) =>
    nodes.every((n) => t.status?.nodes?.[n]?.state === 'Started' && t.status.nodes[n]?.pods === 1),
  );
  const startedMs = Date.now() - s0;
  figures.manyNodes = { agentsReadyMs, startedMs, operator: op(), agent: ag() };
  console.log(
    `${NODES} nodes, an agent each, one Trace node "": agents ready in ${secs(agentsReadyMs)}, ` +
      `all nodes Started and attached in ${secs(startedMs)}; operator ${JSON.stringify((figures.manyNodes as { operator: unknown }).operator)}`,
  );

  await kubectl(['delete', 'traces', '--all', '-n', NS, '--wait=true', '--timeout=300s']);
  await Promise.all(agents.map((a) => a.stop()));
  await Promise.all(pods.map((p) => delPod(p)));
  for (const n of nodes) await delNode(n);
}

// 4. Churn (--churn 0 skips it): on --churn-nodes nodes, each with its own agent and one
// standing pod, cycle after cycle a Trace is made on the next node and started, 5 pods are
// added there, then removed, the Trace stopped and deleted. Every --sample the operator's
// and each agent's RSS, fds and open traces (and the operator's V8 heap, from its /metrics)
// are printed, so a leak shows as a trend; a trace not Started or Stopped within 60 s is
// counted as stuck (and deleted), and a process that exits is a restart.
if (CHURN_MS > 0) {
  const nodes = Array.from({ length: CHURN_NODES }, (_, i) => `churn-${i}`);
  for (const n of nodes) await addNode(n);
  const standing = await Promise.all(nodes.map((n) => addPod(`${NS}/cs-${n}`, { node: n })));
  const { agents } = await startNetgraph({
    nodes,
    operator: false,
    agentEnv: { NETGRAPH_LOG_LEVEL: 'info' },
    agentArgs: ['--metrics-listen', '127.0.0.1:0'],
    readyTimeoutMs: 300_000,
  });
  const portOf = async (p: Proc, msg: string) =>
    (await p.waitLine((l) => l.msg === msg, 20_000)).port as number;
  const opMetrics = `http://127.0.0.1:${await portOf(operator, 'http listening')}/metrics`;
  const agMetrics = await Promise.all(
    agents.map(async (a) => `http://127.0.0.1:${await portOf(a, 'metrics listening')}/metrics`),
  );
  const opPid = operator.child.pid as number;
  const agPids = agents.map((a) => a.child.pid as number);

  interface Sample {
    min: number;
    cycles: number;
    operator: { rssMB: number; heapUsedMB: number; fds: number; traces: number };
    agents: { rssMB: number; fds: number; traces: number; pods: number }[];
  }
  const samples: Sample[] = [];
  let cycles = 0;
  const c0 = Date.now();
  const mb1 = (x: number) => Math.round(x * 10) / 10;
  async function sample(): Promise<void> {
    if (!operator.running || agents.some((a) => !a.running)) return;
    const op = await scrapeGauges(opMetrics);
    const ags = await Promise.all(agMetrics.map(scrapeGauges));
    const s: Sample = {
      min: mb1((Date.now() - c0) / 60_000),
      cycles,
      operator: {
        rssMB: mb1(rssMB(opPid)),
        heapUsedMB: mb1((op.get('nodejs_heap_size_used_bytes') ?? Number.NaN) / 2 ** 20),
        fds: fdCount(opPid),
        traces: op.get('netgraph_operator_traces') ?? Number.NaN,
      },
      agents: agPids.map((pid, i) => ({
        rssMB: mb1(rssMB(pid)),
        fds: fdCount(pid),
        traces: ags[i]?.get('netgraph_agent_traces') ?? Number.NaN,
        pods: ags[i]?.get('netgraph_agent_attached_pods') ?? Number.NaN,
      })),
    };
    samples.push(s);
    console.log(
      `  ${s.min.toFixed(1)} min, ${cycles} cycles: operator RSS ${s.operator.rssMB} MB heap ${s.operator.heapUsedMB} MB ` +
        `fds ${s.operator.fds} traces ${s.operator.traces}; agents ` +
        s.agents
          .map((a) => `RSS ${a.rssMB} MB fds ${a.fds} traces ${a.traces} pods ${a.pods}`)
          .join(' | '),
    );
  }
  const stuck: { cycle: number; waitingFor: string; status: unknown }[] = [];
  const errors: string[] = [];
  const startedMs: number[] = [];
  const stoppedMs: number[] = [];
  const STUCK_MS = 60_000;
  await sample();
  const sampler = setInterval(
    () => void sample().catch((err) => errors.push(String(err))),
    SAMPLE_MS,
  );
  while (Date.now() - c0 < CHURN_MS && operator.running && agents.every((a) => a.running)) {
    const node = nodes[cycles % nodes.length] as string;
    const name = `churn-${cycles}`;
    let phase = 'Started';
    let churned: PodInfo[] = [];
    try {
      await kube.request('POST', base, traceObj(name, node, {}));
      const s0 = Date.now();
      await operateAll([name], 'start');
      churned = await Promise.all(
        Array.from({ length: 5 }, (_, i) => addPod(`${NS}/x-${cycles}-${i}`, { node })),
      );
      // Started, and the standing pod and the 5 new ones attached on the node.
      await until(
        [name],
        (t) => t.status?.state === 'Started' && t.status.nodes?.[node]?.pods === 6,
        STUCK_MS,
      );
      startedMs.push(Date.now() - s0);
      await Promise.all(churned.splice(0).map((p) => delPod(p)));
      phase = 'Stopped';
      const p0 = Date.now();
      await operateAll([name], 'stop');
      await until([name], (t) => t.status?.state === 'Stopped', STUCK_MS);
      stoppedMs.push(Date.now() - p0);
    } catch (err) {
      const msg = String(err);
      if (msg.includes('timed out'))
        stuck.push({ cycle: cycles, waitingFor: phase, status: msg.slice(0, 500) });
      else errors.push(`cycle ${cycles}: ${msg.slice(0, 500)}`);
      console.log(`  cycle ${cycles}: ${msg.slice(0, 300)}`);
    }
    // A cycle cut short leaves no pod behind for the next ones to count.
    await Promise.all(churned.map((p) => delPod(p))).catch((err) => errors.push(String(err)));
    await kube.request('DELETE', `${base}/${name}`).catch((err) => errors.push(String(err)));
    cycles++;
  }
  const churnMs = Date.now() - c0;
  clearInterval(sampler);
  // The last cycle's Trace lets go of its finalizer; then the figures at rest.
  await sleep(10_000);
  await sample();
  if (SNAPSHOTS) console.log(`  heap snapshot: ${await heapSnapshot(operator, SNAPSHOTS)}`);
  const restarts = [operator, ...agents].filter((p) => !p.running).map((p) => p.name);
  const first = samples[0] as Sample;
  const last = samples[samples.length - 1] as Sample;
  // Also from a sixth of the way on: the first minutes hold start-up garbage and warm-up.
  const settled = samples.filter((s) => s.min >= churnMs / 60_000 / 6);
  const per10 = (f: (s: Sample) => number, from = samples) =>
    mb1(
      slope(
        from.map((s) => s.min),
        from.map(f),
      ) * 10,
    );
  const pct = (xs: number[], q: number) =>
    [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))] ?? Number.NaN;
  const summary = {
    ms: churnMs,
    cycles,
    stuck,
    errors,
    restarts,
    startedMs: {
      median: median(startedMs),
      p95: pct(startedMs, 0.95),
      max: Math.max(...startedMs),
    },
    stoppedMs: {
      median: median(stoppedMs),
      p95: pct(stoppedMs, 0.95),
      max: Math.max(...stoppedMs),
    },
    operator: {
      rssMB: [first.operator.rssMB, last.operator.rssMB],
      rssMBPer10Min: per10((s) => s.operator.rssMB),
      rssMBPer10MinSettled: per10((s) => s.operator.rssMB, settled),
      heapUsedMB: [first.operator.heapUsedMB, last.operator.heapUsedMB],
      heapUsedMBPer10Min: per10((s) => s.operator.heapUsedMB),
      heapUsedMBPer10MinSettled: per10((s) => s.operator.heapUsedMB, settled),
      fds: [first.operator.fds, last.operator.fds],
      traces: [first.operator.traces, last.operator.traces],
    },
    agents: agents.map((_, i) => ({
      rssMB: [first.agents[i]?.rssMB, last.agents[i]?.rssMB],
      rssMBPer10Min: per10((s) => s.agents[i]?.rssMB ?? Number.NaN),
      rssMBPer10MinSettled: per10((s) => s.agents[i]?.rssMB ?? Number.NaN, settled),
      fds: [first.agents[i]?.fds, last.agents[i]?.fds],
      traces: [first.agents[i]?.traces, last.agents[i]?.traces],
      pods: [first.agents[i]?.pods, last.agents[i]?.pods],
    })),
    samples,
  };
  figures.churn = summary;
  const o = summary.operator;
  console.log(
    `churn ${secs(churnMs)} on ${CHURN_NODES} nodes: ${cycles} cycles (a trace started/stopped, 5 pods added/removed); ` +
      `Started median ${summary.startedMs.median} ms (p95 ${summary.startedMs.p95}, max ${summary.startedMs.max}), ` +
      `Stopped median ${summary.stoppedMs.median} ms (p95 ${summary.stoppedMs.p95}, max ${summary.stoppedMs.max}); ` +
      `stuck ${stuck.length}, errors ${errors.length}, processes exited: ${restarts.length ? restarts.join(', ') : 'none'}\n` +
      `  operator RSS ${o.rssMB.join(' -> ')} MB (${o.rssMBPer10Min} MB per 10 min, ${o.rssMBPer10MinSettled} from ${(churnMs / 360_000).toFixed(1)} min on), ` +
      `heap ${o.heapUsedMB.join(' -> ')} MB (${o.heapUsedMBPer10Min} per 10 min, ${o.heapUsedMBPer10MinSettled} from then on), fds ${o.fds.join(' -> ')}, traces ${o.traces.join(' -> ')}\n` +
      summary.agents
        .map(
          (a, i) =>
            `  agent ${nodes[i]}: RSS ${a.rssMB.join(' -> ')} MB (${a.rssMBPer10Min} MB per 10 min, ${a.rssMBPer10MinSettled} from then on), fds ${a.fds.join(' -> ')}, ` +
            `traces ${a.traces.join(' -> ')}, pods ${a.pods.join(' -> ')}`,
        )
        .join('\n'),
  );
  await kubectl(['delete', 'traces', '--all', '-n', NS, '--wait=true', '--timeout=300s']);
  await Promise.all(agents.map((a) => a.stop()));
  await Promise.all(standing.map((p) => delPod(p)));
  for (const n of nodes) await delNode(n);
}

figures.totalMs = Date.now() - t0;
console.log(
  `total ${secs(Date.now() - t0)}; operator ${operator.running ? 'ran throughout' : 'EXITED'}`,
);
writeResults('operator-load', figures);
await operator.stop();
// Waited for: a run right after would find the namespace terminating and fail to make pods.
await kubectl(['delete', 'namespace', NS, '--wait=true', '--timeout=120s']).catch(() => {});
await gcPods();
if (!wasUp) execFileSync(testbedScript, ['down'], { stdio: ['ignore', 'ignore', 'inherit'] });
process.exit(0);
