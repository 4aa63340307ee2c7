// Agent memory with many pods and traces on one node: 100 pod network namespaces
// (each with an address on a veth) and 10 traces selecting all of them,
// through a real Agent and the real data plane. Process RSS (after a forced GC)
// before attaching, with 1 trace and with 10, and the kernel memory of the maps
// (their memlock). The agent process itself adds its HTTPS server, Lease and pod
// watch on top (a few MB). It runs in a memory cgroup of its own (bench/lib/
// memory-cgroup.ts), so it also prints what a container's memory limit counts: RSS and
// the kernel memory charged with it (the maps, on kernels >= 5.11), and that per pod.
// With --before REV and a list of pod counts it runs REV's own agent-memory (from a git
// worktree: for example the last commit with a BPF object per pod) and this tree's, each
// pod count in turn, and prints what each is charged side by side.
// Usage: node --expose-gc --import tsx bench/agent-memory.ts [--pods 100] [--traces 10]
//        node --expose-gc --import tsx bench/agent-memory.ts --before REV [--pods 1,100,1000]
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Agent, type Pod } from '../gadget/agent/agent.js';
import { hostDataPlane } from '../gadget/agent/data-plane.js';
import { logger } from '../lib/log.js';
import { type Sandbox, startSandbox } from '../test/pod-sandbox.js';
import { runIn, withTrees } from './lib/before-after.js';
import { inMemoryCgroup } from './lib/memory-cgroup.js';
import { writeResults } from './lib/results.js';

const { values } = parseArgs({
  options: {
    pods: { type: 'string', default: '100' },
    traces: { type: 'string', default: '10' },
    before: { type: 'string' },
  },
});
if (values.before !== undefined) {
  await compare(values.before, values.pods.split(',').map(Number), values.traces);
  process.exit(0);
}

/**
 * Each pod count on REV's tree and on this one: what attaching added to the charge
 * (the benchmark makes the pods' namespaces from inside its cgroup, so their kernel
 * memory is charged there before attaching too), the agent's total as its charge
 * before attaching with 1 pod plus that, fds a pod and the times.
 */
async function compare(rev: string, podCounts: number[], traces: string): Promise<void> {
  const rows: Record<string, number | string>[] = [];
  const base = new Map<string, number>();
  await withTrees(rev, async (trees) => {
    for (const pods of podCounts) {
      for (const tree of trees) {
        const f = runIn(
          tree,
          'bench/agent-memory.ts',
          ['--pods', String(pods), '--traces', traces],
          'agent-memory',
        );
        type Charge = { MB: number; kernelMB: number };
        const c = f.cgroupMB as { before: Charge; allTraces: Charge };
        if (!base.has(tree.label)) base.set(tree.label, c.before.MB);
        const addedMB = c.allTraces.MB - c.before.MB;
        rows.push({
          tree: tree.label,
          pods,
          chargedMB: c.allTraces.MB,
          addedMB,
          addedKernelMB: c.allTraces.kernelMB - c.before.kernelMB,
          agentMB: (base.get(tree.label) ?? 0) + addedMB,
          fdsPerPod: Number(f.fdsPerPod ?? Number.NaN),
          attachMs: Math.round(Number(f.attachMs)),
          joinMs: Math.round(Number(f.joinMs)),
        });
      }
    }
  });
  console.log(
    `\n${traces} traces: the agent's charge (its charge before attaching with 1 pod + what attaching added; kernel part of that), fds a pod, attach / join:`,
  );
  for (const r of rows) {
    const fds = Number.isNaN(r.fdsPerPod) ? '' : `, ${Number(r.fdsPerPod).toFixed(1)} fds a pod`;
    console.log(
      `  ${String(r.pods).padStart(5)} pods  ${String(r.tree).padEnd(20)} ${r.agentMB} MB (+${r.addedMB}, kernel +${r.addedKernelMB})${fds}, ${r.attachMs} / ${r.joinMs} ms`,
    );
  }
  console.log(
    `wrote ${writeResults('agent-memory-compare', { rev, traces: Number(traces), rows })}`,
  );
}

