import { describe, expect, it } from 'vitest';
import { parseCidr, prefixOf, v4Number } from './cidr.js';

describe('prefixOf', () => {
  it('masks IPv4 and IPv6 addresses', () => {
    expect(prefixOf('203.0.113.77', 24, 64)).toBe('203.0.113.0/24');
    expect(prefixOf('10.1.2.3', 8, 64)).toBe('10.0.0.0/8');
    expect(prefixOf('255.255.255.255', 32, 64)).toBe('255.255.255.255/32');
    expect(prefixOf('2001:db8:1:2:3::9', 24, 48)).toBe('2001:db8:1::/48');
    expect(prefixOf('2001:db8:ffff::1', 24, 36)).toBe('2001:db8:f000::/36');
  });
});

describe('parseCidr', () => {
  it('reads a range as prefixOf writes its network, host bits cleared', () => {
    expect(parseCidr('10.244.192.0/24')).toEqual({
      network: '10.244.192.0/24',
      v6: false,
      bits: 24,
    });
    expect(parseCidr('10.244.192.7/24')?.network).toBe('10.244.192.0/24');
    expect(parseCidr('FD00:10:244:c0:0::/64')).toEqual({
      network: 'fd00:10:244:c0::/64',
      v6: true,
      bits: 64,
    });
  });

  it('is undefined for what is not a range', () => {
    for (const c of [
      'garbage',
      '10.244.192.0',
      '10.244.192.0/',
      '10.244.192.0/33',
      'fd00::/129',
      '/24',
    ])
      expect(parseCidr(c), c).toBeUndefined();
  });
});

describe('v4Number', () => {
  it('reads a dotted quad as its 32-bit value', () => {
    expect(v4Number('0.0.0.0')).toBe(0);
    expect(v4Number('10.244.192.1')).toBe(((10 * 256 + 244) * 256 + 192) * 256 + 1);
    expect(v4Number('255.255.255.255')).toBe(2 ** 32 - 1);
  });
});
