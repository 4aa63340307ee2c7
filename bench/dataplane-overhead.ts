// What tracing costs the traffic: TCP throughput and 64-byte UDP packet rate
// between two pod namespaces routed through a node namespace (iperf3, see
// lib/iperf.ts), side by side in one run:
// - none: no packet socket, no program;
// - empty: an empty socket filter on a packet socket in each pod (the cost of a
//   packet socket at all: on transmit the kernel clones each packet for it);
// - socket: netgraph's socket filter in each pod;
// - tcx-empty: an empty tc program as TCX links on each pod's host-side veth
//   (the cost of TCX at all);
// - tcx: netgraph's TCX programs on each pod's host-side veth;
// - socket-nodns, tcx-nodns: the same with DNS answer capture off (state.dns = 0):
//   what handing DNS answers to the agent costs packets that are not DNS answers.
// Each round runs every mode once, in alternating order; a mode's figure is the
// median over rounds of its rate divided by none's in the same round (paired, so
// drift in the machine's load between rounds cancels), with the middle half of
// those ratios as the spread. And the kernel's own figure: netgraph's program
// runs per UDP datagram sent and nanoseconds per run (kernel.bpf_stats_enabled),
// beside an empty TCX program's: the statistics' own cost is in both.
// Usage: node --import tsx bench/dataplane-overhead.ts [--rounds 10] [--seconds 2]
//        [--modes none,empty,socket,socket-nodns,tcx-empty,tcx,tcx-nodns] (none always runs: the base)
import { parseArgs } from 'node:util';
import { bpfObjectPath } from '../gadget/dataplane/bpf-path.js';
import { BpfObject } from '../gadget/dataplane/libbpf.js';
import { close } from '../gadget/dataplane/libc.js';
import { inNetns } from '../gadget/dataplane/netns-thread.js';
import { openTracers, type Tracer } from '../gadget/dataplane/tracer.js';
import { makeRoutedPair, type RoutedPair } from '../test/netns/netns-lib.js';
import { enableBpfStats, progStats } from './lib/bpf-stats.js';
import { iperf, iperfServer } from './lib/iperf.js';
import { writeResults } from './lib/results.js';
import { median, pairedRatio } from './lib/stats.js';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '10' },
    seconds: { type: 'string', default: '2' },
    modes: {
      type: 'string',
      default: 'none,empty,socket,socket-nodns,tcx-empty,tcx,tcx-nodns',
    },
  },
});
const rounds = Number(values.rounds);
const seconds = Number(values.seconds);
const ALL_MODES = [
  'none',
  'empty',
  'socket',
  'socket-nodns',
  'tcx-empty',
  'tcx',
  'tcx-nodns',
] as const;
type Mode = (typeof ALL_MODES)[number];
const MODES = ALL_MODES.filter((m) => m === 'none' || values.modes.split(',').includes(m));
const unknown = values.modes.split(',').filter((m) => !ALL_MODES.includes(m as Mode));
if (unknown.length)
  throw new Error(`--modes: unknown ${unknown.join(', ')} (${ALL_MODES.join(', ')})`);

/** Attaches `mode` to both pods; returns the detach. */
async function attach(mode: Mode, pair: RoutedPair): Promise<() => void> {
  if (mode === 'none') return () => {};
  if (mode !== 'empty' && mode !== 'tcx-empty') {
    const as = mode.startsWith('tcx') ? 'tcx' : 'socket';
    const ts = await openTracers([pair.a, pair.b], {
      attach: as,
      hostNetns: `/var/run/netns/${pair.node}`,
      dnsCapture: !mode.endsWith('-nodns'),
    });
    const ok = ts.filter((t): t is Tracer => !(t instanceof Error) && t.mode === as);
    if (ok.length !== 2) throw new Error(`${mode}: not attached as asked (${ts.join(', ')})`);
    return () => {
      for (const t of ok) t.close();
    };
  }
  const obj = BpfObject.load(bpfObjectPath('empty'));
  const res = await inNetns(
    [pair.a, pair.b].map((ns) => {
      const path = `/var/run/netns/${ns}`;
      if (mode === 'empty') return { path, progFd: obj.programFd('empty') };
      const fd = obj.programFd('empty_tcx');
      return { path, tcx: { inFd: fd, outFd: fd, hostPath: `/var/run/netns/${pair.node}` } };
    }),
  );
  const fds = res.flatMap((r) => (r.ok ? [...(r.links ?? []), r.socketFd ?? -1] : []));
  if (fds.filter((fd) => fd >= 0).length !== (mode === 'empty' ? 2 : 4))
    throw new Error(`${mode}: not attached as asked`);
  return () => {
    for (const fd of fds) if (fd >= 0) close(fd);
    obj.close();
  };
}