const cgroup = inMemoryCgroup('netgraph-bench-agent-memory');
const nPods = Number(values.pods);
const nTraces = Number(values.traces);
const mb = (b: number) => Math.round(b / 2 ** 20);
const rss = () => {
  global.gc?.();
  return mb(process.memoryUsage().rss);
};
const charged = () => ({ MB: mb(cgroup.chargedBytes()), kernelMB: mb(cgroup.kernelBytes()) });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ip = (...args: string[]) => execFileSync('ip', args, { stdio: 'ignore' });
const names = Array.from({ length: nPods }, (_, i) => `ng-amem-${i}`);
// Distinct for up to 65,535 pods (an address of its own each, /32).
const addr = (i: number) => `10.124.${(i + 1) >> 8}.${(i + 1) & 255}`;

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
const agent = new Agent('bench', hostDataPlane(), logger('bench', 'silent'), 1000);
try {
  const pods: Pod[] = [];
  for (const [i, ns] of names.entries()) {
    ip('netns', 'add', ns);
    // A veth pair inside the namespace (this kernel has no dummy driver): an address with carrier.
    ip('-n', ns, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'eth1');
    ip('-n', ns, 'addr', 'add', `${addr(i)}/32`, 'dev', 'eth0');
    ip('-n', ns, 'link', 'set', 'eth1', 'up');
    ip('-n', ns, 'link', 'set', 'eth0', 'up');
    // Its sandbox, as a pod has: the agent finds the namespace by the pod's UID.
    const uid = randomUUID();
    sandboxes.push(await startSandbox(ns, uid));
    pods.push({
      metadata: { namespace: 'bench', name: `pod-${i}`, uid },
      spec: { containers: [{ name: 'main' }] },
      status: { phase: 'Running', podIP: addr(i), podIPs: [{ ip: addr(i) }] },
    });
  }
  agent.onPodsReset(pods);
  const fds = () => readdirSync('/proc/self/fd').length;
  const fdsBefore = fds();
  const before = rss();
  const chargedBefore = charged();
  const attachedAll = async (traces: number) => {
    for (let i = 0; i < 1200; i++) {
      const info = agent.attachmentInfo();
      if (info.length === nPods && info.every((a) => a.traces.length === traces)) return info;
      await sleep(50);
    }
    throw new Error(`not attached: ${agent.attachmentInfo().length} attachments`);
  };
  const t0 = performance.now();
  agent.startTrace('bench/t0', { namespace: 'bench' });
  await attachedAll(1);
  const attachMs = performance.now() - t0;
  const one = rss();
  const chargedOne = charged();
  const t1 = performance.now();
  for (let t = 1; t < nTraces; t++) agent.startTrace(`bench/t${t}`, { namespace: 'bench' });
  const info = await attachedAll(nTraces);
  const joinMs = performance.now() - t1;
  await sleep(2500); // a few drains
  const all = rss();
  const chargedAll = charged();
  const mapBytes = agent.mapMemory();
  const fdsPerPod = (fds() - fdsBefore) / nPods;
  const figures = {
    pods: nPods,
    traces: nTraces,
    attachments: info.length,
    rssMB: { before, oneTrace: one, allTraces: all },
    cgroupMB: { before: chargedBefore, oneTrace: chargedOne, allTraces: chargedAll },
    cgroupMBPerPod: (chargedAll.MB - chargedBefore.MB) / nPods,
    kernelMapMB: mapBytes / 2 ** 20,
    fdsPerPod,
    attachMs,
    joinMs,
  };
  console.log(`${nPods} pods, ${nTraces} traces: ${info.length} attachments`);
  console.log(
    `RSS: ${before} MB before, ${one} MB with 1 trace (attached in ${Math.round(attachMs)} ms), ${all} MB with ${nTraces} (joined in ${Math.round(joinMs)} ms)`,
  );
  console.log(
    `kernel map memory: ${(mapBytes / 2 ** 20).toFixed(1)} MB (one set for the node); ${fdsPerPod.toFixed(1)} fds a traced pod`,
  );
  console.log(
    `charged to its memory cgroup (what a container's limit counts): ${chargedBefore.MB} MB before (kernel ${chargedBefore.kernelMB}), ${chargedOne.MB} MB with 1 trace (kernel ${chargedOne.kernelMB}), ${chargedAll.MB} MB with ${nTraces} (kernel ${chargedAll.kernelMB}): ${figures.cgroupMBPerPod.toFixed(2)} MB a traced pod`,
  );
  console.log('target: charged < 150 MB with 100 pods, < 250 MB with 1,000; <= 2 fds a pod');
  console.log(`wrote ${writeResults('agent-memory', figures)}`);
} finally {
  for (const k of agent.traceKeys()) await agent.stopTrace(k);
  agent.close();
  await cleanup();
}
