// What tracing costs the traffic: TCP throughput and 64-byte UDP packet rate
// between two namespaces (iperf3), with no packet socket, with an empty socket
// filter (the cost of a packet socket at all), and with netgraph attached, both
// sides traced in the last two. Alternating rounds, medians, ratios to none.
// iperf3 pins the client to CPU 0 and the server to CPU 1 (-A 0,1) to cut
// scheduling noise on small machines.
// Usage: node --import tsx bench/dataplane-overhead.ts [--rounds 5] [--seconds 3]
import { execFileSync, spawn } from 'node:child_process';
import { parseArgs } from 'node:util';
import { bpfObjectPath } from '../gadget/dataplane/bpf-path.js';
import { BpfObject } from '../gadget/dataplane/libbpf.js';
import { close } from '../gadget/dataplane/libc.js';
import { inNetns } from '../gadget/dataplane/netns-thread.js';
import { openTracer, type Tracer } from '../gadget/dataplane/tracer.js';
import { makePair, type Pair } from '../test/netns/netns-lib.js';
import { writeResults } from './lib/results.js';

const { values } = parseArgs({
  options: { rounds: { type: 'string', default: '5' }, seconds: { type: 'string', default: '3' } },
});
const rounds = Number(values.rounds);
const seconds = Number(values.seconds);
const MODES = ['none', 'empty', 'netgraph'] as const;
type Mode = (typeof MODES)[number];

/** Attaches `mode` in both namespaces; returns the detach. */
async function attach(mode: Mode, pair: Pair): Promise<() => void> {
  if (mode === 'none') return () => {};
  if (mode === 'netgraph') {
    const ts: Tracer[] = [await openTracer(pair.a), await openTracer(pair.b)];
    return () => {
      for (const t of ts) t.close();
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

interface Iperf {
  end: {
    sum_received?: { bits_per_second: number };
    sum?: { packets: number; lost_packets: number; seconds: number };
  };
}

function iperf(pair: Pair, udp: boolean): number {
  const args = [
    'netns',
    'exec',
    pair.a,
    'iperf3',
    '-c',
    pair.v4.b,
    '-t',
    String(seconds),
    '-J',
    '-A',
    '0,1',
  ];
  if (udp) args.push('-u', '-l', '64', '-b', '0');
  const out = JSON.parse(execFileSync('ip', args, { encoding: 'utf8' })) as Iperf;
  const { sum, sum_received } = out.end;
  if (udp && sum) return (sum.packets - sum.lost_packets) / sum.seconds; // received packets/s
  if (!udp && sum_received) return sum_received.bits_per_second;
  throw new Error('iperf3 gave no result');
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1] ?? Number.NaN;

const pair = makePair('bench', 200);
const server = spawn('ip', ['netns', 'exec', pair.b, 'iperf3', '-s'], { stdio: 'ignore' });
try {
  execFileSync('sleep', ['0.5']);
  const tcp: Record<Mode, number[]> = { none: [], empty: [], netgraph: [] };
  const udp: Record<Mode, number[]> = { none: [], empty: [], netgraph: [] };
  for (let r = 0; r < rounds; r++) {
    // Alternate the order so drift in background load spreads over the modes.
    const order = r % 2 ? [...MODES].reverse() : MODES;
    for (const mode of order) {
      const detach = await attach(mode, pair);
      try {
        tcp[mode].push(iperf(pair, false));
        udp[mode].push(iperf(pair, true));
      } finally {
        detach();
      }
      const [t, u] = [tcp[mode].at(-1) ?? 0, udp[mode].at(-1) ?? 0];
      console.log(
        `round ${r + 1} ${mode.padEnd(8)} tcp ${(t / 1e9).toFixed(2)} Gbit/s  udp64 ${Math.round(u)} pps`,
      );
    }
  }
  const figures: Record<string, unknown> = { rounds, seconds, tcp, udp };
  for (const mode of ['empty', 'netgraph'] as const) {
    figures[`tcpRatio_${mode}`] = median(tcp[mode]) / median(tcp.none);
    figures[`udpRatio_${mode}`] = median(udp[mode]) / median(udp.none);
  }
  console.log(`median tcp: none ${(median(tcp.none) / 1e9).toFixed(2)} Gbit/s`);
  for (const mode of ['empty', 'netgraph'] as const) {
    console.log(
      `${mode.padEnd(8)} tcp ${((figures[`tcpRatio_${mode}`] as number) * 100).toFixed(1)}%  udp64 ${((figures[`udpRatio_${mode}`] as number) * 100).toFixed(1)}% of no socket`,
    );
  }
  console.log('targets: netgraph tcp >= 97%, udp64 >= 88%');
  console.log(`wrote ${writeResults('dataplane-overhead', figures)}`);
} finally {
  server.kill();
  pair.cleanup();
}
