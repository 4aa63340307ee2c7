// Ethernet frames built byte by byte, for running the BPF programs on packets
// of a known shape with BPF_PROG_TEST_RUN (checksums are left zero: nothing
// on that path checks them).
import { isIPv4 } from 'node:net';
import { parseV6 } from '../../lib/ip.js';

export interface FrameSpec {
  proto: 'tcp' | 'udp';
  /** IPv4 or IPv6 addresses (both of one family). */
  src: string;
  dst: string;
  sport: number;
  dport: number;
  /** Payload bytes after the TCP or UDP header (zeros), or the payload itself. */
  payload?: number | Uint8Array;
  /** TCP flags (default PSH|ACK: data of an open connection). */
  flags?: number;
  /** TCP sequence number. */
  seq?: number;
  /** IPv4 options, in 4-byte words (the header grows from 20 bytes). */
  ipOptionWords?: number;
  /** IPv4 fragment offset in 8-byte units (0: a first or only fragment). */
  fragmentOffset?: number;
}

export const TCP_SYN = 0x02;
export const TCP_PSH_ACK = 0x18;

function ipv6Bytes(ip: string): Buffer {
  const b = Buffer.alloc(16);
  parseV6(ip, b);
  return b;
}

const ipv4Bytes = (ip: string) => Buffer.from(ip.split('.').map(Number));

/** The frame: Ethernet, IPv4 or IPv6, TCP or UDP, then the payload. */
export function frame(s: FrameSpec): Buffer {
  const v4 = isIPv4(s.src);
  const l3 = v4 ? 20 + 4 * (s.ipOptionWords ?? 0) : 40;
  const l4 = s.proto === 'udp' ? 8 : 20;
  const data = typeof s.payload === 'object' ? s.payload : undefined;
  const payload = data?.length ?? (s.payload as number | undefined) ?? 0;
  const f = Buffer.alloc(14 + l3 + l4 + payload);
  const ip = 14;
  const protoNumber = s.proto === 'tcp' ? 6 : 17;
  if (v4) {
    f.writeUInt16BE(0x0800, 12);
    f.writeUInt8(0x40 | (l3 / 4), ip);
    f.writeUInt16BE(l3 + l4 + payload, ip + 2);
    f.writeUInt16BE(s.fragmentOffset ?? 0, ip + 6);
    f.writeUInt8(64, ip + 8);
    f.writeUInt8(protoNumber, ip + 9);
    ipv4Bytes(s.src).copy(f, ip + 12);
    ipv4Bytes(s.dst).copy(f, ip + 16);
  } else {
    f.writeUInt16BE(0x86dd, 12);
    f.writeUInt32BE(0x60000000, ip);
    f.writeUInt16BE(l4 + payload, ip + 4);
    f.writeUInt8(protoNumber, ip + 6);
    f.writeUInt8(64, ip + 7);
    ipv6Bytes(s.src).copy(f, ip + 8);
    ipv6Bytes(s.dst).copy(f, ip + 24);
  }
  const t = ip + l3;
  f.writeUInt16BE(s.sport, t);
  f.writeUInt16BE(s.dport, t + 2);
  if (s.proto === 'udp') f.writeUInt16BE(l4 + payload, t + 4);
  else {
    f.writeUInt32BE(s.seq ?? 1, t + 4);
    f.writeUInt8(5 << 4, t + 12);
    f.writeUInt8(s.flags ?? TCP_PSH_ACK, t + 13);
  }
  if (data) f.set(data, t + l4);
  return f;
}
