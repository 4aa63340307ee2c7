import { describe, expect, it } from 'vitest';
import { PodRanges } from './pod-ranges.js';

describe('PodRanges', () => {
  const a = { name: 'a', podCIDRs: ['10.244.192.0/24', 'fd00:10:244:c0::/64'] };
  const b = { name: 'b', podCIDRs: ['10.244.7.0/24'] };
  const big = { name: 'big', podCIDRs: ['10.128.0.0/16'] };

  it('names the node whose pod range holds an address, of either family and any prefix length', () => {
    const r = new PodRanges();
    for (const n of [a, b, big]) r.add(n);
    expect(r.nodeAt('10.244.192.1')).toBe(a);
    expect(r.nodeAt('10.244.192.255')).toBe(a);
    expect(r.nodeAt('fd00:10:244:c0::1')).toBe(a);
    expect(r.nodeAt('10.244.7.1')).toBe(b);
    expect(r.nodeAt('10.128.200.1')).toBe(big);
    for (const ip of ['10.244.193.1', '10.250.0.1', 'fd00:10:244:c1::1', '192.0.2.1'])
      expect(r.nodeAt(ip), ip).toBeUndefined();
    // The ends of the prefix lengths: one address, and everything.
    r.add({ name: 'one', podCIDRs: ['192.0.2.7/32'] });
    expect(r.nodeAt('192.0.2.7')?.name).toBe('one');
    expect(r.nodeAt('192.0.2.8')).toBeUndefined();
    r.add({ name: 'all', podCIDRs: ['0.0.0.0/0'] });
    expect(r.nodeAt('198.51.100.1')?.name).toBe('all');
  });

  it('forgets a removed node, keeps a range another node took, and skips what is not a range', () => {
    const r = new PodRanges();
    r.add(a);
    r.add({ name: 'junk', podCIDRs: ['garbage', '10.1.2.3'] });
    const successor = { name: 'a2', podCIDRs: ['10.244.192.0/24'] };
    r.add(successor);
    r.remove(a);
    expect(r.nodeAt('10.244.192.1')).toBe(successor);
    expect(r.nodeAt('fd00:10:244:c0::1')).toBeUndefined();
    r.remove(successor);
    expect(r.nodeAt('10.244.192.1')).toBeUndefined();
  });
});
