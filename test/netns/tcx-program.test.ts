// netgraph's TCX programs on packets of a known shape (BPF_PROG_TEST_RUN), through
// the node's one object as the agent loads it: the header reads in place give the
// edges, counters and bytes a user reads, and packets they must not count (later
// fragments, other protocols, truncated headers) are left alone; pods share the
// maps fairly, and a freed pod id leaves nothing behind. Real traffic in both
// modes is tracer.test.ts's.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Edge } from '../../api/edge.js';
import { testRun } from '../../gadget/dataplane/libbpf.js';
import { type NodeObject, nodeObject } from '../../gadget/dataplane/node-object.js';
import { podKey, setPodOf } from '../../gadget/dataplane/pod-of.js';
import { type FrameSpec, frame, TCP_SYN } from './frames.js';

const root = process.getuid?.() === 0;
const TCX_NEXT = -1;

/** A pod id of `node` that packets of `addrs` count for, as the netns worker files a pod's addresses. */
function tcxPod(node: NodeObject, name: string, addrs: string[]): { id: number; keys: Buffer[] } {
  const id = node.addPod(name);
  const keys = addrs.map((a) => podKey(a, 'tcx'));
  for (const k of keys) setPodOf(node.podOfFd, k, id);
  return { id, keys };
}

/** What a pod sent (host-side ingress) or received (host-side egress). */
function runOn(node: NodeObject, dir: 'sent' | 'received', f: Buffer, gsoSegs?: number): void {
  const prog = dir === 'sent' ? node.progs.tcxIn : node.progs.tcxOut;
  expect(testRun(prog, f, { gsoSegs }).retval).toBe(TCX_NEXT);
}

describe.skipIf(!root)('TCX programs on crafted packets', () => {
  let node: NodeObject;
  let pod: { id: number; keys: Buffer[] };
  beforeEach(() => {
    node = nodeObject({ maxEdges: 16, maxFlows: 64 });
    pod = tcxPod(node, 'test', ['10.1.0.5', 'fd00:1::9']);
  });
  afterEach(() => node.removePod(pod.id, pod.keys));

  const run = (dir: 'sent' | 'received', f: Buffer, gsoSegs?: number) =>
    runOn(node, dir, f, gsoSegs);
  const edges = (): Edge[] => node.maps.drain(pod.id).filter((e) => e.type === 'normal');

  const client: Omit<FrameSpec, 'proto' | 'dport'> = {
    src: '10.1.0.5',
    dst: '10.2.0.9',
    sport: 41000,
  };

  it('counts UDP both ways on one edge, with exact IP bytes', () => {
    run('sent', frame({ ...client, proto: 'udp', dport: 53, payload: 64 }));
    run('sent', frame({ ...client, proto: 'udp', dport: 53, payload: 100 }));
    run(
      'received',
      frame({
        src: client.dst,
        dst: client.src,
        sport: 53,
        dport: 41000,
        proto: 'udp',
        payload: 10,
      }),
    );
    expect(edges()).toEqual([
      expect.objectContaining({
        pktType: 'OUTGOING',
        proto: 'udp',
        ip: '10.2.0.9',
        port: 53,
        connections: 1,
        packetsSent: 2,
        bytesSent: 20 + 8 + 64 + (20 + 8 + 100),
        packetsReceived: 1,
        bytesReceived: 20 + 8 + 10,
      }),
    ]);
  });

  it('counts TCP from its SYN, over IPv6, and a GSO packet as its segments', () => {
    const v6 = { src: 'fd00::5', dst: 'fd00:1::9', sport: 41000, proto: 'tcp' as const };
    run('received', frame({ ...v6, dport: 8080, payload: 100 }));
    expect(edges()).toEqual([]); // no SYN seen: a connection from before attach
    run('received', frame({ ...v6, dport: 8080, flags: TCP_SYN }));
    run('received', frame({ ...v6, dport: 8080, payload: 300 }), 3);
    expect(edges()).toEqual([
      expect.objectContaining({
        pktType: 'HOST',
        proto: 'tcp',
        ip: 'fd00::5',
        port: 8080,
        connections: 1,
        packetsReceived: 4,
        // SYN, then 3 segments sharing 300 bytes of payload, each with its own headers.
        bytesReceived: 40 + 20 + (40 + 20 + 300 + 2 * (40 + 20)),
      }),
    ]);
  });

  it('finds the ports after IPv4 options', () => {
    run('sent', frame({ ...client, proto: 'udp', dport: 5353, ipOptionWords: 3 }));
    expect(edges()).toEqual([
      expect.objectContaining({ port: 5353, bytesSent: 32 + 8, packetsSent: 1 }),
    ]);
  });

  it('leaves later fragments, truncated headers and other packets uncounted', () => {
    run('sent', frame({ ...client, proto: 'udp', dport: 53, fragmentOffset: 185 }));
    const full = frame({ ...client, proto: 'tcp', dport: 80, flags: TCP_SYN });
    // The TCP header cut short: neither the read in place nor the copy finds it.
    // (A cut IP header the test run itself refuses.)
    run('sent', full.subarray(0, 14 + 20 + 10));
    const arp = Buffer.alloc(60);
    arp.writeUInt16BE(0x0806, 12);
    run('sent', arp);
    expect(edges()).toEqual([]);
    expect(node.maps.stats(pod.id)).toMatchObject({ edges: 0, edgeDrops: 0, flowDrops: 0 });
  });
});

