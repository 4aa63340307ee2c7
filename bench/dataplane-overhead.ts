// What tracing costs the traffic: TCP throughput and 64-byte UDP packet rate
// between two pod namespaces routed through a node namespace (iperf3, see
// lib/iperf.ts), side by side in one run:
// - none: no packet socket, no program;
// - empty: an empty socket filter on a packet socket in each pod (the cost of a
//   packet socket at all: on transmit the kernel clones each packet for it);
// - socket: netgraph's socket filter in each pod;
// - tcx: netgraph's TCX programs on each pod's host-side veth.
// Alternating rounds, medians and the spread across rounds, ratios to none; and
// the kernel's own figure, steadier on a shared machine: netgraph's program runs
// per UDP datagram sent and nanoseconds per run (kernel.bpf_stats_enabled).
// Usage: node --import tsx bench/dataplane-overhead.ts [--rounds 5] [--seconds 3]
import { parseArgs } from 'node:util';
import { bpfObjectPath } from '../gadget/dataplane/bpf-path.js';
import { BpfObject } from '../gadget/dataplane/libbpf.js';
import { close } from '../gadget/dataplane/libc.js';
import { inNetns } from '../gadget/dataplane/netns-thread.js';
import { openTracers, type Tracer } from '../gadget/dataplane/tracer.js';
import { makeRoutedPair, type RoutedPair } from '../test/netns/netns-lib.js';
import { enableBpfStats, progStats } from './lib/bpf-stats.js';
import { iperf, iperfServer, median, spread } from './lib/iperf.js';
import { writeResults } from './lib/results.js';

const { values } = parseArgs({
  options: { rounds: { type: 'string', default: '5' }, seconds: { type: 'string', default: '3' } },
});
const rounds = Number(values.rounds);
const seconds = Number(values.seconds);
const MODES = ['none', 'empty', 'socket', 'tcx'] as const;
type Mode = (typeof MODES)[number];

/** Attaches `mode` to both pods; returns the detach. */
async function attach(mode: Mode, pair: RoutedPair): Promise<() => void> {
  if (mode === 'none') return () => {};
  if (mode === 'socket' || mode === 'tcx') {
    const ts = await openTracers([pair.a, pair.b], {
      attach: mode,
      hostNetns: `/var/run/netns/${pair.node}`,
    });
    const ok = ts.filter((t): t is Tracer => !(t instanceof Error) && t.mode === mode);
    if (ok.length !== 2) throw new Error(`${mode}: not attached as asked (${ts.join(', ')})`);
    return () => {
      for (const t of ok) t.close();
    };
  }
  const obj = BpfObject.load(bpfObjectPath('empty'));
  const progFd = obj.programFd('empty');
  const res = await inNetns(
    [pair.a, pair.b].map((ns) => ({ path: `/var/run/netns/${ns}`, progFd })),
  );
  return () => {
    for (const r of res) if (r.ok && r.socketFd !== undefined) close(r.socketFd);
    obj.close();
  };
}

const pair = makeRoutedPair('bench', 200);
const server = iperfServer(pair.b);
try {
  const runs: Record<'socket' | 'tcx', { perPacket: number; ns: number }[]> = {
    socket: [],
    tcx: [],
  };
  const tcp = Object.fromEntries(MODES.map((m) => [m, [] as number[]])) as Record<Mode, number[]>;
  const udp = Object.fromEntries(MODES.map((m) => [m, [] as number[]])) as Record<Mode, number[]>;
  const cpu = {
    tcp: Object.fromEntries(MODES.map((m) => [m, [] as number[]])) as Record<Mode, number[]>,
    udp: Object.fromEntries(MODES.map((m) => [m, [] as number[]])) as Record<Mode, number[]>,
  };
  for (let r = 0; r < rounds; r++) {
    // Alternate the order so drift in background load spreads over the modes.
    const order = r % 2 ? [...MODES].reverse() : MODES;
    for (const mode of order) {
      const detach = await attach(mode, pair);
      try {
        const t = iperf(pair.a, pair.v4.b, false, seconds);
        tcp[mode].push(t.rate);
        cpu.tcp[mode].push(t.cpuNs);
        const u = iperf(pair.a, pair.v4.b, true, seconds);
        udp[mode].push(u.rate);
        cpu.udp[mode].push(u.cpuNs);
        if (mode === 'socket' || mode === 'tcx') {
          // Apart from the timed runs: the statistics cost every program run a little.
          const restoreStats = enableBpfStats();
          try {
            const s0 = progStats('netgraph');
            const sent = iperf(pair.a, pair.v4.b, true, 1).sent;
            const s1 = progStats('netgraph');
            runs[mode].push({
              perPacket: (s1.runs - s0.runs) / sent,
              ns: (s1.ns - s0.ns) / Math.max(1, s1.runs - s0.runs),
            });
          } finally {
            restoreStats();
          }
        }
      } finally {
        detach();
      }
      const [t, u] = [tcp[mode].at(-1) ?? 0, udp[mode].at(-1) ?? 0];
      console.log(
        `round ${r + 1} ${mode.padEnd(6)} tcp ${(t / 1e9).toFixed(2)} Gbit/s  udp64 ${Math.round(u)} pps`,
      );
    }
  }
  const figures: Record<string, unknown> = { rounds, seconds, tcp, udp, runs, cpu };
  const none = { tcp: median(tcp.none), udp: median(udp.none) };
  console.log(
    `median none: tcp ${(none.tcp / 1e9).toFixed(2)} Gbit/s, udp64 ${Math.round(none.udp)} pps`,
  );
  for (const mode of ['empty', 'socket', 'tcx'] as const) {
    const t = median(tcp[mode]) / none.tcp;
    const u = median(udp[mode]) / none.udp;
    figures[`tcpRatio_${mode}`] = t;
    figures[`udpRatio_${mode}`] = u;
    console.log(
      `${mode.padEnd(6)} tcp ${(100 * t).toFixed(1)}% (rounds ${spread(tcp[mode], none.tcp)})  udp64 ${(100 * u).toFixed(1)}% (rounds ${spread(udp[mode], none.udp)}) of none`,
    );
  }
  // Rate kept if CPU were the only limit: none's CPU per unit over the mode's.
  for (const mode of ['empty', 'socket', 'tcx'] as const) {
    const t = median(cpu.tcp.none) / median(cpu.tcp[mode]);
    const u = median(cpu.udp.none) / median(cpu.udp[mode]);
    figures[`cpuRatio_tcp_${mode}`] = t;
    figures[`cpuRatio_udp_${mode}`] = u;
    console.log(
      `${mode.padEnd(6)} by CPU time per unit (iperf3's own processes): tcp ${(100 * t).toFixed(1)}%  udp64 ${(100 * u).toFixed(1)}% of none (udp64 ${median(cpu.udp[mode]).toFixed(0)} vs ${median(cpu.udp.none).toFixed(0)} ns a datagram)`,
    );
  }
  for (const mode of ['socket', 'tcx'] as const) {
    console.log(
      `${mode.padEnd(6)} udp64: ${median(runs[mode].map((x) => x.perPacket)).toFixed(2)} program runs a datagram sent, ${median(runs[mode].map((x) => x.ns)).toFixed(0)} ns a run (medians)`,
    );
  }
  console.log('targets: tcx tcp >= 97%, udp64 >= 97%; socket tcp >= 97%, udp64 >= 88%');
  console.log(`wrote ${writeResults('dataplane-overhead', figures)}`);
} finally {
  server.kill();
  pair.cleanup();
}
