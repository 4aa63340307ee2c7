import { describe, expect, it } from 'vitest';
import { parsePeerPrefixes, peerBucket, WORLD } from './peer-bucket.js';

describe('peerBucket', () => {
  const p = { v4: 24, v6: 64 };
  it('keeps the network of an IPv4 address', () => {
    expect(peerBucket('203.0.113.77', p)).toBe('203.0.113.0/24');
    expect(peerBucket('203.0.113.77', { v4: 12, v6: 64 })).toBe('203.0.0.0/12');
    expect(peerBucket('203.0.113.77', { v4: 32, v6: 64 })).toBe('203.0.113.77');
  });
  it('keeps the network of an IPv6 address', () => {
    expect(peerBucket('2001:db8:1:2:3:4:5:6', p)).toBe('2001:db8:1:2::/64');
    expect(peerBucket('2001:DB8::5', { v4: 24, v6: 128 })).toBe('2001:db8::5');
  });
  it('folds everything into world at prefix 0', () => {
    expect(peerBucket('198.51.100.1', { v4: 0, v6: 0 })).toBe(WORLD);
    expect(peerBucket('2001:db8::1', { v4: 0, v6: 0 })).toBe(WORLD);
  });
  it('puts many addresses into one bucket', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 256; i++) seen.add(peerBucket(`198.51.100.${i}`, p));
    expect([...seen]).toEqual(['198.51.100.0/24']);
  });
});

describe('parsePeerPrefixes', () => {
  it('reads "v4" and "v4,v6"', () => {
    expect(parsePeerPrefixes('24')).toEqual({ v4: 24, v6: 64 });
    expect(parsePeerPrefixes('0,0')).toEqual({ v4: 0, v6: 0 });
    expect(parsePeerPrefixes('16,48')).toEqual({ v4: 16, v6: 48 });
  });
  it('names the flag on bad input', () => {
    expect(() => parsePeerPrefixes('33')).toThrow(/--metrics-peer-prefix must be/);
    expect(() => parsePeerPrefixes('24,129')).toThrow(/not "24,129"/);
    expect(() => parsePeerPrefixes('/24')).toThrow(/--metrics-peer-prefix/);
  });
});
