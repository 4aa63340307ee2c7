// What the simulated cluster and the operators cost the test bed's apiserver: its CPU
// (from /proc, by its pid file) and its requests by verb and resource (its own
// apiserver_request_total), read at a mark and again later, as rates over the interval.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { kubectl, testbedDir } from '../../test/e2e/testbed.js';
import { cpuSeconds } from '../lib/proc-sample.js';

export interface ApiserverMark {
  at: number;
  cpu: number;
  requests: Map<string, number>;
}

export interface ApiserverLoad {
  /** Share of one core. */
  cores: number;
  /** Requests a second by "VERB resource[/subresource]", the busiest first. */
  perSecond: Record<string, number>;
}

const apiserverCpu = () =>
  cpuSeconds(Number(readFileSync(join(testbedDir(), 'pids/kube-apiserver.pid'), 'utf8')));

/** Requests served so far, by verb and resource (every response code together). */
async function requests(): Promise<Map<string, number>> {
  const text = await kubectl(['get', '--raw', '/metrics'], { timeoutMs: 60_000 });
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line.startsWith('apiserver_request_total{')) continue;
    const label = (k: string) => new RegExp(`[{,]${k}="([^"]*)"`).exec(line)?.[1] ?? '';
    const sub = label('subresource');
    const key = `${label('verb')} ${label('resource')}${sub ? `/${sub}` : ''}`;
    out.set(key, (out.get(key) ?? 0) + Number(line.slice(line.lastIndexOf(' ') + 1)));
  }
  return out;
}

export async function markApiserver(): Promise<ApiserverMark> {
  return { at: Date.now(), cpu: apiserverCpu(), requests: await requests() };
}

/** The load since `from`: CPU, and the `top` busiest kinds of request. */
export async function apiserverLoadSince(from: ApiserverMark, top = 5): Promise<ApiserverLoad> {
  const now = await markApiserver();
  const s = (now.at - from.at) / 1000;
  const rates = [...now.requests]
    .map(([k, n]) => [k, (n - (from.requests.get(k) ?? 0)) / s] as const)
    .filter(([, r]) => r >= 0.5)
    .sort((a, b) => b[1] - a[1])
    .slice(0, top);
  return {
    cores: Number(((now.cpu - from.cpu) / s).toFixed(2)),
    perSecond: Object.fromEntries(rates.map(([k, r]) => [k, Math.round(r)])),
  };
}
