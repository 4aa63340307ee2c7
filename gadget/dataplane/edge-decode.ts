// Raw `edges` slots (struct edge, see bpf-abi.ts) into Edge objects. Pure, and
// fast enough for 100k slots a drain: counters are read in place as two 32-bit
// halves, a slot's key and creation time are decoded once (the caller keeps the
// EdgeIdentity), times are formatted from cached whole seconds.
import type { Edge, PktType, Proto } from '../../api/edge.js';
import { formatIPv4, formatIPv6 } from '../../lib/ip.js';
import { DIR, EDGE, EDGE_KEY, PACKET_HOST } from './bpf-abi.js';

/** What a slot's key (and its creation time) say: never changes once the slot is valid. */
export interface EdgeIdentity {
  pktType: PktType;
  proto: Proto;
  ip: string;
  port: number;
  firstSeen: string;
  /** Set on edges seeded from connections open before attach. */
  debug?: string;
  /**
   * The processes that opened its connections, as far as known: pid and comm
   * are left out once two connections disagree on them.
   */
  owner?: { pid?: number; comm?: string; connections: number };
}

/** Adds one connection's owner to an identity. */
export function addOwner(id: EdgeIdentity, pid: number, comm: string): void {
  const o = id.owner;
  if (!o) {
    id.owner = { pid, comm, connections: 1 };
    return;
  }
  if (o.pid !== pid) o.pid = undefined;
  if (o.comm !== comm) o.comm = undefined;
  o.connections++;
}

const WORD = 4;
const TWO32 = 2 ** 32;
const SLOT_WORDS = EDGE.size / WORD;

/** A u64 at a byte offset (8-aligned) of slot `i`, as a number (exact below 2^53). */
function u64(words: Uint32Array, i: number, byteOff: number): number {
  const w = i * SLOT_WORDS + byteOff / WORD;
  return (words[w] ?? 0) + (words[w + 1] ?? 0) * TWO32;
}

const PACKETS_SENT = EDGE.sent + DIR.packets;
const PACKETS_RECEIVED = EDGE.received + DIR.packets;
const BYTES_SENT = EDGE.sent + DIR.bytes;
const BYTES_RECEIVED = EDGE.received + DIR.bytes;
const LAST_SENT = EDGE.sent + DIR.lastSeen;
const LAST_RECEIVED = EDGE.received + DIR.lastSeen;

/** Connections + packets: grows whenever any counter of slot `i` does. */
export function activity(words: Uint32Array, i: number): number {
  return (
    u64(words, i, EDGE.connections) + u64(words, i, PACKETS_SENT) + u64(words, i, PACKETS_RECEIVED)
  );
}

/** The key of slot `i`. `bytes` views the whole array. */
export function decodeIdentity(
  bytes: Uint8Array,
  words: Uint32Array,
  i: number,
  time: KtimeFormatter,
): EdgeIdentity {
  const k = i * EDGE.size + EDGE.key;
  const ipOff = k + EDGE_KEY.ip;
  return {
    pktType: bytes[k + EDGE_KEY.pktType] === PACKET_HOST ? 'HOST' : 'OUTGOING',
    proto: bytes[k + EDGE_KEY.proto] === 6 ? 'tcp' : 'udp',
    ip: bytes[k + EDGE_KEY.family] === 4 ? formatIPv4(bytes, ipOff) : formatIPv6(bytes, ipOff),
    port: ((bytes[k + EDGE_KEY.port] ?? 0) << 8) | (bytes[k + EDGE_KEY.port + 1] ?? 0),
    firstSeen: time.format(u64(words, i, EDGE.firstSeen)),
  };
}

/** Slot `i` as an Edge ('normal'): its identity and its current counters. */
export function toEdge(
  id: EdgeIdentity,
  words: Uint32Array,
  i: number,
  time: KtimeFormatter,
): Edge {
  const bytesSent = u64(words, i, BYTES_SENT);
  const bytesReceived = u64(words, i, BYTES_RECEIVED);
  const lastSeenNs = Math.max(u64(words, i, LAST_SENT), u64(words, i, LAST_RECEIVED));
  const connections = u64(words, i, EDGE.connections);
  // The process is said only when every connection of the edge is known to be its.
  const owner = id.owner && id.owner.connections === connections ? id.owner : undefined;
  return {
    type: 'normal',
    pktType: id.pktType,
    proto: id.proto,
    ip: id.ip,
    port: id.port,
    connections,
    packetsSent: u64(words, i, PACKETS_SENT),
    packetsReceived: u64(words, i, PACKETS_RECEIVED),
    bytesSent,
    bytesReceived,
    bytesTotal: bytesSent + bytesReceived,
    firstSeen: id.firstSeen,
    debug: id.debug,
    // A seeded edge that saw no packet yet has no last packet time.
    lastSeen: lastSeenNs ? time.format(lastSeenNs) : id.firstSeen,
    ...(owner?.pid !== undefined && { pid: owner.pid }),
    ...(owner?.comm !== undefined && { comm: owner.comm }),
  };
}

/**
 * CLOCK_MONOTONIC nanoseconds (bpf_ktime_get_ns) to RFC 3339 in UTC with
 * milliseconds, through the offset between the wall clock and the monotonic
 * clock (boot time) measured when the formatter was made.
 */
/** '.000Z' to '.999Z'. */
const FRACTIONS = Array.from({ length: 1000 }, (_, i) => `.${String(i).padStart(3, '0')}Z`);

export class KtimeFormatter {
  /** 'YYYY-MM-DDTHH:MM:SS' by whole second: first and last seen alternate between a few. */
  private readonly seconds = new Map<number, string>();

  /** @param bootMs wall-clock milliseconds at monotonic time 0. */
  constructor(private readonly bootMs: number) {}

  /** Measures the offset now: wall clock minus the monotonic clock (Node's hrtime is CLOCK_MONOTONIC). */
  static now(): KtimeFormatter {
    return new KtimeFormatter(Date.now() - Number(process.hrtime.bigint()) / 1e6);
  }

  format(ns: number): string {
    const ms = Math.floor(this.bootMs + ns / 1e6);
    const s = Math.floor(ms / 1000);
    let prefix = this.seconds.get(s);
    if (prefix === undefined) {
      if (this.seconds.size >= 4096) this.seconds.clear();
      prefix = new Date(s * 1000).toISOString().slice(0, 19);
      this.seconds.set(s, prefix);
    }
    return prefix + (FRACTIONS[ms - s * 1000] ?? '');
  }
}