describe.skipIf(!root)("one object for the node's pods", () => {
  /** A datagram the pod at `src` sends. */
  const udp = (src: string, dport: number): Buffer =>
    frame({ src, dst: '10.2.0.9', sport: 41000, proto: 'udp', dport });

  it('keeps a quiet pod its edge while another floods the table, and counts what the flooder lost', () => {
    // 16 edges: a fair share of 8 each for two pods, and 4 (a quarter) kept free
    // for pods below their share.
    const node = nodeObject({ maxEdges: 16, maxFlows: 1024 });
    const flooder = tcxPod(node, 'flooder', ['10.1.0.5']);
    const quiet = tcxPod(node, 'quiet', ['10.1.0.6']);
    try {
      for (let port = 1000; port < 1100; port++) runOn(node, 'sent', udp('10.1.0.5', port));
      runOn(node, 'sent', udp('10.1.0.6', 53));
      // An address no traced pod has: nobody's.
      runOn(node, 'sent', udp('10.1.0.7', 53));
      expect(node.maps.drain(quiet.id)).toEqual([
        expect.objectContaining({ type: 'normal', ip: '10.2.0.9', port: 53, packetsSent: 1 }),
      ]);
      const flood = node.maps.drain(flooder.id);
      // Past its share it took slots only while more than 4 were free: 16 - 4 = 12.
      expect(flood.filter((e) => e.type === 'normal')).toHaveLength(12);
      expect(node.maps.stats(flooder.id)).toMatchObject({ edges: 12, edgeDrops: 88 });
      expect(node.maps.stats(quiet.id)).toMatchObject({ edges: 1, edgeDrops: 0 });
      expect(flood.filter((e) => e.type === 'warn').map((e) => e.message)).toEqual([
        expect.stringMatching(/flooder.*88 new connections dropped/),
      ]);
    } finally {
      node.removePod(quiet.id, quiet.keys);
      node.removePod(flooder.id, flooder.keys);
    }
  });

  it("frees a pod's edges, flows and counters with its id: the next pod with the id starts empty", () => {
    const node = nodeObject({ maxEdges: 16, maxFlows: 64 });
    // Another pod keeps the object loaded throughout, as on a node with pods traced.
    const stays = tcxPod(node, 'stays', ['10.1.0.6']);
    const first = tcxPod(node, 'first', ['10.1.0.5']);
    try {
      for (let port = 1000; port < 1016; port++) runOn(node, 'sent', udp('10.1.0.5', port));
      expect(node.maps.stats(first.id).edges).toBe(12);
      node.removePod(first.id, first.keys);
      // Its packets count for nobody now.
      runOn(node, 'sent', udp('10.1.0.5', 2000));
      // The same id again, for a pod with the same address (the agent's ids come
      // round later, and addresses are reused).
      node.maps.addPod(first.id, 'next');
      for (const k of first.keys) setPodOf(node.podOfFd, k, first.id);
      expect(node.maps.drain(first.id)).toEqual([]);
      expect(node.maps.snapshot(first.id)).toEqual([]);
      expect(node.maps.stats(first.id)).toMatchObject({ edges: 0, edgeDrops: 0 });
      // A flow the first pod had: a new edge of the new pod, counted from its first packet.
      runOn(node, 'sent', udp('10.1.0.5', 1000));
      expect(node.maps.drain(first.id)).toEqual([
        expect.objectContaining({ port: 1000, connections: 1, packetsSent: 1 }),
      ]);
      // Every slot the first pod held is free again: the new pod fills its share.
      for (let port = 3000; port < 3020; port++) runOn(node, 'sent', udp('10.1.0.5', port));
      expect(node.maps.stats(first.id).edges).toBe(12);
      node.maps.removePod(first.id);
    } finally {
      node.removePod(stays.id, [...stays.keys, ...first.keys]);
    }
  });
});
