import * as dnsPacket from 'dns-packet';
import { describe, expect, it } from 'vitest';
import type { AgentFrame } from '../../api/agent.js';
import type { Edge } from '../../api/edge.js';
import { logger } from '../../lib/log.js';
import type { CapturedDns } from '../dataplane/dns-ring.js';
import type { EdgeStats } from '../dataplane/edge-maps.js';
import { Agent, type DataPlane, type Pod } from './agent.js';
import type { NetnsRef } from './pod-sandbox.js';

// The agent's bookkeeping alone: which pods it attaches to, and how its numbered
// edges let a stream resume. The data plane is the kernel's part, tested for real
// in test/netns; here it hands out scripted drains.
function fakeDataPlane(
  drains: Map<string, Edge[]>,
  counters = new Map<string, Edge[]>(),
  /** Namespaces that are no pod's sandbox but hold a pod's IP. */
  impostors = new Map<string, NetnsRef[]>(),
  /** DNS answers each namespace's pod receives, taken with its next drain. */
  answers = new Map<string, CapturedDns[]>(),
  /** What each namespace's pod lost, as its map counters say. */
  lost = new Map<string, Partial<EdgeStats>>(),
) {
  const open = new Set<string>();
  let opened = 0;
  let tableReads = 0;
  const dp: DataPlane = {
    // Each pod's sandbox is the namespace named for its first IP, which holds it.
    findPodNetns: async ({ ips }) => {
      const ip = ips[0] ?? '';
      const ns = { path: `/var/run/netns/${ip}`, name: ip, inode: Number(ip.split('.').pop()) };
      return { sandboxes: [ns], holders: [ns, ...(impostors.get(ip) ?? [])] };
    },
    openTracers: async (paths, mode) =>
      paths.map((path) => {
        open.add(`${path} ${mode}`);
        opened++;
        return {
          ...(mode === 'tcx' && { warning: `no host-side veth for ${path}` }),
          drain: () => drains.get(path)?.splice(0) ?? [],
          dnsAnswers: () => answers.get(path)?.splice(0) ?? [],
          snapshot: () => counters.get(path) ?? [],
          stats: () => ({
            edges: 0,
            edgeDrops: 0,
            flowDrops: 0,
            midstream: 0,
            seeded: 0,
            ...lost.get(path),
          }),
          close: () => open.delete(`${path} ${mode}`),
        };
      }),
    openConnections: async (paths) => {
      tableReads++;
      return paths.map(() => new Map());
    },
  };
  return { dp, open, opened: () => opened, tableReads: () => tableReads };
}

const pod = (ns: string, name: string, ip: string, extra: Partial<Pod['spec']> = {}): Pod => ({
  metadata: { namespace: ns, name, labels: { app: name } },
  spec: { containers: [{ name: 'main' }], ...extra },
  status: { phase: 'Running', podIP: ip, podIPs: [{ ip }], hostIP: '10.250.0.1' },
});

const edge = (ip: string, connections: number): Edge => ({
  type: 'normal',
  pktType: 'OUTGOING',
  proto: 'tcp',
  ip,
  port: 80,
  connections,
});

const settle = () => new Promise((r) => setTimeout(r, 20));

