// The agent with the real data plane: two traces on one pod share one attachment
// (one BPF program, one packet socket), and each reports exactly its own window
// of the same TCP connection. Pods are Pod objects pointing at namespaces made
// here; no apiserver is needed (root only).
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentFrame } from '../../api/agent.js';
import type { Edge } from '../../api/edge.js';
import { Agent, type Pod } from '../../gadget/agent/agent.js';
import { hostDataPlane } from '../../gadget/agent/data-plane.js';
import { logger } from '../../lib/log.js';
import { type Sandbox, startSandbox } from '../pod-sandbox.js';
import { makePair, type Pair, type Peer, peer } from './netns-lib.js';

const root = process.getuid?.() === 0;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Packet sockets open in a namespace (/proc/net/packet, less its header). */
const packetSockets = (ns: string): number =>
  execFileSync('ip', ['netns', 'exec', ns, 'cat', '/proc/net/packet'], { encoding: 'utf8' })
    .trim()
    .split('\n').length - 1;

/** netgraph socket filters (bpftool's list) this process holds a file descriptor of. */
function ourPrograms(): number {
  const progs = JSON.parse(
    execFileSync('bpftool', ['prog', 'show', '-j'], { encoding: 'utf8' }),
  ) as {
    id: number;
    name?: string;
    type?: string;
  }[];
  const ids = new Set(
    progs.filter((p) => p.name === 'netgraph' && p.type === 'socket_filter').map((p) => p.id),
  );
  const held = new Set<number>();
  for (const fd of readdirSync('/proc/self/fdinfo')) {
    try {
      const id = Number(
        /^prog_id:\s+(\d+)/m.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'latin1'))?.[1],
      );
      if (ids.has(id)) held.add(id);
    } catch {
      // closed meanwhile
    }
  }
  return held.size;
}

/** TCP bytes of `payload` in `packets` IPv4 packets: 20 bytes of IP, 20..40 of TCP each. */
function expectTcpBytes(bytes: number | undefined, payload: number, packets: number | undefined) {
  expect(bytes).toBeGreaterThanOrEqual(payload + (packets ?? 0) * 40);
  expect(bytes).toBeLessThanOrEqual(payload + (packets ?? 0) * 60);
}

describe.skipIf(!root)('agent: one attachment per pod, a window per trace', () => {
  let pair: Pair;
  let agent: Agent;
  let server: Peer;
  let client: Peer;
  let sandbox: Sandbox | undefined;
  const port = 7300;

  /** The trace's latest edge for the client's connection. */
  const edgeOf = (trace: string): Edge | undefined => {
    const frames: AgentFrame[] = [];
    agent.subscribe(trace, { epoch: '', after: 0 }, (f) => frames.push(f))?.();
    return frames
      .flatMap((f) => ('edge' in f ? [f.edge] : []))
      .filter((e) => e.pktType === 'OUTGOING' && e.port === port)
      .at(-1);
  };
  const send = async (n: number) => {
    client.send(`send ${n}`);
    expect(await client.line()).toBe('sent');
    await sleep(300);
  };
  const attached = async (trace: string) => {
    for (let i = 0; i < 100 && !agent.attachmentInfo().some((a) => a.traces.includes(trace)); i++)
      await sleep(50);
  };

  beforeAll(async () => {
    pair = makePair('shr', 207);
    agent = new Agent('n1', hostDataPlane(), logger('test', 'silent'), 50);
    const uid = randomUUID();
    sandbox = await startSandbox(pair.a, uid);
    const pod: Pod = {
      metadata: { namespace: 'demo', name: 'client', uid, labels: { app: 'client' } },
      spec: { containers: [{ name: 'main' }] },
      status: { phase: 'Running', podIP: pair.v4.a, podIPs: [{ ip: pair.v4.a }] },
    };
    agent.onPodsReset([pod]);
    server = peer(pair.b, 'tcp-listen', '0.0.0.0', port, 0);
    expect(await server.line()).toBe('ready');
  });
  afterAll(async () => {
    client?.send('close');
    for (const k of agent?.traceKeys() ?? []) await agent.stopTrace(k);
    agent?.close();
    server?.proc.kill();
    await sandbox?.stop();
    pair?.cleanup();
  });

  it('reports to each trace exactly its own bytes of one connection, and keeps one attachment', async () => {
    agent.startTrace('gadget/early', { namespace: 'demo' });
    await attached('gadget/early');
    client = peer(pair.a, 'tcp-hold', pair.v4.b, port);
    expect(await client.line()).toMatch(/^ready \d+$/);
    await send(3000);

    // The second trace starts while the connection is open and 3000 bytes are counted.
    agent.startTrace('gadget/late', { podname: 'client' });
    await attached('gadget/late');
    expect(agent.attachmentInfo()).toMatchObject([
      { pod: 'demo/client', traces: ['gadget/early', 'gadget/late'] },
    ]);
    expect(agent.mapMemory()).toBeGreaterThan(0);
    expect(packetSockets(pair.a)).toBe(1);
    expect(ourPrograms()).toBe(1);
    await send(5000);

    const early = edgeOf('gadget/early');
    const late = edgeOf('gadget/late');
    expect(early).toMatchObject({ connections: 1, pod: 'client', ip: pair.v4.b });
    // Open before it started, so still its connection.
    expect(late).toMatchObject({ connections: 1, pod: 'client', ip: pair.v4.b });
    expectTcpBytes(early?.bytesSent, 8000, early?.packetsSent);
    expectTcpBytes(late?.bytesSent, 5000, late?.packetsSent);
    // The early trace saw the late one's packets plus those before it: the same packets.
    expectTcpBytes(
      (early?.bytesSent ?? 0) - (late?.bytesSent ?? 0),
      3000,
      (early?.packetsSent ?? 0) - (late?.packetsSent ?? 0),
    );

    // Stopping the early trace leaves the late one counting on the same attachment.
    await agent.stopTrace('gadget/early');
    expect(agent.attachmentInfo()).toMatchObject([{ traces: ['gadget/late'] }]);
    expect(packetSockets(pair.a)).toBe(1);
    await send(2000);
    const after = edgeOf('gadget/late');
    expectTcpBytes(after?.bytesSent, 7000, after?.packetsSent);

    await agent.stopTrace('gadget/late');
    expect(agent.attachmentInfo()).toEqual([]);
    expect(packetSockets(pair.a)).toBe(0);
    expect(ourPrograms()).toBe(0);
  });
});
