// The NetworkPolicy enforcer of the e2e tests (netpol.test.ts on simulated pods,
// real-node.test.ts on real ones): kube-router's network-policy controller run by
// hack/kube-router-firewall, which hack/demo runs too, and the removal of what it
// leaves in iptables and ipset once stopped.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { repoRoot, waitFor } from './testbed.js';

const run = promisify(execFile);
const script = join(repoRoot, 'hack/kube-router-firewall');

export const KUBE_ROUTER_CHAINS = /KUBE-ROUTER-|KUBE-POD-FW-|KUBE-NWPLCY-/;

export async function iptablesSave(): Promise<string> {
  return (await run('iptables-save', [], { maxBuffer: 64 << 20 })).stdout;
}

/**
 * Packets that crossed the host's FORWARD chain into kube-router's firewall chain of the
 * pod at `ip` (the jump rules of KUBE-ROUTER-FORWARD for that destination).
 */
async function forwardedTo(ip: string): Promise<number> {
  const saved = (await run('iptables-save', ['-c', '-t', 'filter'], { maxBuffer: 64 << 20 }))
    .stdout;
  let packets = 0;
  for (const l of saved.split('\n')) {
    const m = /^\[(\d+):\d+\] -A KUBE-ROUTER-FORWARD (.*)$/.exec(l);
    if (m?.[2]?.includes(`-d ${ip}/32`)) packets += Number(m[1]);
  }
  return packets;
}

/**
 * Runs `attempt` until one run of it is seen in kube-router's jump counters for `ip`, so
 * the pod's policies were really consulted. Several rounds, because each full sync of
 * kube-router rewrites the filter table and zeroes the counters in between.
 */
export async function consulted(ip: string, attempt: () => Promise<void>): Promise<void> {
  for (let round = 0; round < 5; round++) {
    const before = await forwardedTo(ip);
    await attempt();
    if ((await forwardedTo(ip)) > before) return;
  }
  throw new Error(`no packet to ${ip} crossed kube-router's FORWARD jumps in 5 rounds`);
}

/** Builds kube-router once (minutes cold), so starting it later is quick. */
export async function buildKubeRouter(): Promise<void> {
  await run(join(repoRoot, 'hack/build-kube-router'), [], { timeout: 1_200_000 });
}

export interface KubeRouter {
  /** Waits until iptables holds `policies` policy chains and every string of `rules`. */
  programmed(policies: number, rules: string[]): Promise<void>;
  /** SIGTERM, then its chains, jumps and ipsets removed; throws if any is left. */
  stop(): Promise<void>;
}

/** kube-router enforcing the NetworkPolicies of `node`'s pods. */
export function startKubeRouter(node: string): KubeRouter {
  const child: ChildProcess = spawn(script, ['run', node], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  const keep = (d: Buffer) => {
    log = (log + d.toString()).slice(-8000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return {
    async programmed(policies, rules) {
      await waitFor(
        async () => {
          if (child.exitCode !== null) throw new Error(`kube-router exited: ${log}`);
          const saved = await iptablesSave();
          const chains = new Set(saved.match(/^:KUBE-NWPLCY-[A-Z0-9]+/gm) ?? []);
          return chains.size >= policies && rules.every((r) => saved.includes(r));
        },
        { what: 'kube-router to program the policies', timeoutMs: 60_000 },
      ).catch((err) => {
        throw new Error(`${(err as Error).message}\n${log.slice(-3000)}`);
      });
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      await run(script, ['clean']);
      // Nothing of the enforcer may stay to refuse other tests' pods (their IPs are reused).
      const left = (await iptablesSave()).split('\n').filter((l) => KUBE_ROUTER_CHAINS.test(l));
      if (left.length > 0) throw new Error(`kube-router's rules left:\n${left.join('\n')}`);
    },
  };
}
