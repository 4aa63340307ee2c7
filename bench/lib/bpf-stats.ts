// The kernel's own count and run time of BPF programs (kernel.bpf_stats_enabled),
// steadier than throughput on a shared machine: what a program costs per packet.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';

const SYSCTL = '/proc/sys/kernel/bpf_stats_enabled';

/** Turns the statistics on; returns the function that restores the previous setting. */
export function enableBpfStats(): () => void {
  const before = readFileSync(SYSCTL, 'utf8').trim();
  writeFileSync(SYSCTL, '1');
  return () => writeFileSync(SYSCTL, before);
}

export interface ProgStats {
  runs: number;
  ns: number;
}

/** Runs and run time summed over the loaded programs whose name starts with `prefix`. */
export function progStats(prefix: string): ProgStats {
  const progs = JSON.parse(
    execFileSync('bpftool', ['prog', 'show', '-j'], { encoding: 'utf8' }),
  ) as {
    name?: string;
    run_cnt?: number;
    run_time_ns?: number;
  }[];
  let runs = 0;
  let ns = 0;
  for (const p of progs) {
    if (!p.name?.startsWith(prefix)) continue;
    runs += p.run_cnt ?? 0;
    ns += p.run_time_ns ?? 0;
  }
  return { runs, ns };
}
