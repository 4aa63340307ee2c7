// One text form per address, so that the same IP found in a Pod, a Service, an
// edge or a user's `ips` list is the same map key: IPv6 as RFC 5952 writes it
// (lower case, no leading zeros, the longest run of zero groups as `::`), and an
// IPv4-mapped IPv6 address (::ffff:a.b.c.d, what a dual-stack socket reports) as
// its IPv4 address.
import { isIPv6 } from 'node:net';

/** True for an IPv6 address: the cheap test the hot path uses to pick a family. */
export const isV6 = (ip: string): boolean => ip.includes(':');

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

function canonicalV6(ip: string): string {
  // A zoned link-local address (fe80::1%eth0) is left alone: its zone is part of it.
  if (ip.includes('%') || !isIPv6(ip)) return ip;
  const groups = parseV6(ip.toLowerCase());
  if (isV4Mapped(groups)) {
    const hi = groups[6] ?? 0;
    const lo = groups[7] ?? 0;
    return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
  }
  return formatV6(groups);
}

/** Eight 16-bit groups of a valid IPv6 address (isIPv6 has checked the syntax). */
function parseV6(ip: string): number[] {
  const gap = ip.indexOf('::');
  const head = gap < 0 ? ip : ip.slice(0, gap);
  const tail = gap < 0 ? '' : ip.slice(gap + 2);
  const before = head ? head.split(':').flatMap(groupsOf) : [];
  const after = tail ? tail.split(':').flatMap(groupsOf) : [];
  const zeros = new Array<number>(8 - before.length - after.length).fill(0);
  return [...before, ...zeros, ...after];
}

/** A group, or the two groups of a trailing dotted IPv4 part. */
function groupsOf(part: string): number[] {
  if (!part.includes('.')) return [Number.parseInt(part, 16)];
  const [a = 0, b = 0, c = 0, d = 0] = part.split('.').map(Number);
  return [(a << 8) | b, (c << 8) | d];
}

function isV4Mapped(g: number[]): boolean {
  return g[0] === 0 && g[1] === 0 && g[2] === 0 && g[3] === 0 && g[4] === 0 && g[5] === 0xffff;
}

/** RFC 5952 section 4: compress the longest run of two or more zero groups, the first if tied. */
function formatV6(g: number[]): string {
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (from: number, to: number) =>
    g
      .slice(from, to)
      .map((n) => n.toString(16))
      .join(':');
  if (best < 0) return hex(0, 8);
  return `${hex(0, best)}::${hex(best + bestLen, 8)}`;
}
