// A DNS answer's A, AAAA and CNAME records, read from the bytes a pod received
// (RFC 1035 section 4). Written here rather than taken from dns-packet: it reads
// only the question and the answer section, builds no Buffer, and is several times
// faster (bench/dns-parse.ts; README's Choices). The bytes come from any server a
// pod asked, or from the pod's own forgery, so nothing in them is trusted: every
// length is checked against the end, a compression pointer must point before the
// name that uses it (so it cannot loop), names stop at 255 octets, and a bad answer
// is an error naming why (the agent counts them), never a throw.

import { formatIPv4, formatIPv6 } from '../../lib/ip.js';
import type { CapturedDns } from '../dataplane/dns-ring.js';

export type DnsRecord =
  | { type: 'A' | 'AAAA'; name: string; ttl: number; address: string }
  | { type: 'CNAME'; name: string; ttl: number; target: string };

export interface DnsAnswer {
  /** The name the question asked for, lowercase, without the trailing dot. */
  question: string;
  /** The answer section's A, AAAA and CNAME records of class IN, in order. */
  records: DnsRecord[];
}

/** Why an answer was dropped: the agent's counter labels. */
export const DNS_DROP_REASONS = [
  'not-answer',
  'truncated',
  'bad-name',
  'bad-record',
  'too-large',
] as const;
export type DnsDropReason = (typeof DNS_DROP_REASONS)[number];

/** lib/result.ts's shape, its error one of DNS_DROP_REASONS. */
export type DnsParse = { ok: true; answer: DnsAnswer } | { ok: false; error: DnsDropReason };

/** A DNS message is at most 65,535 bytes (TCP's length prefix). */
export const DNS_MAX_MESSAGE = 65_535;
const HEADER = 12;
const MAX_NAME = 255;
const TYPE_A = 1;
const TYPE_CNAME = 5;
const TYPE_AAAA = 28;
const CLASS_IN = 1;

/** Thrown inside the parser only, turned into the error it names. */
class Malformed {
  constructor(readonly reason: DnsDropReason) {}
}

/** Presentation text of each label byte: lowercase, `.` and `\` escaped, the rest as \DDD. */
const CHAR: string[] = Array.from({ length: 256 }, (_, b) => {
  if (b === 0x2e || b === 0x5c) return `\\${String.fromCharCode(b)}`;
  if (b > 0x20 && b < 0x7f) return String.fromCharCode(b).toLowerCase();
  return `\\${String(b).padStart(3, '0')}`;
});

/** Where the name read last ended in the message (after its first pointer, if any). */
let nameEnd = 0;

/**
 * The name at `at`; sets nameEnd. A pointer must point before the start of the
 * labels it continues, so each jump goes strictly backwards and the walk ends.
 */
function readName(b: Uint8Array, at: number): string {
  let out = '';
  let octets = 0;
  let pos = at;
  let floor = at;
  let end = -1;
  for (;;) {
    if (pos >= b.length) throw new Malformed('truncated');
    const len = b[pos] as number;
    if (len === 0) {
      if (end < 0) end = pos + 1;
      break;
    }
    const kind = len & 0xc0;
    if (kind === 0xc0) {
      if (pos + 1 >= b.length) throw new Malformed('truncated');
      const target = ((len & 0x3f) << 8) | (b[pos + 1] as number);
      if (end < 0) end = pos + 2;
      if (target >= floor) throw new Malformed('bad-name');
      pos = target;
      floor = target;
      continue;
    }
    if (kind !== 0) throw new Malformed('bad-name');
    octets += len + 1;
    if (octets > MAX_NAME) throw new Malformed('bad-name');
    if (pos + 1 + len > b.length) throw new Malformed('truncated');
    if (out !== '') out += '.';
    for (let i = pos + 1; i <= pos + len; i++) out += CHAR[b[i] as number];
    pos += len + 1;
  }
  nameEnd = end;
  return out;
}

const u16 = (b: Uint8Array, at: number) => ((b[at] as number) << 8) | (b[at + 1] as number);
const u32 = (b: Uint8Array, at: number) => u16(b, at) * 65536 + u16(b, at + 2);

/**
 * The A, AAAA and CNAME records of the DNS response in `bytes`. `wireLength` is
 * the message's real length when `bytes` holds only its first part (what the
 * data plane captured): records cut off there are left out, the rest kept. A
 * message that claims more than it holds is dropped as truncated.
 */
export function parseDnsAnswer(bytes: Uint8Array, wireLength = bytes.length): DnsParse {
  if (wireLength > DNS_MAX_MESSAGE || bytes.length > DNS_MAX_MESSAGE)
    return { ok: false, error: 'too-large' };
  if (bytes.length < HEADER) return { ok: false, error: 'not-answer' };
  const flags = u16(bytes, 2);
  // QR set (a response), opcode 0 (QUERY), one question: else it answers nothing we asked.
  if ((flags & 0x8000) === 0 || (flags & 0x7800) !== 0 || u16(bytes, 4) !== 1)
    return { ok: false, error: 'not-answer' };
  const count = u16(bytes, 6);
  const cut = bytes.length < wireLength;
  try {
    const question = readName(bytes, HEADER);
    const pos = nameEnd + 4;
    if (pos > bytes.length) throw new Malformed('truncated');
    const records: DnsRecord[] = [];
    try {
      readRecords(bytes, pos, count, records);
    } catch (err) {
      // Only the capture's end may cut a record: keep the whole ones before it.
      if (!(cut && err instanceof Malformed && err.reason === 'truncated')) throw err;
    }
    return { ok: true, answer: { question, records } };
  } catch (err) {
    if (!(err instanceof Malformed)) throw err;
    return { ok: false, error: err.reason };
  }
}

/** Reads `count` resource records from `start` into `records`, keeping A, AAAA and CNAME. */
function readRecords(bytes: Uint8Array, start: number, count: number, records: DnsRecord[]): void {
  let pos = start;
  for (let i = 0; i < count; i++) {
    const name = readName(bytes, pos);
    pos = nameEnd;
    if (pos + 10 > bytes.length) throw new Malformed('truncated');
    const type = u16(bytes, pos);
    const cls = u16(bytes, pos + 2);
    const ttl = u32(bytes, pos + 4);
    const rdLength = u16(bytes, pos + 8);
    const rd = pos + 10;
    pos = rd + rdLength;
    if (pos > bytes.length) throw new Malformed('truncated');
    if (cls !== CLASS_IN) continue;
    if (type === TYPE_A) {
      if (rdLength !== 4) throw new Malformed('bad-record');
      records.push({ type: 'A', name, ttl, address: formatIPv4(bytes, rd) });
    } else if (type === TYPE_AAAA) {
      if (rdLength !== 16) throw new Malformed('bad-record');
      records.push({ type: 'AAAA', name, ttl, address: formatIPv6(bytes, rd) });
    } else if (type === TYPE_CNAME) {
      const target = readName(bytes, rd);
      if (nameEnd !== pos) throw new Malformed('bad-record');
      records.push({ type: 'CNAME', name, ttl, target });
    }
  }
}

/**
 * The answer in a captured payload. Over TCP a message follows its 2-byte length
 * (RFC 1035 4.2.2): an answer longer than the segment, or than the capture, keeps
 * the whole records the program saw.
 */
export function parseCapturedDns(c: CapturedDns): DnsParse {
  if (c.transport === 'udp') return parseDnsAnswer(c.bytes, c.wireLength);
  if (c.bytes.length < 2) return { ok: false, error: 'not-answer' };
  return parseDnsAnswer(c.bytes.subarray(2, 2 + u16(c.bytes, 0)), u16(c.bytes, 0));
}
