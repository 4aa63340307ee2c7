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
});

describe('canonicalIP', () => {
  it.each([
    ['10.244.1.5', '10.244.1.5'],
    ['FD00:123:0:0::0001', 'fd00:123::1'],
    ['fd00:10:244::5', 'fd00:10:244::5'],
    ['FD00:0010:0244:0000:0000:0000:0000:0005', 'fd00:10:244::5'],
    ['fd00:10:244:0::5', 'fd00:10:244::5'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
    ['0:0:0:0:0:0:0:0', '::'],
    ['::1', '::1'],
    ['fe80:0:0:1:0:0:0:0', 'fe80:0:0:1::'], // the longest run
    ['fe80:0:0:0:1:0:0:0', 'fe80::1:0:0:0'], // the first of two as long
    ['::ffff:10.244.1.5', '10.244.1.5'],
    ['::FFFF:0af4:0105', '10.244.1.5'],
    ['64:ff9b::192.0.2.33', '64:ff9b::c000:221'],
    ['fe80::1%eth0', 'fe80::1%eth0'],
    ['not-an-ip', 'not-an-ip'],
    ['', ''],
  ])('%s -> %s', (input, want) => {
    expect(canonicalIP(input)).toBe(want);
  });
});
