// Per-packet cost of more traces on one pod: 64-byte UDP packets/s (iperf3) out of
// a pod watched by 1 trace and by 5 traces of a real Agent (real data plane,
// draining every second), alternating rounds in one run. With one attachment per
// pod the 5 traces share one program and one packet socket, so the rates match;
// the kernel's statistics say how many program runs each packet cost (1 when
// shared, 5 if each trace attached its own) and their time.
// Usage: node --import tsx bench/agent-traces-overhead.ts [--rounds 5] [--seconds 3]
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { Agent, type Pod } from '../gadget/agent/agent.js';
import { hostDataPlane } from '../gadget/agent/data-plane.js';
import { logger } from '../lib/log.js';
import { makePair } from '../test/netns/netns-lib.js';
import { startSandbox } from '../test/pod-sandbox.js';
import { enableBpfStats, progStats } from './lib/bpf-stats.js';
import { iperf, iperfServer } from './lib/iperf.js';
import { writeResults } from './lib/results.js';
import { median, spread } from './lib/stats.js';

const { values } = parseArgs({
  options: { rounds: { type: 'string', default: '5' }, seconds: { type: 'string', default: '3' } },
});
const rounds = Number(values.rounds);
const seconds = Number(values.seconds);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const pair = makePair('trov', 209);
const server = iperfServer(pair.b);
const agent = new Agent('bench', hostDataPlane(), logger('bench', 'silent'), 1000);
// Its sandbox, as a pod has: the agent finds the namespace by the pod's UID.
const uid = randomUUID();
const sandbox = await startSandbox(pair.a, uid);
const pod: Pod = {
  metadata: { namespace: 'bench', name: 'client', uid },
  spec: { containers: [{ name: 'main' }] },
  status: { phase: 'Running', podIP: pair.v4.a, podIPs: [{ ip: pair.v4.a }] },
};
agent.onPodsReset([pod]);
const restoreStats = enableBpfStats();

/** Runs `n` traces on the pod, waits until each is attached; returns their stop. */
async function watch(n: number): Promise<() => Promise<void>> {
  const keys = Array.from({ length: n }, (_, i) => `bench/t${i}`);
  for (const k of keys) agent.startTrace(k, { namespace: 'bench' });
  for (let i = 0; i < 200; i++) {
    if ((agent.attachmentInfo()[0]?.traces.length ?? 0) === n) break;
    await sleep(25);
  }
  const info = agent.attachmentInfo();
  if (info.length !== 1 || info[0]?.traces.length !== n)
    throw new Error(`expected one attachment with ${n} traces: ${JSON.stringify(info)}`);
  return async () => {
    for (const k of keys) await agent.stopTrace(k);
  };
}

try {
  const pps: Record<'one' | 'five', number[]> = { one: [], five: [] };
  /** Program runs per packet through the pod, and ns per run. */
  const runs: Record<'one' | 'five', { perPacket: number; ns: number }[]> = { one: [], five: [] };
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 ? (['five', 'one'] as const) : (['one', 'five'] as const);
    for (const mode of order) {
      const stop = await watch(mode === 'one' ? 1 : 5);
      try {
        const s0 = progStats('netgraph');
        const res = iperf(pair.a, pair.v4.b, true, seconds);
        const s1 = progStats('netgraph');
        pps[mode].push(res.rate);
        runs[mode].push({
          perPacket: (s1.runs - s0.runs) / res.sent,
          ns: (s1.ns - s0.ns) / (s1.runs - s0.runs),
        });
      } finally {
        await stop();
      }
      const last = runs[mode].at(-1);
      console.log(
        `round ${r + 1} ${mode.padEnd(4)} traces: udp64 ${Math.round(pps[mode].at(-1) ?? 0)} pps, ${last?.perPacket.toFixed(2)} program runs a packet, ${last?.ns.toFixed(0)} ns a run`,
      );
    }
  }
  const ratio = median(pps.five) / median(pps.one);
  console.log(
    `median udp64: 1 trace ${Math.round(median(pps.one))} pps, 5 traces ${Math.round(median(pps.five))} pps: ${(100 * ratio).toFixed(1)}% (rounds ${spread(pps.five, median(pps.one))})`,
  );
  for (const mode of ['one', 'five'] as const) {
    console.log(
      `${mode.padEnd(4)} traces: ${median(runs[mode].map((x) => x.perPacket)).toFixed(2)} program runs a packet, ${median(runs[mode].map((x) => x.ns)).toFixed(0)} ns a run (medians)`,
    );
  }
  console.log('target: 5 traces within 2% of 1 trace');
  console.log(
    `wrote ${writeResults('agent-traces-overhead', { rounds, seconds, pps, runs, ratio })}`,
  );
} finally {
  restoreStats();
  agent.close();
  server.kill();
  await sandbox.stop();
  pair.cleanup();
}
