import { SocketAddress } from 'node:net';
import { describe, expect, it } from 'vitest';
import { canonicalIP, formatIPv4, formatIPv6, isV4Mapped } from './ip.js';

describe('ip', () => {
  it('formats IPv4 at an offset', () => {
    expect(formatIPv4(Uint8Array.from([9, 10, 123, 0, 1]), 1)).toBe('10.123.0.1');
  });

  it('formats IPv6 as RFC 5952', () => {
    const b = (hex: string) => Uint8Array.from(Buffer.from(hex, 'hex'));
    expect(formatIPv6(b('fd000123000000000000000000000001'))).toBe('fd00:123::1');
    expect(formatIPv6(b('00000000000000000000000000000000'))).toBe('::');
    expect(formatIPv6(b('20010db8000000010000000000000001'))).toBe('2001:db8:0:1::1');
    // A single zero group is not shortened; the first of two equal runs is.
    expect(formatIPv6(b('20010db8000100010001000100010001'))).toBe('2001:db8:1:1:1:1:1:1');
    expect(formatIPv6(b('20010db8000000010001000000000001'))).toBe('2001:db8:0:1:1::1');
    expect(formatIPv6(b('20010000000000010000000000000001'))).toBe('2001:0:0:1::1');
    expect(formatIPv6(b('20010000000000010000000000010001'))).toBe('2001::1:0:0:1:1');
  });

  it('agrees with inet_ntop on random addresses with zero runs', () => {
    for (let n = 0; n < 2000; n++) {
      const b = new Uint8Array(16);
      for (let i = 0; i < 16; i += 2) {
        if (Math.random() < 0.5) continue;
        b[i] = Math.random() * 256;
        b[i + 1] = Math.random() * 256;
      }
      b[0] = 0xfd; // keep clear of the IPv4-compatible forms inet_ntop prints differently
      const text = formatIPv6(b);
      expect(new SocketAddress({ address: text, family: 'ipv6' }).address).toBe(text);
    }
  });

  it('recognises IPv4-mapped addresses', () => {
    const m = new Uint8Array(16);
    m[10] = 0xff;
    m[11] = 0xff;
    expect(isV4Mapped(m)).toBe(true);
    m[11] = 0;
    expect(isV4Mapped(m)).toBe(false);
  });

  it('canonicalises text', () => {
    expect(canonicalIP('FD00:123:0:0::0001')).toBe('fd00:123::1');
    expect(canonicalIP('10.123.0.1')).toBe('10.123.0.1');
    expect(canonicalIP('pod-a')).toBeUndefined();
  });
});
