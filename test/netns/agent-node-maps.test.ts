// The agent with the real data plane holds one set of BPF maps for the node, however
// many pods it traces: as many map file descriptors with 15 traced pods as with 3, at
// most 2 descriptors more a pod (its packet socket), and every pod's edges arrive.
// Pods are Pod objects with sandboxes in namespaces made here (root only).
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentFrame } from '../../api/agent.js';
import { Agent, type Pod } from '../../gadget/agent/agent.js';
import { hostDataPlane } from '../../gadget/agent/data-plane.js';
import { logger } from '../../lib/log.js';
import { type Sandbox, startSandbox } from '../pod-sandbox.js';
import { makePair, type Pair, run } from './netns-lib.js';

const root = process.getuid?.() === 0;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const PODS = 15;
const FEW = 3;

/** This process's file descriptors: all, and those of BPF maps. */
function fds(): { all: number; maps: number } {
  let maps = 0;
  const all = readdirSync('/proc/self/fdinfo');
  for (const fd of all) {
    try {
      if (/^map_id:/m.test(readFileSync(`/proc/self/fdinfo/${fd}`, 'latin1'))) maps++;
    } catch {
      // closed meanwhile
    }
  }
  return { all: all.length, maps };
}

describe.skipIf(!root)("agent: one set of BPF maps for the node's pods", () => {
  const pairs: Pair[] = [];
  const sandboxes: Sandbox[] = [];
  let agent: Agent;

  const attached = async (trace: string, n: number) => {
    const count = () => agent.attachmentInfo().filter((a) => a.traces.includes(trace)).length;
    for (let i = 0; i < 200 && count() < n; i++) await sleep(50);
    expect(count()).toBe(n);
  };

  beforeAll(async () => {
    agent = new Agent('n1', hostDataPlane(), logger('test', 'silent'), 100);
    const pods: Pod[] = [];
    for (let i = 0; i < PODS; i++) {
      const pair = makePair(`nm${i}`, 240 + i);
      pairs.push(pair);
      const uid = randomUUID();
      sandboxes.push(await startSandbox(pair.a, uid));
      pods.push({
        metadata: { namespace: 'demo', name: `pod-${i}`, uid, labels: { few: String(i < FEW) } },
        spec: { containers: [{ name: 'main' }] },
        status: { phase: 'Running', podIP: pair.v4.a, podIPs: [{ ip: pair.v4.a }] },
      });
    }
    agent.onPodsReset(pods);
  });
  afterAll(async () => {
    for (const k of agent?.traceKeys() ?? []) await agent.stopTrace(k);
    agent?.close();
    for (const s of sandboxes) await s.stop();
    for (const p of pairs) p.cleanup();
  });

  it('holds as many map fds with 15 traced pods as with 3, and every pod counts', async () => {
    const none = fds();
    agent.startTrace('gadget/few', { namespace: 'demo', labels: { few: 'true' } });
    await attached('gadget/few', FEW);
    const few = fds();
    agent.startTrace('gadget/all', { namespace: 'demo' });
    await attached('gadget/all', PODS);
    const all = fds();
    expect(few.maps).toBeGreaterThan(none.maps);
    expect(all.maps).toBe(few.maps);
    // Each pod more: its packet socket, nothing else.
    expect((all.all - few.all) / (PODS - FEW)).toBeLessThanOrEqual(2);

    // Two datagrams from each pod, to a port of its own.
    await Promise.all(
      pairs.map((p, i) => run(p.a, 'udp-fire', p.v4.b, `${5300 + i},${5300 + i}`, 64)),
    );
    const ports = new Set<number>();
    for (let i = 0; i < 50 && ports.size < PODS; i++) {
      await sleep(100);
      const frames: AgentFrame[] = [];
      agent.subscribe('gadget/all', { epoch: '', after: 0 }, (f) => frames.push(f))?.();
      for (const f of frames) {
        if (!('edge' in f)) continue;
        const e = f.edge;
        const i = Number(e.pod?.slice('pod-'.length));
        if (e.pktType === 'OUTGOING' && e.port === 5300 + i && e.packetsSent === 2) ports.add(i);
      }
    }
    expect([...ports].sort((x, y) => x - y)).toEqual([...Array(PODS).keys()]);

    // The last pod out unloads the node's object.
    await agent.stopTrace('gadget/few');
    await agent.stopTrace('gadget/all');
    expect(agent.mapMemory()).toBe(0);
    expect(fds().maps).toBe(none.maps);
  });
});
