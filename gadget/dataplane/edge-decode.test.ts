import { describe, expect, it } from 'vitest';
import { DIR, EDGE, encodeEdgeKey } from './bpf-abi.js';
import { activity, decodeIdentity, KtimeFormatter, toEdge } from './edge-decode.js';

/** Two slots as the kernel lays them out. */
function slots(): ArrayBuffer {
  const buf = new ArrayBuffer(2 * EDGE.size);
  const bytes = new Uint8Array(buf);
  const dv = new DataView(buf);
  const v6 = Uint8Array.from(Buffer.from('fd000123000000000000000000000002', 'hex'));
  bytes.set(
    encodeEdgeKey(
      {
        pktType: 'OUTGOING',
        proto: 'tcp',
        family: 4,
        ip: Uint8Array.of(10, 123, 0, 2),
        port: 8080,
      },
      7,
    ),
    0,
  );
  bytes.set(
    encodeEdgeKey({ pktType: 'HOST', proto: 'udp', family: 6, ip: v6, port: 53 }, 7),
    EDGE.size,
  );
  dv.setUint32(EDGE.valid, 1, true);
  const b = EDGE.size;
  dv.setBigUint64(b + EDGE.connections, 3n, true);
  dv.setBigUint64(b + EDGE.sent + DIR.packets, 7n, true);
  dv.setBigUint64(b + EDGE.received + DIR.packets, 9n, true);
  dv.setBigUint64(b + EDGE.sent + DIR.bytes, 2n ** 40n + 5n, true); // above 32 bits
  dv.setBigUint64(b + EDGE.received + DIR.bytes, 900n, true);
  dv.setBigUint64(b + EDGE.firstSeen, 5_000_000_000n, true);
  // Last seen: the later of the two directions.
  dv.setBigUint64(b + EDGE.sent + DIR.lastSeen, 6_250_000_000n, true);
  dv.setBigUint64(b + EDGE.received + DIR.lastSeen, 6_000_000_000n, true);
  return buf;
}

describe('edge-decode', () => {
  it('decodes keys and creation times', () => {
    const buf = slots();
    const bytes = new Uint8Array(buf);
    const words = new Uint32Array(buf);
    const time = new KtimeFormatter(Date.UTC(2025, 0, 2, 3, 4, 0));
    expect(decodeIdentity(bytes, words, 0, time)).toEqual({
      pktType: 'OUTGOING',
      proto: 'tcp',
      ip: '10.123.0.2',
      port: 8080,
      firstSeen: '2025-01-02T03:04:00.000Z',
    });
    expect(decodeIdentity(bytes, words, 1, time)).toMatchObject({
      pktType: 'HOST',
      proto: 'udp',
      ip: 'fd00:123::2',
      port: 53,
    });
  });

  it("tells a slot's activity", () => {
    const words = new Uint32Array(slots());
    expect(activity(words, 1)).toBe(3 + 7 + 9);
  });

  it('builds an edge with counters above 32 bits and RFC 3339 times from the boot offset', () => {
    const buf = slots();
    const words = new Uint32Array(buf);
    const time = new KtimeFormatter(Date.UTC(2025, 0, 2, 3, 4, 0));
    const e = toEdge(decodeIdentity(new Uint8Array(buf), words, 1, time), words, 1, time);
    expect(e).toEqual({
      type: 'normal',
      pktType: 'HOST',
      proto: 'udp',
      ip: 'fd00:123::2',
      port: 53,
      connections: 3,
      packetsSent: 7,
      packetsReceived: 9,
      bytesSent: 2 ** 40 + 5,
      bytesReceived: 900,
      bytesTotal: 2 ** 40 + 905,
      firstSeen: '2025-01-02T03:04:05.000Z',
      lastSeen: '2025-01-02T03:04:06.250Z',
    });
  });

  it('uses the creation time as last seen until a packet comes', () => {
    const buf = slots();
    const words = new Uint32Array(buf);
    const time = new KtimeFormatter(0);
    const e = toEdge(decodeIdentity(new Uint8Array(buf), words, 0, time), words, 0, time);
    expect(e.lastSeen).toBe(e.firstSeen);
  });

  it('formats times like toISOString, across seconds', () => {
    const time = new KtimeFormatter(1_700_000_000_000);
    for (const ns of [0, 1e6, 999e6, 1e9, 1_234_567_891, 86_400e9 + 7e6]) {
      expect(time.format(ns)).toBe(
        new Date(1_700_000_000_000 + Math.floor(ns / 1e6)).toISOString(),
      );
    }
  });

  it('measures the offset between the monotonic and the wall clock', () => {
    const t = KtimeFormatter.now();
    const nowNs = Number(process.hrtime.bigint());
    expect(Math.abs(Date.parse(t.format(nowNs)) - Date.now())).toBeLessThan(50);
  });
});
