// Load on the test bed (brought up if needed; run it under the test bed's lock):
//   1. --traces 200 Traces started at once across 10 simulated nodes (one agent each);
//      time until all are Started, then a burst of new edges on every node: edges/s
//      through the operator (edge lines logged / time until the last one);
//   2. --pods 1000 pods added to one traced node: time until the agent has attached all
//      of them, the agent's RSS and file descriptors;
//   3. --nodes 50 simulated nodes, each with its own agent process, all traced by one
//      Trace with node "": time until all 50 are Started;
//   4. --churn 120s of steady churn (pods created and deleted on traced nodes, traces
//      started and stopped): operator and agent RSS before and after.
// Throughout: the operator's and an agent's CPU (share of one core) and RSS.
//
//   node --import tsx bench/operator-load.ts [--traces 200] [--pods 1000] [--nodes 50] [--churn 120s]
// A count of 0 skips its part.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
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
import { writeResults } from './lib/results.js';

const { values } = parseArgs({
  options: {
    traces: { type: 'string', default: '200' },
    pods: { type: 'string', default: '1000' },
    nodes: { type: 'string', default: '50' },
    churn: { type: 'string', default: '120s' },
  },
});
const TRACES = Number(values.traces);
const PODS = Number(values.pods);
const NODES = Number(values.nodes);
const CHURN_MS = parseDuration(values.churn, '--churn');
const NS = 'load';
const base = `/apis/gadget.kinvolk.io/v1alpha1/namespaces/${NS}/traces`;
const t0 = Date.now();
const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

// --- process figures from /proc

const TICK = 100; // USER_HZ
function cpuTicks(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return Number(fields[11]) + Number(fields[12]); // utime, stime
}
const rssMB = (pid: number) =>
  Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;

/** CPU (share of one core) and peak RSS of a process over an interval, sampled every 500 ms. */
function usage(p: Proc) {
  const pid = p.child.pid as number;
  const ticks0 = cpuTicks(pid);
  const start = Date.now();
  let peak = rssMB(pid);
  const timer = setInterval(() => {
    peak = Math.max(peak, rssMB(pid));
  }, 500);
  return () => {
    clearInterval(timer);
    const cpu = (cpuTicks(pid) - ticks0) / TICK / ((Date.now() - start) / 1000);
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

async function pool<T>(items: T[], n: number, fn: (item: T, i: number) => Promise<unknown>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: n }, async () => {
      while (next < items.length) {
        const i = next++;
        await fn(items[i] as T, i);
      }
    }),
  );
}

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

execFileSync(testbedScript, ['up'], { stdio: ['ignore', 'ignore', 'inherit'] });
kube = new Kube(loadKubeConfig(kc));
await prepareTestbed({ namespaces: [NS] });
const { operator } = await startNetgraph({
  operatorEnv: { NETGRAPH_LOG_LEVEL: 'info' },
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
  const fds =
    execFileSync('ls', [`/proc/${agent.child.pid}/fd`])
      .toString()
      .split('\n').length - 1;
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

// 3. Many nodes, each with its own agent, one Trace with node "" (--nodes 0 skips it and 4).
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

  // 4. Churn on these nodes: pods come and go, traces start and stop.
  const opBefore = rssMB(operator.child.pid as number);
  const agBefore = rssMB(agents[0]?.child.pid as number);
  const c0 = Date.now();
  let cycles = 0;
  while (Date.now() - c0 < CHURN_MS) {
    const node = nodes[cycles % nodes.length] as string;
    const name = `churn-${cycles}`;
    await kube.request('POST', base, traceObj(name, node, {}));
    await operateAll([name], 'start');
    const churned = await Promise.all(
      Array.from({ length: 5 }, (_, i) => addPod(`${NS}/x-${cycles}-${i}`, { node })),
    );
    await until([name], (t) => t.status?.state === 'Started');
    await Promise.all(churned.map((p) => delPod(p)));
    await operateAll([name], 'stop');
    await until([name], (t) => t.status?.state === 'Stopped');
    await kube.request('DELETE', `${base}/${name}`);
    cycles++;
  }
  await sleep(5_000);
  const opAfter = rssMB(operator.child.pid as number);
  const agAfter = rssMB(agents[0]?.child.pid as number);
  figures.churn = {
    ms: Date.now() - c0,
    cycles,
    operatorRssMB: [Math.round(opBefore), Math.round(opAfter)],
    agentRssMB: [Math.round(agBefore), Math.round(agAfter)],
  };
  console.log(
    `churn ${secs(Date.now() - c0)} (${cycles} cycles of a trace started/stopped and 5 pods added/removed): ` +
      `operator RSS ${Math.round(opBefore)} -> ${Math.round(opAfter)} MB, agent ${Math.round(agBefore)} -> ${Math.round(agAfter)} MB`,
  );
  await kubectl(['delete', 'traces', '--all', '-n', NS, '--wait=true', '--timeout=300s']);
  await Promise.all(agents.map((a) => a.stop()));
  await Promise.all(pods.map((p) => delPod(p)));
  for (const n of nodes) await delNode(n);
}

figures.totalMs = Date.now() - t0;
console.log(`total ${secs(Date.now() - t0)}; operator restarts: 0 (running: ${operator.running})`);
writeResults('operator-load', figures);
await operator.stop();
await kubectl(['delete', 'namespace', NS, '--wait=false']).catch(() => {});
await gcPods();
process.exit(0);
