// How fast a trace starts, on the test bed: from the start annotation to
// status.state Started (as a watch sees it) and to the trace's first edge in the
// operator's log, median and 95th percentile over N traces (default 20).
//
//   node --import tsx bench/operator-start.ts [N]

import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { OPERATION_ANNOTATION, type Trace } from '../api/trace.js';
import { Kube, loadKubeConfig } from '../lib/kube.js';
import { prepareTestbed, startNetgraph } from '../test/e2e/on-testbed.js';
import {
  addPod,
  delNode,
  kubeconfigPath,
  kubectl,
  nodeTool,
  repoRoot,
  spawnInPod,
  testbedScript,
} from '../test/e2e/testbed.js';

const runs = Number(process.argv[2] ?? 20);
const NODE = 'bench-node';

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? Number.NaN;
};

execFileSync(testbedScript, ['up'], { stdio: ['ignore', 'ignore', 'inherit'] });
const kube = new Kube(loadKubeConfig(kubeconfigPath()));
await prepareTestbed({ namespaces: ['bench'], nodes: [NODE] });
const [client, server] = await Promise.all([
  addPod('bench/client', { node: NODE, labels: { app: 'client' } }),
  addPod('bench/server', { node: NODE, labels: { app: 'server' } }),
]);
// A datagram every 10 ms from the client: a trace sees its first edge on the first drain after attach.
const receiver = spawnInPod(server, nodeTool('udp-server', ['--port', '5353']));
const sender = spawnInPod(
  client,
  nodeTool('udp-client', [
    '--host',
    server.ip,
    '--port',
    '5353',
    '--count',
    '100000000',
    '--interval',
    '10',
  ]),
);
const net = await startNetgraph({ nodes: [NODE] });
const { operator } = net;

const toStarted: number[] = [];
const toFirstEdge: number[] = [];
const base = '/apis/gadget.kinvolk.io/v1alpha1/namespaces/bench/traces';
for (let i = 0; i < runs; i++) {
  const name = `start-${i}`;
  await kube.request('POST', base, {
    apiVersion: 'gadget.kinvolk.io/v1alpha1',
    kind: 'Trace',
    metadata: { name, namespace: 'bench' },
    spec: {
      node: NODE,
      gadget: 'network-graph',
      filter: { namespace: 'bench', podname: 'client' },
      outputMode: 'Stream',
    },
  });
  // Wait for the finalizer so the measurement starts from a Trace the operator has seen.
  while (!(await kube.get<Trace>(`${base}/${name}`)).metadata.finalizers?.length) await sleep(20);

  const watchEnd = new AbortController();
  const started = new Promise<number>((resolve) => {
    void kube.watch<Trace>(
      base,
      { fieldSelector: `metadata.name=${name}` },
      (_type, t) => {
        if (t.status?.state === 'Started') resolve(performance.now());
      },
      watchEnd.signal,
    );
  });
  const from = operator.lines.length;
  const t0 = performance.now();
  const wall0 = Date.now();
  await kube.mergePatch(`${base}/${name}`, {
    metadata: { annotations: { [OPERATION_ANNOTATION]: 'start' } },
  });
  toStarted.push((await started) - t0);
  const edge = await operator.waitLine(
    (l) => l.msg === 'edge' && l.trace === `bench/${name}`,
    20_000,
    from,
  );
  toFirstEdge.push(Date.parse(String(edge.time)) - wall0);
  watchEnd.abort();
  await kube.mergePatch(`${base}/${name}`, {
    metadata: { annotations: { [OPERATION_ANNOTATION]: 'stop' } },
  });
  while ((await kube.get<Trace>(`${base}/${name}`)).status?.state !== 'Stopped') await sleep(20);
}

const result = {
  runs,
  startedMs: { median: quantile(toStarted, 0.5), p95: quantile(toStarted, 0.95) },
  firstEdgeMs: { median: quantile(toFirstEdge, 0.5), p95: quantile(toFirstEdge, 0.95) },
  agentDrainIntervalMs: 200,
};
console.log(
  `start annotation -> status Started: median ${result.startedMs.median.toFixed(0)} ms, p95 ${result.startedMs.p95.toFixed(0)} ms (target: median <= 300 ms)`,
);
console.log(
  `start annotation -> first edge in the log: median ${result.firstEdgeMs.median.toFixed(0)} ms, p95 ${result.firstEdgeMs.p95.toFixed(0)} ms (drain interval 200 ms)`,
);
mkdirSync(`${repoRoot}/bench/results`, { recursive: true });
writeFileSync(
  `${repoRoot}/bench/results/operator-start.json`,
  `${JSON.stringify(result, null, 2)}\n`,
);

await Promise.all([net.stop(), sender.kill(), receiver.kill()]);
await kubectl(['delete', 'namespace', 'bench', '--wait=false']);
await delNode(NODE).catch(() => {});
process.exit(result.startedMs.median <= 300 ? 0 : 1);
