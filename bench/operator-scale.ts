// The operator at cluster scale (issue 25's scale test), on the test bed, under its lock:
//   node --import tsx bench/operator-scale.ts [--nodes 1000] [--pods-per-node 30]
//     [--edges-per-pod 20] [--replicas 3] [--kill]
// --nodes simulated nodes (a Ready Node each, InternalIP 127.0.0.1) and their pods are
// written to the apiserver in bulk; one process serves every node's agent (the real
// agent code on a simulated data plane: bench/sim/), each with its own Lease,
// certificate and HTTPS port; --replicas real operator processes run against them. One
// Trace with node "" selects every pod. Measured:
//   1. from the start annotation until every node is Started in status (and attached);
//   2. round 1: every pod makes --edges-per-pod new edges at once: edges/s through the
//      operators (edge lines in their logs), their RSS then;
//   3. round 2: every edge grows: updates/s (netgraph_operator_edges_total{kind=update});
//   4. --kill: one replica SIGKILLed as round 3 starts (one more edge a pod, every edge
//      grows): until each of its nodes has an edge stream open again;
//   5. the trace stopped: every edge logged once (none lost, none twice) and its total
//      exact, across every replica's log; the largest Trace object and status written.
// The test bed is brought up if needed and taken down again if it was down.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { EDGE_CONNECTIONS } from '../api/metrics.js';
import { OPERATION_ANNOTATION, type Trace } from '../api/trace.js';
import { parseDuration } from '../lib/duration.js';
import { Kube, loadKubeConfig } from '../lib/kube.js';
import { logger } from '../lib/log.js';
import { rsaKeyPair, selfSignedIdentity } from '../lib/tls.js';
import { NETGRAPH_NS, OPERATOR_SA } from '../test/e2e/netgraph.js';
import { prepareTestbed } from '../test/e2e/on-testbed.js';
import { kubeconfigPath, repoRoot, testbedScript } from '../test/e2e/testbed.js';
import { pool } from './lib/pool.js';
import { cpuSeconds } from './lib/proc-sample.js';
import { writeResults } from './lib/results.js';
import {
  type ApiserverLoad,
  type ApiserverMark,
  apiserverLoadSince,
  markApiserver,
} from './sim/apiserver-load.js';
import {
  createSimNodes,
  createSimPods,
  deleteSimObjects,
  SIM_NODE_IP,
} from './sim/cluster-objects.js';
import { checkLedger } from './sim/edge-ledger.js';
import { LogTally } from './sim/log-tally.js';
import { freePort, OperatorReplica } from './sim/operator-replica.js';
import { SimDataPlane } from './sim/sim-data-plane.js';
import { SimNode } from './sim/sim-node.js';
import { simNodeName, simPods, Traffic } from './sim/traffic.js';

