// iperf3 between two test namespaces: TCP throughput (bits/s) or 64-byte UDP
// received packets/s, the client pinned to CPU 0 and the server to CPU 1 (-A 0,1)
// to cut scheduling noise on small machines. Shared by the overhead benchmarks.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';

interface IperfJson {
  error?: string;
  end: {
    cpu_utilization_percent?: { host_total: number; remote_total: number };
    sum_received?: { bits_per_second: number };
    sum?: { packets: number; lost_packets: number; seconds: number };
  };
}

/** Starts `iperf3 -s` in namespace `ns`; kill the returned process when done. */
export function iperfServer(ns: string): ChildProcess {
  const server = spawn('ip', ['netns', 'exec', ns, 'iperf3', '-s'], { stdio: 'ignore' });
  execFileSync('sleep', ['0.5']);
  return server;
}

export interface IperfResult {
  /** bits/s for TCP, received packets/s for UDP. */
  rate: number;
  /** UDP: datagrams the client sent. */
  sent: number;
  /**
   * CPU time of the client and server processes (getrusage: kernel work done in
   * their context included, such as transmit and the programs run there), in ns
   * per datagram sent (UDP) or per byte received (TCP). Other processes on the
   * machine do not count in it, which makes it steadier than the rate here.
   */
  cpuNs: number;
}

/** One run from namespace `ns` to `host`. */
export function iperf(ns: string, host: string, udp: boolean, seconds: number): IperfResult {
  const args = [
    'netns',
    'exec',
    ns,
    'iperf3',
    '-c',
    host,
    '-t',
    String(seconds),
    '-J',
    '-A',
    '0,1',
  ];
  if (udp) args.push('-u', '-l', '64', '-b', '0');
  const out = JSON.parse(execFileSync('ip', args, { encoding: 'utf8' })) as IperfJson;
  const { sum, sum_received, cpu_utilization_percent: cpu } = out.end;
  const cpuSeconds = (((cpu?.host_total ?? 0) + (cpu?.remote_total ?? 0)) / 100) * seconds;
  if (udp && sum)
    return {
      rate: (sum.packets - sum.lost_packets) / sum.seconds,
      sent: sum.packets,
      cpuNs: (cpuSeconds * 1e9) / sum.packets,
    };
  if (!udp && sum_received)
    return {
      rate: sum_received.bits_per_second,
      sent: 0,
      cpuNs: (cpuSeconds * 1e9) / ((sum_received.bits_per_second / 8) * seconds),
    };
  throw new Error(`iperf3 gave no result${out.error ? `: ${out.error}` : ''}`);
}
