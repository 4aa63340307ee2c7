// netgraph's TCX programs on packets of a known shape (BPF_PROG_TEST_RUN): the
// header reads in place give the edges, counters and bytes a user reads, and
// packets they must not count (later fragments, other protocols, truncated
// headers) are left alone. Real traffic in both modes is tracer.test.ts's.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Edge } from '../../api/edge.js';
import { bpfObjectPath } from '../../gadget/dataplane/bpf-path.js';
import { EdgeMaps } from '../../gadget/dataplane/edge-maps.js';
import { BpfObject, testRun } from '../../gadget/dataplane/libbpf.js';
import { type FrameSpec, frame, TCP_SYN } from './frames.js';

const root = process.getuid?.() === 0;
const TCX_NEXT = -1;

describe.skipIf(!root)('TCX programs on crafted packets', () => {
  let obj: BpfObject;
  let maps: EdgeMaps;
  beforeEach(() => {
    obj = BpfObject.load(bpfObjectPath('netgraph'), { flows: 64, edge_ids: 16, edges: 16 }, [
      'netgraph_tcx_in',
      'netgraph_tcx_out',
    ]);
    maps = new EdgeMaps(obj, 16, 'test');
  });
  afterEach(() => {
    maps.unmap();
    obj.close();
  });

  /** What the pod sent (host-side ingress) or received (host-side egress). */
  function run(dir: 'sent' | 'received', f: Buffer, gsoSegs?: number): void {
    const prog = dir === 'sent' ? 'netgraph_tcx_in' : 'netgraph_tcx_out';
    expect(testRun(obj.programFd(prog), f, { gsoSegs }).retval).toBe(TCX_NEXT);
  }
  const edges = (): Edge[] => maps.drain().filter((e) => e.type === 'normal');

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
    expect(maps.stats()).toMatchObject({ edges: 0, edgeDrops: 0, flowDrops: 0 });
  });
});
