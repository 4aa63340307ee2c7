// A process's memory and file descriptors from /proc, and gauges from its Prometheus
// /metrics: what a long benchmark samples over time so a leak shows as a trend.
import { readdirSync, readFileSync } from 'node:fs';

export const rssMB = (pid: number): number =>
  Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;

/** CPU time (user and system) the process has used, in seconds. */
export function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in USER_HZ
}

export const fdCount = (pid: number): number => readdirSync(`/proc/${pid}/fd`).length;

/** The unlabelled samples of a Prometheus text exposition, by metric name. */
export async function scrapeGauges(url: string): Promise<Map<string, number>> {
  const text = await (await fetch(url)).text();
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*) (\S+)$/.exec(line);
    if (m) out.set(m[1] as string, Number(m[2]));
  }
  return out;
}
