// Raw `edges` slots (struct edge, see bpf-abi.ts) into Edge objects. Pure; fast
// enough to decode 100k slots in a drain: counters are read as two 32-bit
// halves, the key of a slot is decoded once, times are formatted from a cached
// second.
import type { Edge, PktType, Proto } from '../api/edge.js';
import { EDGE, EDGE_KEY, PACKET_HOST } from './bpf-abi.js';
import { formatIPv4, formatIPv6 } from './ip.js';

/** What a slot's key says: never changes once the slot is valid. */
export interface EdgeIdentity {
  pktType: PktType;
  proto: Proto;
  ip: string;
  port: number;
}

/** The counters of a slot; times are CLOCK_MONOTONIC nanoseconds. */
export interface SlotCounters {
  connections: number;
  packetsSent: number;
  packetsReceived: number;
  bytesSent: number;
  bytesReceived: number;
  firstSeenNs: number;
  lastSeenNs: number;
}

const U32 = 4;
const TWO32 = 2 ** 32;

/** The key of slot `i`. `bytes` views the whole array. */
export function decodeIdentity(bytes: Uint8Array, i: number): EdgeIdentity {
  const k = i * EDGE.size + EDGE.key;
  const ipOff = k + EDGE_KEY.ip;
  return {
    pktType: bytes[k + EDGE_KEY.pktType] === PACKET_HOST ? 'HOST' : 'OUTGOING',
    proto: bytes[k + EDGE_KEY.proto] === 6 ? 'tcp' : 'udp',
    ip: bytes[k + EDGE_KEY.family] === 4 ? formatIPv4(bytes, ipOff) : formatIPv6(bytes, ipOff),
    port: ((bytes[k + EDGE_KEY.port] ?? 0) << 8) | (bytes[k + EDGE_KEY.port + 1] ?? 0),
  };
}

/** A u64 at a byte offset (8-aligned) of the array, as a number (exact below 2^53). */
function u64(words: Uint32Array, byteOff: number): number {
  const w = byteOff / U32;
  return (words[w] ?? 0) + (words[w + 1] ?? 0) * TWO32;
}

/** Whether slot `i` has been published by whoever created it. */
export function isValid(words: Uint32Array, i: number): boolean {
  return words[(i * EDGE.size + EDGE.valid) / U32] !== 0;
}

/** The counters of slot `i`. `words` views the whole array (little-endian host). */
export function decodeCounters(words: Uint32Array, i: number): SlotCounters {
  const b = i * EDGE.size;
  return {
    connections: u64(words, b + EDGE.connections),
    packetsSent: u64(words, b + EDGE.packetsSent),
    packetsReceived: u64(words, b + EDGE.packetsReceived),
    bytesSent: u64(words, b + EDGE.bytesSent),
    bytesReceived: u64(words, b + EDGE.bytesReceived),
    firstSeenNs: u64(words, b + EDGE.firstSeen),
    lastSeenNs: u64(words, b + EDGE.lastSeen),
  };
}

/**
 * CLOCK_MONOTONIC nanoseconds (bpf_ktime_get_ns) to RFC 3339 in UTC with
 * milliseconds, through the offset between the wall clock and the monotonic
 * clock (boot time) measured when the formatter was made.
 */
export class KtimeFormatter {
  private second = Number.NaN;
  private prefix = '';

  /** @param bootMs wall-clock milliseconds at monotonic time 0. */
  constructor(private readonly bootMs: number) {}

  /** Measures the offset now: wall clock minus the monotonic clock (Node's hrtime is CLOCK_MONOTONIC). */
  static now(): KtimeFormatter {
    return new KtimeFormatter(Date.now() - Number(process.hrtime.bigint()) / 1e6);
  }

  format(ns: number): string {
    const ms = Math.floor(this.bootMs + ns / 1e6);
    const s = Math.floor(ms / 1000);
    if (s !== this.second) {
      this.second = s;
      this.prefix = new Date(s * 1000).toISOString().slice(0, 19);
    }
    const frac = ms - s * 1000;
    return `${this.prefix}.${frac < 10 ? '00' : frac < 100 ? '0' : ''}${frac}Z`;
  }
}

/** An Edge ('normal') from a slot's identity and counters. */
export function toEdge(id: EdgeIdentity, c: SlotCounters, time: KtimeFormatter): Edge {
  return {
    type: 'normal',
    pktType: id.pktType,
    proto: id.proto,
    ip: id.ip,
    port: id.port,
    connections: c.connections,
    packetsSent: c.packetsSent,
    packetsReceived: c.packetsReceived,
    bytesSent: c.bytesSent,
    bytesReceived: c.bytesReceived,
    bytesTotal: c.bytesSent + c.bytesReceived,
    firstSeen: time.format(c.firstSeenNs),
    lastSeen: time.format(c.lastSeenNs || c.firstSeenNs),
  };
}