const pair = makeRoutedPair('bench', 200);
const server = iperfServer(pair.b);
try {
  // The programs each mode runs, by name prefix (the kernel keeps 15 characters).
  const progs = {
    socket: 'netgraph',
    'socket-nodns': 'netgraph',
    'tcx-empty': 'empty_tcx',
    tcx: 'netgraph_tcx',
    'tcx-nodns': 'netgraph_tcx',
  } as const;
  const runs: Record<keyof typeof progs, { perPacket: number; ns: number }[]> = {
    socket: [],
    'socket-nodns': [],
    'tcx-empty': [],
    tcx: [],
    'tcx-nodns': [],
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
        if (mode !== 'none' && mode !== 'empty') {
          // Apart from the timed runs: the statistics cost every program run a little.
          const restoreStats = enableBpfStats();
          try {
            const s0 = progStats(progs[mode]);
            const sent = iperf(pair.a, pair.v4.b, true, 1).sent;
            const s1 = progStats(progs[mode]);
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
        `round ${r + 1} ${mode.padEnd(12)} tcp ${(t / 1e9).toFixed(2)} Gbit/s  udp64 ${Math.round(u)} pps`,
      );
    }
  }
  const figures: Record<string, unknown> = { rounds, seconds, tcp, udp, runs, cpu };
  console.log(
    `median none: tcp ${(median(tcp.none) / 1e9).toFixed(2)} Gbit/s, udp64 ${Math.round(median(udp.none))} pps`,
  );
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  const show = (r: ReturnType<typeof pairedRatio>) =>
    `${pct(r.median)} (middle half ${pct(r.q1)}..${pct(r.q3)})`;
  for (const mode of MODES.slice(1)) {
    const t = pairedRatio(tcp[mode], tcp.none);
    const u = pairedRatio(udp[mode], udp.none);
    // Rate kept if CPU were the only limit: none's CPU per unit over the mode's.
    const ct = pairedRatio(cpu.tcp.none, cpu.tcp[mode]);
    const cu = pairedRatio(cpu.udp.none, cpu.udp[mode]);
    Object.assign(figures, {
      [`tcpRatio_${mode}`]: t.median,
      [`udpRatio_${mode}`]: u.median,
      [`cpuRatio_tcp_${mode}`]: ct.median,
      [`cpuRatio_udp_${mode}`]: cu.median,
    });
    console.log(`${mode.padEnd(12)} of none: tcp ${show(t)}  udp64 ${show(u)}`);
    console.log(
      `${''.padEnd(12)} by CPU time a unit (iperf3's processes): tcp ${pct(ct.median)}  udp64 ${pct(cu.median)} (udp64 ${median(cpu.udp[mode]).toFixed(0)} vs ${median(cpu.udp.none).toFixed(0)} ns a datagram)`,
    );
  }
  for (const mode of (Object.keys(progs) as (keyof typeof progs)[]).filter((m) =>
    MODES.includes(m),
  )) {
    console.log(
      `${mode.padEnd(12)} udp64: ${median(runs[mode].map((x) => x.perPacket)).toFixed(2)} program runs a datagram sent, ${median(runs[mode].map((x) => x.ns)).toFixed(0)} ns a run (medians)`,
    );
  }
  // DNS capture on over off, round by round: what non-DNS packets pay for it.
  for (const [on, off] of [
    ['socket', 'socket-nodns'],
    ['tcx', 'tcx-nodns'],
  ] as const) {
    if (!MODES.includes(on) || !MODES.includes(off)) continue;
    const u = pairedRatio(udp[on], udp[off]);
    figures[`udpRatio_${on}_dnsOnOverOff`] = u.median;
    console.log(`${on.padEnd(12)} DNS capture on over off: udp64 ${show(u)}`);
  }
  console.log('targets: tcx tcp >= 97%, udp64 >= 97%; socket tcp >= 97%, udp64 >= 88%');
  console.log(`wrote ${writeResults('dataplane-overhead', figures)}`);
} finally {
  server.kill();
  pair.cleanup();
}
