// How fast the test bed makes and removes simulated pods (test/e2e/testbed.ts addPod and
// delPod, what every e2e suite and the load benchmarks build on): one at a time, the
// median and 95th percentile of each; then a churn of 200 pods ten at a time, each batch
// deleted once made, as test/e2e/faults.test.ts does it.
//
//   node --import tsx bench/testbed-pods.ts [--pods 20] [--churn 200]
import { execFileSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import {
  addNode,
  addPod,
  delNode,
  delPod,
  kubectl,
  testbedScript,
  uniqueName,
} from '../test/e2e/testbed.js';
import { writeResults } from './lib/results.js';
import { median } from './lib/stats.js';

const { values } = parseArgs({
  options: { pods: { type: 'string', default: '20' }, churn: { type: 'string', default: '200' } },
});
const pods = Number(values.pods);
const churn = Number(values.churn);
if (!Number.isInteger(pods) || pods < 1)
  throw new Error(`--pods: a positive integer, got ${values.pods}`);
if (!Number.isInteger(churn) || churn < 0)
  throw new Error(`--churn: an integer >= 0, got ${values.churn}`);

const p95 = (xs: number[]) =>
  [...xs].sort((a, b) => a - b)[Math.floor(0.95 * (xs.length - 1))] ?? Number.NaN;
const timed = async (fn: () => Promise<unknown>): Promise<number> => {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
};

execFileSync(testbedScript, ['up'], { stdio: ['ignore', 'ignore', 'inherit'] });
const ns = uniqueName('bench-pods');
const node = uniqueName('bench-pods-node');
await addNode(node);
// The first pod also creates the namespace: not counted.
await addPod(`${ns}/warm`, { node });
await delPod(`${ns}/warm`);

const add: number[] = [];
const del: number[] = [];
for (let i = 0; i < pods; i++) {
  add.push(await timed(() => addPod(`${ns}/p-${i}`, { node, labels: { app: 'bench' } })));
}
for (let i = 0; i < pods; i++) del.push(await timed(() => delPod(`${ns}/p-${i}`)));

let churnMs = 0;
if (churn > 0) {
  const refs = Array.from({ length: churn }, (_, i) => `${ns}/c-${i}`);
  churnMs = await timed(async () => {
    for (let i = 0; i < refs.length; i += 10) {
      const batch = refs.slice(i, i + 10);
      await Promise.all(batch.map((ref) => addPod(ref, { node })));
      await Promise.all(batch.map((ref) => delPod(ref)));
    }
  });
}

await kubectl(['delete', 'namespace', ns, '--wait=false']);
await delNode(node);

const result = {
  pods,
  addMs: { median: median(add), p95: p95(add) },
  delMs: { median: median(del), p95: p95(del) },
  churn,
  churnMs,
};
const ms = (x: number) => `${x.toFixed(0)} ms`;
console.log(
  `addPod one at a time: median ${ms(result.addMs.median)}, p95 ${ms(result.addMs.p95)} (${pods} pods)`,
);
console.log(`delPod one at a time: median ${ms(result.delMs.median)}, p95 ${ms(result.delMs.p95)}`);
if (churn > 0) console.log(`${churn} pods added and deleted ten at a time: ${ms(churnMs)}`);
writeResults('testbed-pods', result);
