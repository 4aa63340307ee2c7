// IP addresses as bytes (what the kernel keys hold) and as text (RFC 5952 for IPv6).
import { isIPv4, isIPv6, SocketAddress } from 'node:net';

export function formatIPv4(b: Uint8Array, off = 0): string {
  return `${b[off]}.${b[off + 1]}.${b[off + 2]}.${b[off + 3]}`;
}

/** RFC 5952: lowercase, no leading zeros, the longest run (>= 2) of zero groups as '::'. */
export function formatIPv6(b: Uint8Array, off = 0): string {
  const g: number[] = [];
  for (let i = 0; i < 16; i += 2) g.push(((b[off + i] ?? 0) << 8) | (b[off + i + 1] ?? 0));
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
      .map((x) => x.toString(16))
      .join(':');
  if (best < 0) return hex(0, 8);
  return `${hex(0, best)}::${hex(best + bestLen, 8)}`;
}

/** IPv4-mapped IPv6 (::ffff:a.b.c.d): an IPv4 peer of a dual-stack socket. */
export function isV4Mapped(b: Uint8Array): boolean {
  for (let i = 0; i < 10; i++) if (b[i] !== 0) return false;
  return b[10] === 0xff && b[11] === 0xff;
}

/** The canonical text of an address (RFC 5952 for IPv6); undefined if it is not one. */
export function canonicalIP(s: string): string | undefined {
  const family = isIPv4(s) ? 'ipv4' : isIPv6(s) ? 'ipv6' : undefined;
  return family && new SocketAddress({ address: s, family }).address;
}
