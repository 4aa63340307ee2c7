// A pod's network namespace is its sandbox's, found by the pod's UID, never one that
// merely holds its IP. Tried as an attacker would (issue 21): a namespace holding the
// client pod's IPv4 on a veth with both ends up, made before the agent's scan. By IP
// it was attached in the client's place and the client's edges vanished, silently.
// Now the client is not traced while its address is held twice, the Trace's status
// names both namespaces, and once the impostor is gone the client's edges arrive.
// Sandboxes are made as for the test bed's pods (test/pod-sandbox.ts): a process in
// the pod's namespace, in a cgroup named by the pod's UID. Root only.
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentFrame, AgentTraceStatus } from '../../api/agent.js';
import { Agent, type Pod } from '../../gadget/agent/agent.js';
import { hostDataPlane } from '../../gadget/agent/data-plane.js';
import { podNetnsFinder } from '../../gadget/dataplane/pod-netns.js';
import { logger } from '../../lib/log.js';
import { type Sandbox, startSandbox } from '../pod-sandbox.js';
import { makePair, type Pair, peer, run } from './netns-lib.js';

const root = process.getuid?.() === 0;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const EVIL = 'ng-podns-evil';
const ip = (...a: string[]) => execFileSync('ip', a, { stdio: ['ignore', 'ignore', 'pipe'] });

/** A namespace holding `addr` on a veth with both ends up (getifaddrs lists running links only). */
function impostor(addr: string): void {
  ip('netns', 'add', EVIL);
  ip('-n', EVIL, 'link', 'add', 'ev0', 'type', 'veth', 'peer', 'name', 'ev1');
  ip('-n', EVIL, 'addr', 'add', `${addr}/32`, 'dev', 'ev0');
  ip('-n', EVIL, 'link', 'set', 'ev0', 'up');
  ip('-n', EVIL, 'link', 'set', 'ev1', 'up');
}
const dropImpostor = () => {
  try {
    ip('netns', 'del', EVIL);
  } catch {
    // not there
  }
};

describe.skipIf(!root)("a pod's network namespace, by its sandbox", () => {
  let pair: Pair;
  const sandboxes: Sandbox[] = [];
  const uid = { a: randomUUID(), b: randomUUID() };

  beforeAll(async () => {
    dropImpostor();
    pair = makePair('podns', 208);
    sandboxes.push(await startSandbox(pair.a, uid.a));
  });
  afterAll(async () => {
    for (const s of sandboxes) await s.stop();
    dropImpostor();
    pair?.cleanup();
  });

  it('finds a sandbox made after the last scan, and every namespace holding the address', async () => {
    const find = podNetnsFinder();
    const a = await find({ uid: uid.a, ips: [pair.v4.a] });
    expect(a.sandboxes.map((n) => n.name)).toEqual([pair.a]);
    expect(a.holders.map((n) => n.name)).toEqual([pair.a]);
    // Pod b's sandbox starts just after that scan (as a pod's does, just before it runs).
    sandboxes.push(await startSandbox(pair.b, uid.b));
    const b = await find({ uid: uid.b, ips: [pair.v6.b.toUpperCase()] });
    expect(b.sandboxes.map((n) => n.name)).toEqual([pair.b]);
    expect(b.holders.map((n) => n.name)).toEqual([pair.b]);
    expect(await find({ uid: randomUUID(), ips: ['10.251.7.3'] })).toEqual({
      sandboxes: [],
      holders: [],
    });
  });

  it('does not attach to a namespace passing for the client, names both, and traces the client once it is gone', async () => {
    const port = 7310;
    const server = peer(pair.b, 'tcp-listen', '0.0.0.0', port, 0);
    expect(await server.line()).toBe('ready');
    impostor(pair.v4.a);
    const agent = new Agent('n1', hostDataPlane(), logger('test', 'silent'), 50);
    try {
      const client: Pod = {
        metadata: { namespace: 'demo', name: 'client', uid: uid.a },
        spec: { containers: [{ name: 'main' }] },
        status: { phase: 'Running', podIP: pair.v4.a, podIPs: [{ ip: pair.v4.a }] },
      };
      agent.onPodsReset([client]);
      const statusOf = async (want: (s: AgentTraceStatus) => boolean) => {
        for (let i = 0; i < 100; i++) {
          const frames: AgentFrame[] = [];
          agent.subscribe('gadget/t', { epoch: '', after: 0 }, (f) => frames.push(f))?.();
          const s = frames.flatMap((f) => ('status' in f ? [f.status] : [])).at(-1);
          if (s && want(s)) return { status: s, frames };
          await sleep(50);
        }
        throw new Error('the trace never reached the status looked for');
      };

      agent.startTrace('gadget/t', { namespace: 'demo' });
      const { status } = await statusOf((s) => s.warning !== undefined);
      expect(status).toEqual({
        pods: 0,
        warning: `pod demo/client not traced: its address ${pair.v4.a} is held by network namespace ${EVIL}, which is not its sandbox (${pair.a})`,
      });
      expect(agent.attachmentInfo()).toEqual([]);

      // The impostor gone, the next pod event traces the client in its own namespace.
      dropImpostor();
      await sleep(250); // past the finder's 200 ms between scans
      agent.onPod({ ...client, metadata: { ...client.metadata, resourceVersion: '2' } });
      await statusOf((s) => s.pods === 1 && s.warning === undefined);
      expect(agent.attachmentInfo().map((a) => a.pod)).toEqual(['demo/client']);
      expect(await run(pair.a, 'tcp-connect', pair.v4.b, port, 1, 100)).toMatch(/^done 1 /);
      await sleep(200); // a drain or two
      const { frames } = await statusOf(() => true);
      expect(frames.flatMap((f) => ('edge' in f ? [f.edge] : []))).toContainEqual(
        expect.objectContaining({ pod: 'client', ip: pair.v4.b, port, pktType: 'OUTGOING' }),
      );
    } finally {
      for (const k of agent.traceKeys()) await agent.stopTrace(k);
      agent.close();
      server.proc.kill();
    }
  });
});