describe('Agent', () => {
  it('attaches to the matching running pods of its node only, once each', async () => {
    const { dp, open } = fakeDataPlane(new Map());
    const agent = new Agent('n1', dp, logger('test', 'silent'), 60_000);
    agent.onPodsReset([
      pod('demo', 'a', '10.0.0.1'),
      pod('demo', 'host', '10.0.0.2', { hostNetwork: true }),
      pod('other', 'b', '10.0.0.3'),
    ]);
    agent.startTrace('gadget/t', { namespace: 'demo' });
    await settle();
    expect([...open]).toEqual(['/var/run/netns/10.0.0.1 socket']);
    agent.onPodDeleted('demo/a');
    await settle();
    expect(open.size).toBe(0);
    agent.close();
  });

  it("names in the trace's status the pods that lost connections or packets, and what", async () => {
    const lost = new Map([
      ['/var/run/netns/10.0.0.1', { edgeDrops: 3, flowDrops: 1, midstream: 5 }],
    ]);
    const { dp } = fakeDataPlane(new Map(), new Map(), new Map(), new Map(), lost);
    const agent = new Agent('n1', dp, logger('test', 'silent'), 10);
    agent.onPodsReset([pod('demo', 'a', '10.0.0.1'), pod('demo', 'b', '10.0.0.2')]);
    agent.startTrace('gadget/t', { namespace: 'demo' });
    await settle();
    const frames: AgentFrame[] = [];
    agent.subscribe('gadget/t', { epoch: '', after: 0 }, (f) => frames.push(f))?.();
    const warning = frames.flatMap((f) => ('status' in f ? [f.status.warning ?? ''] : [])).pop();
    expect(warning).toContain(
      "pod demo/a: 4 new connections not counted (3 past its share of the node's edge table, 1 refused by the flow table)",
    );
    expect(warning).toContain(
      "pod demo/a: 5 packets of TCP connections the node's flow table did not hold",
    );
    expect(warning).not.toContain('demo/b');
    agent.close();
  });

  it('reads the socket tables once for traces starting together on pods attached already', async () => {
    const { dp, opened, tableReads } = fakeDataPlane(new Map());
    const agent = new Agent('n1', dp, logger('test', 'silent'), 60_000);
    agent.onPodsReset([pod('demo', 'a', '10.0.0.1'), pod('demo', 'b', '10.0.0.2')]);
    agent.startTrace('gadget/first', { namespace: 'demo' });
    await settle();
    for (const k of ['x', 'y', 'z']) agent.startTrace(`gadget/${k}`, { namespace: 'demo' });
    await settle();
    expect(opened()).toBe(2);
    expect(tableReads()).toBe(1);
    expect(agent.attachmentInfo().map((a) => a.traces.length)).toEqual([4, 4]);
    agent.close();
  });

  it('numbers edges so a stream resumes after the last one it got, and replays all for another epoch', async () => {
    const drains = new Map([
      ['/var/run/netns/10.0.0.1', [edge('10.96.0.1', 1), edge('10.96.0.2', 1)]],
    ]);
    const { dp } = fakeDataPlane(drains);
    const agent = new Agent('n1', dp, logger('test', 'silent'), 10);
    agent.onPodsReset([pod('demo', 'a', '10.0.0.1')]);
    agent.startTrace('gadget/t', {});
    await settle();
    const first: AgentFrame[] = [];
    agent.subscribe('gadget/t', { epoch: '', after: 0 }, (f) => first.push(f))?.();
    const seqs = first.flatMap((f) => ('seq' in f ? [f.seq] : []));
    expect(seqs).toHaveLength(2);
    expect(first[0]).toEqual({ hello: { node: 'n1', epoch: agent.epoch } });

    // Counters grew on one edge: only that one is sent again, with a new number.
    drains.set('/var/run/netns/10.0.0.1', [edge('10.96.0.1', 5)]);
    await settle();
    const resumed: AgentFrame[] = [];
    agent.subscribe('gadget/t', { epoch: agent.epoch, after: Math.max(...seqs) }, (f) =>
      resumed.push(f),
    )?.();
    const edges = resumed.flatMap((f) => ('edge' in f ? [f.edge] : []));
    expect(edges).toMatchObject([
      {
        ip: '10.96.0.1',
        connections: 5,
        namespace: 'demo',
        pod: 'a',
        podIP: '10.0.0.1',
        node: 'n1',
      },
    ]);

    const other: AgentFrame[] = [];
    agent.subscribe('gadget/t', { epoch: 'an-older-epoch', after: 99 }, (f) => other.push(f))?.();
    expect(other.filter((f) => 'edge' in f)).toHaveLength(2);

    expect(agent.subscribe('gadget/unknown', { epoch: '', after: 0 }, () => {})).toBeUndefined();
    expect(await agent.stopTrace('gadget/t')).toBe(true);
    expect(await agent.stopTrace('gadget/t')).toBe(false);
    agent.close();
  });

  it('attaches once for two traces on one pod, each counting from its own start, and keeps one when the other stops', async () => {
    const path = '/var/run/netns/10.0.0.1';
    const drains = new Map<string, Edge[]>([[path, [edge('10.96.0.1', 2)]]]);
    const counters = new Map<string, Edge[]>();
    const { dp, open, opened } = fakeDataPlane(drains, counters);
    const agent = new Agent('n1', dp, logger('test', 'silent'), 10);
    agent.onPodsReset([pod('demo', 'a', '10.0.0.1')]);
    agent.startTrace('gadget/first', {});
    await settle();
    // The second trace joins when the shared tracer has counted 2 connections.
    counters.set(path, [edge('10.96.0.1', 2)]);
    agent.startTrace('gadget/second', { namespace: 'demo' });
    await settle();
    expect(opened()).toBe(1);
    expect(agent.attachmentInfo()).toEqual([
      {
        pod: 'demo/a',
        netnsInode: 1,
        mode: 'socket',
        traces: ['gadget/first', 'gadget/second'],
      },
    ]);
    drains.set(path, [edge('10.96.0.1', 5)]);
    await settle();
    const connections = (trace: string) => {
      const frames: AgentFrame[] = [];
      agent.subscribe(trace, { epoch: '', after: 0 }, (f) => frames.push(f))?.();
      return frames.flatMap((f) => ('edge' in f ? [f.edge.connections] : [])).at(-1);
    };
    expect(connections('gadget/first')).toBe(5);
    expect(connections('gadget/second')).toBe(3);

    // Stopping the first leaves the attachment to the second, which keeps counting.
    await agent.stopTrace('gadget/first');
    expect(open.size).toBe(1);
    drains.set(path, [edge('10.96.0.1', 7)]);
    await settle();
    expect(connections('gadget/second')).toBe(5);
    await agent.stopTrace('gadget/second');
    expect(open.size).toBe(0);
    expect(agent.attachmentInfo()).toEqual([]);
    agent.close();
  });

  it('attaches in the mode a trace asks for, apart from other modes, and passes a fallback on as a warning', async () => {
    const { dp, open } = fakeDataPlane(new Map());
    const agent = new Agent('n1', dp, logger('test', 'silent'), 60_000);
    agent.onPodsReset([pod('demo', 'a', '10.0.0.1')]);
    agent.startTrace('gadget/sock', {});
    const status: AgentFrame[] = [];
    agent.startTrace('gadget/tcx', {}, 'tcx');
    await settle();
    agent.subscribe('gadget/tcx', { epoch: '', after: 0 }, (f) => status.push(f))?.();
    expect([...open].sort()).toEqual([
      '/var/run/netns/10.0.0.1 socket',
      '/var/run/netns/10.0.0.1 tcx',
    ]);
    expect(status).toContainEqual({
      status: { pods: 1, warning: 'no host-side veth for /var/run/netns/10.0.0.1' },
    });
    agent.close();
  });

  it("names a pod's edges by the DNS answers that pod received, and only that pod's", async () => {
    const drains = new Map([
      ['/var/run/netns/10.0.0.1', [edge('203.0.113.7', 1), edge('198.51.100.1', 1)]],
      ['/var/run/netns/10.0.0.2', [edge('203.0.113.7', 1)]],
    ]);
    const answer = dnsPacket.encode({
      type: 'response',
      questions: [{ type: 'A', name: 'api.example.com' }],
      answers: [
        { type: 'CNAME', name: 'api.example.com', ttl: 60, data: 'lb.example.net' },
        { type: 'A', name: 'lb.example.net', ttl: 60, data: '203.0.113.7' },
      ],
    });
    // Over UDP, over TCP after the 2-byte length, and one malformed answer, counted: all
    // taken before the edges of the same drain.
    const tcp = Uint8Array.from([answer.length >> 8, answer.length & 255, ...answer]);
    const answers = new Map<string, CapturedDns[]>([
      [
        '/var/run/netns/10.0.0.1',
        [
          { transport: 'udp', bytes: answer, wireLength: answer.length },
          { transport: 'tcp', bytes: tcp, wireLength: tcp.length },
          { transport: 'udp', bytes: answer.subarray(0, 20), wireLength: 20 },
        ],
      ],
    ]);
    const { dp } = fakeDataPlane(drains, new Map(), new Map(), answers);
    const agent = new Agent('n1', dp, logger('test', 'silent'), 10);
    agent.onPodsReset([pod('demo', 'a', '10.0.0.1'), pod('demo', 'b', '10.0.0.2')]);
    agent.startTrace('gadget/t', {});
    await settle();
    const frames: AgentFrame[] = [];
    agent.subscribe('gadget/t', { epoch: '', after: 0 }, (f) => frames.push(f))?.();
    const edges = frames.flatMap((f) => ('edge' in f ? [f.edge] : []));
    const of = (p: string, ip: string) => edges.find((e) => e.pod === p && e.ip === ip);
    expect(of('a', '203.0.113.7')).toMatchObject({
      remoteName: 'api.example.com',
      remoteNameSource: 'dns',
      remoteCanonicalName: 'lb.example.net',
    });
    expect(of('a', '198.51.100.1')?.remoteName).toBeUndefined();
    expect(of('b', '203.0.113.7')?.remoteName).toBeUndefined();
    expect(agent.dnsAnswers.learned).toBe(2);
    expect(Object.fromEntries(agent.dnsAnswers.dropped)).toEqual({ truncated: 1 });
    agent.close();
  });

  it('names an edge first seen unnamed on its updates after the pod looked the name up', async () => {
    const path = '/var/run/netns/10.0.0.1';
    const drains = new Map([[path, [edge('203.0.113.7', 1)]]]);
    const answers = new Map<string, CapturedDns[]>();
    const { dp } = fakeDataPlane(drains, new Map(), new Map(), answers);
    const agent = new Agent('n1', dp, logger('test', 'silent'), 10);
    agent.onPodsReset([pod('demo', 'a', '10.0.0.1')]);
    agent.startTrace('gadget/t', {});
    await settle();
    const frames: AgentFrame[] = [];
    const unsubscribe = agent.subscribe('gadget/t', { epoch: '', after: 0 }, (f) => frames.push(f));
    const answer = dnsPacket.encode({
      type: 'response',
      questions: [{ type: 'A', name: 'api.example.com' }],
      answers: [{ type: 'A', name: 'api.example.com', ttl: 60, data: '203.0.113.7' }],
    });
    answers.set(path, [{ transport: 'udp', bytes: answer, wireLength: answer.length }]);
    drains.set(path, [edge('203.0.113.7', 2)]);
    await settle();
    unsubscribe?.();
    const sent = frames.flatMap((f) => ('edge' in f ? [f.edge] : []));
    expect(sent.map((e) => [e.connections, e.remoteName, e.remoteNameSource])).toEqual([
      [1, undefined, undefined],
      [2, 'api.example.com', 'dns'],
    ]);
    agent.close();
  });

  it('does not trace a pod whose address another namespace holds, and says so in its status', async () => {
    const evil = { path: '/var/run/netns/evil', name: 'evil', inode: 99 };
    const { dp, open } = fakeDataPlane(new Map(), new Map(), new Map([['10.0.0.1', [evil]]]));
    const agent = new Agent('n1', dp, logger('test', 'silent'), 60_000);
    agent.onPodsReset([pod('demo', 'a', '10.0.0.1'), pod('demo', 'b', '10.0.0.2')]);
    agent.startTrace('gadget/t', {});
    await settle();
    expect([...open]).toEqual(['/var/run/netns/10.0.0.2 socket']);
    const status: AgentFrame[] = [];
    agent.subscribe('gadget/t', { epoch: '', after: 0 }, (f) => status.push(f))?.();
    expect(status).toContainEqual({
      status: {
        pods: 1,
        warning:
          'pod demo/a not traced: its address 10.0.0.1 is held by network namespace evil, which is not its sandbox (10.0.0.1)',
      },
    });
    agent.close();
  });
});