const { values } = parseArgs({
  options: {
    nodes: { type: 'string', default: '100' },
    'pods-per-node': { type: 'string', default: '30' },
    'edges-per-pod': { type: 'string', default: '20' },
    replicas: { type: 'string', default: '1' },
    kill: { type: 'boolean', default: false },
    concurrency: { type: 'string', default: '32' },
    drain: { type: 'string', default: '1s' },
    renew: { type: 'string', default: '5s' },
    timeout: { type: 'string', default: '300s' },
  },
});
const count = (flag: keyof typeof values, min: number) => {
  const n = Number(values[flag]);
  if (!Number.isInteger(n) || n < min) {
    process.stderr.write(`--${flag} must be a whole number >= ${min}, not "${values[flag]}"\n`);
    process.exit(2);
  }
  return n;
};
const NODES = count('nodes', 1);
const PODS = count('pods-per-node', 1);
const EDGES = count('edges-per-pod', 1);
const REPLICAS = count('replicas', 1);
const CONCURRENCY = count('concurrency', 1);
const KILL = values.kill ?? false;
if (KILL && REPLICAS < 2) {
  process.stderr.write('--kill needs --replicas 2 or more: their nodes go to the others\n');
  process.exit(2);
}
const duration = (flag: 'drain' | 'renew' | 'timeout') => {
  try {
    return parseDuration(values[flag] as string, `--${flag}`);
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    process.exit(2);
  }
};
const DRAIN_MS = duration('drain');
const RENEW_MS = duration('renew');
const TIMEOUT_MS = duration('timeout');
const NS = 'scale';
const TRACE = 'scale';
const tracePath = `/apis/gadget.kinvolk.io/v1alpha1/namespaces/${NS}/traces`;
const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;
const int = (n: number) => Math.round(n).toLocaleString('en-US');
const say = (s: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${s}`);

// --- the run's parts, stopped in reverse order whatever happens

let kube: Kube;
const sims: SimNode[] = [];
const replicas: OperatorReplica[] = [];
let maxTraceBytes = 0;
let maxStatusBytes = 0;

/** The Trace now; its size is the largest API object the operators write. */
async function getTrace(): Promise<Trace> {
  const t = await kube.request<Trace>('GET', `${tracePath}/${TRACE}`);
  maxTraceBytes = Math.max(maxTraceBytes, Buffer.byteLength(JSON.stringify(t)));
  maxStatusBytes = Math.max(maxStatusBytes, Buffer.byteLength(JSON.stringify(t.status ?? {})));
  return t;
}

const killed = new Set<OperatorReplica>();
const simTally = new LogTally();

const apiserverShare: Record<string, ApiserverLoad> = {};
/** Where the phase now running began, for the apiserver's load over it. */
let m: ApiserverMark | undefined;

/**
 * Polls `ok` every `everyMs` until it holds: the ms it took. On the timeout it throws,
 * or with `soft` says so and resolves with -1 (the run goes on to count what arrived).
 */
async function until(
  what: string,
  ok: () => boolean | Promise<boolean>,
  { everyMs = 250, soft = false } = {},
): Promise<number> {
  const from = Date.now();
  for (;;) {
    for (const r of replicas) r.poll();
    // A loaded apiserver times a read out now and then: that is "not yet".
    const done = await Promise.resolve()
      .then(ok)
      .catch((err) => {
        say(`  (${what}: ${(err as Error).message})`);
        return false;
      });
    if (done) return Date.now() - from;
    const dead = replicas.filter((r) => !r.running && !killed.has(r));
    if (dead.length > 0) throw new Error(`replica ${dead[0]?.id} exited: ${dead[0]?.tail()}`);
    if (Date.now() - from > TIMEOUT_MS) {
      if (!soft) throw new Error(`timed out waiting for ${what}`);
      say(`timed out after ${secs(TIMEOUT_MS)} waiting for ${what}`);
      return -1;
    }
    await sleep(everyMs);
  }
}

const edgeLines = () => replicas.reduce((n, r) => n + r.edgeLines, 0);
/** A replica's netgraph_edge_connections_total, every series added up. */
async function connectionsOf(r: OperatorReplica): Promise<number> {
  let n = 0;
  for (const v of (await r.metric(EDGE_CONNECTIONS)).values()) n += v;
  return n;
}
async function updatesCounted(): Promise<number> {
  let n = 0;
  for (const r of replicas.filter((x) => x.running))
    n += (await r.metric('netgraph_operator_edges_total')).get('{kind="update"}') ?? 0;
  return n;
}

const setOperation = (op: 'start' | 'stop') =>
  kube.mergePatch(`${tracePath}/${TRACE}`, {
    metadata: { annotations: { [OPERATION_ANNOTATION]: op } },
  });

/** Deletes the Trace: through its finalizer if an operator runs, else by letting go of it. */
async function removeTrace(): Promise<void> {
  const path = `${tracePath}/${TRACE}`;
  await kube.request('DELETE', path).catch(() => {});
  const end = Date.now() + 20_000;
  while (Date.now() < end && replicas.some((r) => r.running)) {
    if (
      !(await kube.request('GET', path).then(
        () => true,
        () => false,
      ))
    )
      return;
    await sleep(500);
  }
  await kube.jsonPatch(path, [{ op: 'remove', path: '/metadata/finalizers' }]).catch(() => {});
}

/** Stops what the run started; `objects`: also removes what it wrote (the bed stays up). */
async function cleanup(objects: boolean): Promise<void> {
  if (objects) await removeTrace();
  await Promise.all(replicas.map((r) => r.stop()));
  await pool(sims, 64, (s) => s.stop(objects));
  if (objects) await deleteSimObjects(kube, NS, NETGRAPH_NS);
}

// --- run

const wasUp = spawnSync(testbedScript, ['status'], { stdio: 'ignore' }).status === 0;
execFileSync(testbedScript, ['up'], { stdio: ['ignore', 'ignore', 'inherit'] });
kube = new Kube(loadKubeConfig(kubeconfigPath()));
const figures: Record<string, unknown> = {
  nodes: NODES,
  podsPerNode: PODS,
  edgesPerPod: EDGES,
  replicas: REPLICAS,
  kill: KILL,
};
let failed: unknown;
try {
  await prepareTestbed({ namespaces: [NS] });
  // What an interrupted run left.
  await removeTrace();
  await deleteSimObjects(kube, NS, NETGRAPH_NS);
  const flags = execFileSync(process.execPath, [
    join(repoRoot, 'bin/netgraph-operator.js'),
    '--help',
  ]).toString();
  if (REPLICAS > 1 && !flags.includes('--replica-id'))
    throw new Error('this operator has no --replica-id yet');

  // 1. The cluster's objects.
  const pods = simPods(NS, { nodes: NODES, podsPerNode: PODS });
  const nodeNames = Array.from({ length: NODES }, (_, n) => simNodeName(n));
  let t = Date.now();
  await createSimNodes(kube, nodeNames, CONCURRENCY);
  const nodesMs = Date.now() - t;
  t = Date.now();
  const podObjects = await createSimPods(kube, pods, CONCURRENCY);
  const podsMs = Date.now() - t;
  figures.objects = { nodesMs, podsMs, concurrency: CONCURRENCY };
  say(
    `${int(NODES)} Nodes in ${secs(nodesMs)} (${int(NODES / (nodesMs / 1000))}/s), ` +
      `${int(pods.length)} Pods in ${secs(podsMs)} (${int(pods.length / (podsMs / 1000))}/s), ${CONCURRENCY} at a time`,
  );

  // 2. The simulated agents: a certificate, an HTTPS port and a Lease each.
  const edgesPerPod = KILL ? [EDGES, EDGES, EDGES + 1] : [EDGES, EDGES];
  const traffic = new Traffic({ nodes: NODES, podsPerNode: PODS }, edgesPerPod);
  t = Date.now();
  const key = rsaKeyPair();
  const identities = nodeNames.map(() =>
    selfSignedIdentity([SIM_NODE_IP], 'netgraph-agent', 365, key),
  );
  const certsMs = Date.now() - t;
  const simLog = logger('netgraph-scale-sim', 'warn', simTally);
  // simPods numbers pods node by node: a node's are one slice.
  for (const [i, node] of nodeNames.entries()) {
    const own = pods.slice(i * PODS, (i + 1) * PODS);
    sims.push(
      new SimNode({
        node,
        pods: podObjects.slice(i * PODS, (i + 1) * PODS),
        dataPlane: new SimDataPlane(own, traffic),
        tls: identities[i] as { cert: string; key: string },
        kube,
        namespace: NETGRAPH_NS,
        operatorUser: `system:serviceaccount:${NETGRAPH_NS}:${OPERATOR_SA}`,
        log: simLog.child({ node }),
        drainMs: DRAIN_MS,
        renewMs: RENEW_MS,
      }),
    );
  }
  t = Date.now();
  await pool(sims, CONCURRENCY, (s) => s.start());
  const agentsMs = Date.now() - t;
  figures.agents = { certsMs, leasesMs: agentsMs };
  say(
    `${int(NODES)} agents: certificates in ${secs(certsMs)} (one key), ports and Leases in ${secs(agentsMs)}`,
  );

  // What the Leases alone cost the apiserver: 10 s with no operator.
  m = await markApiserver();
  await sleep(10_000);
  apiserverShare.leasesOnly = await apiserverLoadSince(m);
  say(
    `apiserver with ${int(NODES)} agents' Leases renewed every ${secs(RENEW_MS)}: ${JSON.stringify(apiserverShare.leasesOnly)}`,
  );

  // 3. The operator replicas.
  const dir = mkdtempSync(join(tmpdir(), 'netgraph-scale-'));
  const portTls = selfSignedIdentity(['127.0.0.1', 'localhost'], 'netgraph-operator');
  const tls = { certFile: join(dir, 'tls.crt'), keyFile: join(dir, 'tls.key'), cert: portTls.cert };
  writeFileSync(tls.certFile, portTls.cert);
  writeFileSync(tls.keyFile, portTls.key);
  for (let i = 0; i < REPLICAS; i++)
    replicas.push(
      new OperatorReplica({
        id: `r${i}`,
        kubeconfig: kubeconfigPath(),
        logDir: dir,
        tls,
        port: await freePort(),
        flags,
      }),
    );
  await Promise.all(replicas.map((r) => r.waitMsg('http listening', 60_000)));
  await Promise.all(replicas.map((r) => r.waitMsg('operator started', 120_000)));
  say(`${REPLICAS} operator replica(s) started; logs in ${dir}`);

  // 4. The Trace on every node.
  await kube.request('POST', tracePath, {
    apiVersion: 'gadget.kinvolk.io/v1alpha1',
    kind: 'Trace',
    metadata: { name: TRACE, namespace: NS },
    spec: { node: '', gadget: 'network-graph', filter: { namespace: NS }, outputMode: 'Stream' },
  });
  const allNodes = (ok: (s: { state?: string; pods?: number }) => boolean) => async () => {
    const st = (await getTrace()).status;
    const ns = Object.values(st?.nodes ?? {});
    return st?.state === 'Started' && ns.length === NODES && ns.every(ok);
  };
  const cpu0 = replicas.map((r) => cpuSeconds(r.child.pid as number));
  m = await markApiserver();
  await setOperation('start');
  const startedMs = await until(
    'every node Started',
    allNodes((s) => s.state === 'Started'),
  );
  const attachedMs =
    startedMs +
    (await until(
      'every pod attached',
      allNodes((s) => s.state === 'Started' && s.pods === PODS),
    ));
  apiserverShare.start = await apiserverLoadSince(m);
  figures.start = { startedMs, attachedMs };
  say(
    `Trace on ${int(NODES)} nodes: all Started in ${secs(startedMs)}, all pods attached in ${secs(attachedMs)}`,
  );

  // 5. Round 1: every edge new.
  const newEdges = NODES * PODS * EDGES;
  const rss = () => Object.fromEntries(replicas.map((r) => [r.id, Math.round(r.rssMB())]));
  const progress = (what: string, n: () => number, of: number) => {
    const from = Date.now();
    return setInterval(
      () => say(`  ${what}: ${int(n())} of ${int(of)} after ${secs(Date.now() - from)}`),
      10_000,
    );
  };
  // The operators' longest event-loop stall, every 5 s (prom-client's, reset at each scrape).
  const lagMax: Record<string, number> = {};
  const lagTimer = setInterval(() => {
    for (const r of replicas.filter((x) => x.running))
      void r
        .metric('nodejs_eventloop_lag_max_seconds')
        .then((v) => {
          lagMax[r.id] = Math.max(lagMax[r.id] ?? 0, v.get('') ?? 0);
        })
        .catch(() => {});
  }, 5000);
  traffic.round = 1;
  m = await markApiserver();
  t = Date.now();
  let tick = progress('edge lines', edgeLines, newEdges);
  const newMs = await until('every new edge logged', () => edgeLines() >= newEdges, {
    soft: true,
  }).finally(() => clearInterval(tick));
  const rssNew = rss();
  apiserverShare.newEdges = await apiserverLoadSince(m);
  figures.newEdges = {
    edges: newEdges,
    logged: edgeLines(),
    ms: newMs,
    perSecond: Math.round(newEdges / (newMs / 1000)),
    rssMB: rssNew,
  };
  if (newMs < 0) {
    clearInterval(lagTimer);
    figures.eventLoopLagMaxS = lagMax;
    throw new Error(`round 1 stalled: ${int(edgeLines())} of ${int(newEdges)} edges logged`);
  }
  say(
    `round 1: ${int(newEdges)} new edges logged in ${secs(newMs)}: ${int(newEdges / (newMs / 1000))} edges/s; RSS MB ${JSON.stringify(rssNew)}`,
  );

  // 6. Round 2: every edge grows.
  const before = await updatesCounted();
  traffic.round = 2;
  t = Date.now();
  let updated = 0;
  tick = progress('updates', () => updated, newEdges);
  const updMs = await until(
    'every update counted',
    async () => {
      updated = (await updatesCounted()) - before;
      return updated >= newEdges;
    },
    { everyMs: 1000 },
  ).finally(() => clearInterval(tick));
  const rssUpd = rss();
  // Who follows which node now, by the replica each open stream names.
  const owners = (): Record<string, number> => {
    const out: Record<string, number> = {};
    for (const s of sims)
      for (const x of s.openStreams()) out[x.replica || '?'] = (out[x.replica || '?'] ?? 0) + 1;
    return out;
  };
  figures.nodesPerReplica = owners();
  clearInterval(lagTimer);
  figures.eventLoopLagMaxS = lagMax;
  figures.updates = {
    edges: newEdges,
    ms: updMs,
    perSecond: Math.round(newEdges / (updMs / 1000)),
    rssMB: rssUpd,
  };
  say(
    `round 2: ${int(newEdges)} edge updates counted in ${secs(updMs)}: ${int(newEdges / (updMs / 1000))} edges/s; RSS MB ${JSON.stringify(rssUpd)}`,
  );

  let victimConnections = 0;
  // 7. One replica SIGKILLed as round 3 starts: its nodes must be picked up.
  if (KILL) {
    const victim = replicas[0] as OperatorReplica;
    victimConnections = await connectionsOf(victim);
    killed.add(victim);
    const tk = Date.now();
    victim.child.kill('SIGKILL');
    traffic.round = 3;
    await victim.exited;
    victim.poll();
    // Give the kernel's resets a moment to reach the agents before judging who streams.
    await sleep(1000);
    const orphaned = sims.filter((s) => s.openStreams().length === 0).map((s) => s.node);
    const takeoverMs = await until('every node streaming again', () =>
      sims.every((s) => s.openStreams().some((x) => x.status === undefined)),
    ).then(() => {
      const restarts = sims.flatMap((s) => s.openStreams().filter((x) => x.start > tk));
      return Math.max(0, ...restarts.map((x) => x.start - tk));
    });
    const allNew = NODES * PODS * (EDGES + 1);
    const caughtUpMs = await until('round 3 edges logged', () => edgeLines() >= allNew, {
      soft: true,
    });
    figures.kill = {
      nodesPerReplica: owners(),
      orphaned: orphaned.length,
      takeoverMs,
      caughtUpMs: Date.now() - tk,
      rssMB: rss(),
    };
    say(
      `replica ${victim.id} SIGKILLed: ${orphaned.length} nodes without a stream; all streaming again ${secs(takeoverMs)} after the kill; round 3's new edges all logged ${secs(Date.now() - tk)} after (waited ${secs(caughtUpMs)})`,
    );
  }

  // 8. /metrics against the truth, then stop: totals and the ledger.
  const truth = traffic.truth(pods, traffic.round);
  await sleep(2 * DRAIN_MS + 2000);
  // As Prometheus adds them up: what the killed replica had counted when it was last
  // read, and what the live ones count now.
  let metricConnections = victimConnections;
  for (const r of replicas.filter((x) => x.running)) metricConnections += await connectionsOf(r);
  const cpu = replicas.map((r, i) =>
    r.running ? Number((cpuSeconds(r.child.pid as number) - (cpu0[i] ?? 0)).toFixed(1)) : null,
  );
  await setOperation('stop');
  // Done as `kubectl netgraph stop` sees it: every replica has logged its nodes' totals.
  const stoppedMs = await until('Stopped', async () => {
    const s = (await getTrace()).status;
    return s?.state === 'Stopped' && s.pendingOperation === undefined;
  });
  const ledger = await checkLedger(
    replicas.map((r) => r.logPath),
    `${NS}/${TRACE}`,
    truth,
  );
  figures.ledger = ledger;
  figures.metricConnections = metricConnections;
  figures.stoppedMs = stoppedMs;
  figures.cpuSeconds = cpu;
  figures.maxTraceBytes = maxTraceBytes;
  figures.maxStatusBytes = maxStatusBytes;
  figures.overlaps = sims.reduce((n, s) => n + s.overlaps(), 0);
  const warnings = replicas.flatMap((r) =>
    r.lines.filter((l) => Number(l.level) >= 40).map((l) => `${r.id}: ${l.msg}`),
  );
  figures.warnings = warnings.length;
  figures.apiserverCores = apiserverShare;
  figures.agentLog = simTally.summary();

  const rows: [string, string][] = [
    [
      'nodes x pods x edges',
      `${int(NODES)} x ${PODS} x ${EDGES} (${int(newEdges)} edges), ${REPLICAS} replica(s)`,
    ],
    ['all nodes Started (attached)', `${secs(startedMs)} (${secs(attachedMs)})`],
    [
      'new edges through the operators',
      `${int(newEdges / (newMs / 1000))} edges/s (${int(newEdges)} in ${secs(newMs)})`,
    ],
    ['edge updates through the operators', `${int(newEdges / (updMs / 1000))} edges/s`],
    [
      'operator RSS after new / updates (MB)',
      `${JSON.stringify(rssNew)} / ${JSON.stringify(rssUpd)}`,
    ],
    ['operator CPU over the run (s)', JSON.stringify(cpu)],
    ['nodes each replica streams', JSON.stringify(figures.nodesPerReplica)],
    ['longest event-loop stall, rounds 1-2 (s)', JSON.stringify(lagMax)],
    ...(KILL
      ? ([
          [
            'SIGKILL: its nodes streaming again',
            (({ takeoverMs, orphaned, nodesPerReplica }) =>
              `${secs(takeoverMs)} (${orphaned} nodes moved; then ${JSON.stringify(nodesPerReplica)})`)(
              figures.kill as { takeoverMs: number; orphaned: number; nodesPerReplica: object },
            ),
          ],
        ] as [string, string][])
      : []),
    [
      'edges lost / counted twice / unknown',
      `${ledger.lost} / ${ledger.countedTwice} / ${ledger.unknown} (of ${int(ledger.expected)})`,
    ],
    [
      'edge totals missing / wrong',
      `${ledger.totalsMissing} / ${ledger.totalsWrong} (${int(ledger.totals)} total lines)`,
    ],
    [
      "connections: edge totals / /metrics (a killed replica's last read + live) / truth",
      `${int(ledger.connections)} / ${int(metricConnections)} / ${int(ledger.expectedConnections)}`,
    ],
    ['nodes streamed by two at once', String(figures.overlaps)],
    ['largest Trace written (status)', `${kb(maxTraceBytes)} (${kb(maxStatusBytes)})`],
    ['operator warnings and errors logged', String(warnings.length)],
    [
      'apiserver cores: Leases alone / start / round 1',
      ['leasesOnly', 'start', 'newEdges'].map((k) => apiserverShare[k]?.cores).join(' / '),
    ],
    [
      'apiserver requests/s during the start (busiest)',
      JSON.stringify(apiserverShare.start?.perSecond),
    ],
    ["agents' warnings (by message)", JSON.stringify(simTally.summary())],
  ];
  console.log(
    `\n| measure | figure |\n|---|---|\n${rows.map(([a, b]) => `| ${a} | ${b} |`).join('\n')}`,
  );
  if (warnings.length > 0)
    console.log(`first warnings:\n  ${[...new Set(warnings)].slice(0, 10).join('\n  ')}`);
  figures.benchCpuSeconds = Number(
    (process.cpuUsage().user / 1e6 + process.cpuUsage().system / 1e6).toFixed(1),
  );
} catch (err) {
  failed = err;
  console.error(err);
  for (const r of replicas) console.error(`replica ${r.id}:\n${r.tail(10)}`);
  if (m)
    apiserverShare.failedPhase = await apiserverLoadSince(m).catch(() => ({
      cores: -1,
      perSecond: {},
    }));
  console.error(
    `apiserver: ${JSON.stringify(apiserverShare)}; agents' log: ${JSON.stringify(simTally.summary())}`,
  );
  figures.apiserverCores = apiserverShare;
  figures.agentLog = simTally.summary();
} finally {
  say('cleaning up');
  // A bed this run brought up goes down with everything in it: no need to delete 30,000 Pods.
  await cleanup(wasUp).catch((err) => console.error('cleanup failed', err));
  console.log(
    `results: ${writeResults(`operator-scale-${NODES}x${REPLICAS}${KILL ? '-kill' : ''}`, figures)}`,
  );
  if (!wasUp) execFileSync(testbedScript, ['down'], { stdio: ['ignore', 'ignore', 'inherit'] });
}
process.exit(failed ? 1 : 0);
