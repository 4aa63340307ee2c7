// Peers outside the cluster, as a bounded label value: the network of the address at a
// configurable prefix length ("203.0.113.0/24"), or "world" with a prefix of 0, so that
// a pod talking to the whole internet adds one series per network, not one per address.
import { isIP } from 'node:net';
import { formatIPv4, formatIPv6, parseV6 } from '../../lib/ip.js';

export interface PeerPrefixes {
  /** IPv4 prefix length, 0..32 (0: every address is "world"). */
  v4: number;
  /** IPv6 prefix length, 0..128. */
  v6: number;
}

export const WORLD = 'world';

const bytes = new Uint8Array(16);

function mask(b: Uint8Array, from: number, len: number, bits: number): void {
  for (let i = 0; i < len; i++) {
    const keep = Math.max(0, Math.min(8, bits - i * 8));
    b[from + i] = (b[from + i] as number) & ((0xff << (8 - keep)) & 0xff);
  }
}

/** The network holding ip at the given prefixes; an address that is no IP is returned as is. */
export function peerBucket(ip: string, p: PeerPrefixes): string {
  const family = isIP(ip);
  if (family === 4) {
    if (p.v4 === 0) return WORLD;
    if (p.v4 === 32) return ip;
    const parts = ip.split('.');
    for (let i = 0; i < 4; i++) bytes[i] = Number(parts[i]);
    mask(bytes, 0, 4, p.v4);
    return `${formatIPv4(bytes, 0)}/${p.v4}`;
  }
  if (family === 6) {
    if (p.v6 === 0) return WORLD;
    parseV6(ip.toLowerCase(), bytes);
    if (p.v6 === 128) return formatIPv6(bytes);
    mask(bytes, 0, 16, p.v6);
    return `${formatIPv6(bytes)}/${p.v6}`;
  }
  return ip;
}

/** "24,64" or "24" (IPv6 then 64); throws a message naming the flag. */
export function parsePeerPrefixes(text: string, flag = '--metrics-peer-prefix'): PeerPrefixes {
  const m = /^(\d{1,2})(?:,(\d{1,3}))?$/.exec(text.trim());
  const v4 = m ? Number(m[1]) : Number.NaN;
  const v6 = m?.[2] !== undefined ? Number(m[2]) : 64;
  if (!(v4 >= 0 && v4 <= 32 && v6 >= 0 && v6 <= 128))
    throw new Error(
      `${flag} must be an IPv4 prefix length 0-32, optionally ",IPv6 length 0-128", like 24,64 (0 means "world"), not "${text}"`,
    );
  return { v4, v6 };
}
