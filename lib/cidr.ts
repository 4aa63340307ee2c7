// Networks of IP addresses as CIDR text, shared by policy advice (ipBlocks, aggregated
// peers) and enrichment (which node's pod range holds an address): one masking rule,
// so a network is the same text, and the same map key, on both sides.
import { isIP } from 'node:net';
import { formatIPv6, parseV6 } from './ip.js';

/** A dotted-quad IPv4 address (already known to be one) as a number, read without allocating. */
export function v4Number(ip: string): number {
  let n = 0;
  let octet = 0;
  for (let i = 0; i < ip.length; i++) {
    const c = ip.charCodeAt(i);
    if (c === 46) {
      n = n * 256 + octet;
      octet = 0;
    } else octet = octet * 10 + c - 48;
  }
  return n * 256 + octet;
}

/** The network of ip with a prefix of bits (IPv4 or IPv6), as CIDR text. */
export function prefixOf(ip: string, bits4: number, bits6: number): string {
  if (isIP(ip) === 6) {
    const b = new Uint8Array(16);
    parseV6(ip, b);
    for (let i = 0; i < 16; i++) {
      const keep = Math.max(0, Math.min(8, bits6 - 8 * i));
      b[i] = (b[i] ?? 0) & ((0xff << (8 - keep)) & 0xff);
    }
    return `${formatIPv6(b)}/${bits6}`;
  }
  const n = v4Number(ip);
  const size = 2 ** (32 - bits4);
  const net = Math.floor(n / size) * size;
  const octets = [24, 16, 8, 0].map((s) => Math.floor(net / 2 ** s) % 256);
  return `${octets.join('.')}/${bits4}`;
}

/** A range as prefixOf writes it (host bits cleared), with its family and length; undefined if not a range. */
export function parseCidr(
  cidr: string,
): { network: string; v6: boolean; bits: number } | undefined {
  const [net = '', bits = ''] = cidr.split('/');
  const family = isIP(net);
  if (family === 0 || !/^\d+$/.test(bits)) return undefined;
  const b = Number(bits);
  if (b > (family === 6 ? 128 : 32)) return undefined;
  return { network: prefixOf(net, b, b), v6: family === 6, bits: b };
}
