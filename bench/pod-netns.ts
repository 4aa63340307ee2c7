// What finding pods' network namespaces costs the agent: one scan of the node (every
// /proc/<pid>/ns/net, each pod process's /proc/<pid>/cgroup for its pod UID, the
// addresses read inside each namespace) with N pods, each a namespace with an address
// and a sandbox process in a cgroup named by its UID, as a kubelet makes them
// (test/pod-sandbox.ts). Median and spread of --scans scans, and the same per pod; then
// a lookup of every pod from one scan. Root only.
// Usage: node --import tsx bench/pod-netns.ts [--pods 100] [--scans 20]
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { listNetns } from '../gadget/dataplane/netns.js';
import { podNetnsFinder } from '../gadget/dataplane/pod-netns.js';
import { type Sandbox, startSandbox } from '../test/pod-sandbox.js';
import { writeResults } from './lib/results.js';
import { median, spread } from './lib/stats.js';

const { values } = parseArgs({
  options: { pods: { type: 'string', default: '100' }, scans: { type: 'string', default: '20' } },
});
const nPods = Number(values.pods);
const nScans = Number(values.scans);
const ip = (...args: string[]) => execFileSync('ip', args, { stdio: 'ignore' });
const names = Array.from({ length: nPods }, (_, i) => `ng-pnb-${i}`);
const addr = (i: number) => `10.125.${(i + 1) >> 8}.${(i + 1) & 255}`;
const sandboxes: Sandbox[] = [];

async function cleanup() {
  for (const s of sandboxes.splice(0)) await s.stop();
  for (const ns of names) {
    try {
      ip('netns', 'del', ns);
    } catch {
      // not there
    }
  }
}

await cleanup();
try {
  const uids: string[] = [];
  for (const [i, ns] of names.entries()) {
    ip('netns', 'add', ns);
    ip('-n', ns, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'eth1');
    ip('-n', ns, 'addr', 'add', `${addr(i)}/32`, 'dev', 'eth0');
    ip('-n', ns, 'link', 'set', 'eth1', 'up');
    ip('-n', ns, 'link', 'set', 'eth0', 'up');
    const uid = randomUUID();
    uids.push(uid);
    sandboxes.push(await startSandbox(ns, uid));
  }
  const processes = execFileSync('ls', ['/proc'], { encoding: 'utf8' })
    .split('\n')
    .filter((d) => /^\d+$/.test(d)).length;
  await listNetns(); // the netns worker started
  const times: number[] = [];
  for (let s = 0; s < nScans; s++) {
    const t0 = performance.now();
    const all = await listNetns();
    times.push(performance.now() - t0);
    const found = all.filter((n) => n.podUids.length > 0).length;
    if (found < nPods) throw new Error(`a scan found ${found} pods' namespaces of ${nPods}`);
  }
  const find = podNetnsFinder();
  const t1 = performance.now();
  for (const [i, uid] of uids.entries()) {
    const f = await find({ uid, ips: [addr(i)] });
    if (f.sandboxes.length !== 1 || f.holders.length !== 1)
      throw new Error(`pod ${i}: ${f.sandboxes.length} sandboxes, ${f.holders.length} holders`);
  }
  const lookupAllMs = performance.now() - t1;
  const figures = {
    pods: nPods,
    processes,
    scanMs: median(times),
    scanSpread: spread(times, median(times)),
    scanMsPerPod: median(times) / nPods,
    lookupAllMs,
  };
  console.log(
    `${nPods} pods (${processes} processes on the machine): a scan ${figures.scanMs.toFixed(1)} ms median (${spread(times, median(times))} of it), ${(figures.scanMsPerPod * 1000).toFixed(0)} us a pod`,
  );
  console.log(
    `every pod looked up once from one scan: ${lookupAllMs.toFixed(1)} ms (the scan included)`,
  );
  console.log(`wrote ${writeResults('pod-netns', figures)}`);
} finally {
  await cleanup();
}
process.exit(0);
