// IP addresses, one text form each, shared by the agent (kernel keys are bytes)
// and the operator (addresses from Pods, Services, edges and a user's `ips` list),
// so the same address is the same map key everywhere: IPv4 dotted, IPv6 as
// RFC 5952 writes it, and an IPv4-mapped IPv6 address (::ffff:a.b.c.d, what a
// dual-stack socket reports) as its IPv4 address.
import { isIPv6 } from 'node:net';

/** True for an IPv6 address: the cheap test hot paths use to pick a family. */
export const isV6 = (ip: string): boolean => ip.includes(':');

// Number-to-text conversions dominate formatting in drains of 100k edges: tables.
const DEC = Array.from({ length: 256 }, (_, i) => String(i));
const HEX: (string | undefined)[] = new Array(65536);
const hex = (g: number) => {
  let h = HEX[g];
  if (h === undefined) {
    h = g.toString(16);
    HEX[g] = h;
  }
  return h;
};

export function formatIPv4(b: Uint8Array, off = 0): string {
  return `${DEC[b[off] ?? 0]}.${DEC[b[off + 1] ?? 0]}.${DEC[b[off + 2] ?? 0]}.${DEC[b[off + 3] ?? 0]}`;
}

const groups = new Uint16Array(8);

/** RFC 5952: lowercase, no leading zeros, the longest run (>= 2) of zero groups as '::'. */
export function formatIPv6(b: Uint8Array, off = 0): string {
  // Hot in drains: no intermediate arrays.
  let best = -1;
  let bestLen = 1;
  let run = 0;
  for (let i = 0; i < 8; i++) {
    const g = ((b[off + 2 * i] ?? 0) << 8) | (b[off + 2 * i + 1] ?? 0);
    groups[i] = g;
    run = g === 0 ? run + 1 : 0;
    if (run > bestLen) {
      bestLen = run;
      best = i - run + 1;
    }
  }
  let out = '';
  for (let i = 0; i < 8; i++) {
    if (i === best) {
      out += '::';
      i += bestLen - 1;
      continue;
    }
    if (out !== '' && !out.endsWith(':')) out += ':';
    out += hex(groups[i] ?? 0);
  }
  return out;
}

/** IPv4-mapped IPv6 (::ffff:a.b.c.d): an IPv4 peer of a dual-stack socket. */
export function isV4Mapped(b: Uint8Array, off = 0): boolean {
  for (let i = 0; i < 10; i++) if (b[off + i] !== 0) return false;
  return b[off + 10] === 0xff && b[off + 11] === 0xff;
}

/** Edges repeat a few thousand addresses: each IPv6 text is parsed once, not per edge. */
const memo = new Map<string, string>();
const MEMO_MAX = 16_384;

/** The canonical text of an IP address; anything that is not an IPv6 address is returned as is. */
export function canonicalIP(ip: string): string {
  if (!isV6(ip)) return ip;
  let c = memo.get(ip);
  if (c === undefined) {
    c = canonicalV6(ip);
    // Bounded the cheap way: an edge stream with more distinct addresses just parses again.
    if (memo.size >= MEMO_MAX) memo.clear();
    memo.set(ip, c);
  }
  return c;
}

const scratch = new Uint8Array(16);

function canonicalV6(ip: string): string {
  // A zoned link-local address (fe80::1%eth0) is left alone: its zone is part of it.
  if (ip.includes('%') || !isIPv6(ip)) return ip;
  parseV6(ip.toLowerCase(), scratch);
  return isV4Mapped(scratch) ? formatIPv4(scratch, 12) : formatIPv6(scratch);
}

/** The 16 bytes of a valid IPv6 address (isIPv6 has checked the syntax). */
export function parseV6(ip: string, out: Uint8Array): void {
  const gap = ip.indexOf('::');
  const head = gap < 0 ? ip : ip.slice(0, gap);
  const tail = gap < 0 ? '' : ip.slice(gap + 2);
  const before = head ? head.split(':').flatMap(groupsOf) : [];
  const after = tail ? tail.split(':').flatMap(groupsOf) : [];
  const all = [...before, ...new Array<number>(8 - before.length - after.length).fill(0), ...after];
  all.forEach((g, i) => {
    out[2 * i] = g >> 8;
    out[2 * i + 1] = g & 255;
  });
}

/** A group, or the two groups of a trailing dotted IPv4 part. */
function groupsOf(part: string): number[] {
  if (!part.includes('.')) return [Number.parseInt(part, 16)];
  const [a = 0, b = 0, c = 0, d = 0] = part.split('.').map(Number);
  return [(a << 8) | b, (c << 8) | d];
}
