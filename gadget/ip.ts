// IP addresses as bytes (what the kernel keys hold) and as text (RFC 5952 for IPv6).
import { isIPv4, isIPv6, SocketAddress } from 'node:net';

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
export function isV4Mapped(b: Uint8Array): boolean {
  for (let i = 0; i < 10; i++) if (b[i] !== 0) return false;
  return b[10] === 0xff && b[11] === 0xff;
}

/** The canonical text of an address (RFC 5952 for IPv6); undefined if it is not one. */
export function canonicalIP(s: string): string | undefined {
  const family = isIPv4(s) ? 'ipv4' : isIPv6(s) ? 'ipv6' : undefined;
  return family && new SocketAddress({ address: s, family }).address;
}
