import { describe, expect, it } from 'vitest';
import { ownerOf } from './rendezvous.js';

const nodes = Array.from({ length: 3000 }, (_, i) => `node-${i}`);
const owners = (members: string[]) => new Map(nodes.map((n) => [n, ownerOf(n, members)]));

describe('ownerOf', () => {
  it('has no owner without members, and the only one with one', () => {
    expect(ownerOf('node-1', [])).toBeUndefined();
    expect(ownerOf('node-1', ['a'])).toBe('a');
  });

  it('does not depend on the order members are listed in', () => {
    const a = owners(['r1', 'r2', 'r3']);
    const b = owners(['r3', 'r1', 'r2']);
    expect([...a]).toEqual([...b]);
  });

  it('spreads keys evenly, within 10% of a third each', () => {
    const count = new Map<string, number>();
    for (const o of owners(['r1', 'r2', 'r3']).values())
      count.set(o ?? '', (count.get(o ?? '') ?? 0) + 1);
    for (const n of count.values()) expect(Math.abs(n - 1000)).toBeLessThan(100);
  });

  it('moves only the keys the new member wins when one joins, about 1/N', () => {
    const before = owners(['r1', 'r2', 'r3']);
    const after = owners(['r1', 'r2', 'r3', 'r4']);
    const moved = nodes.filter((n) => before.get(n) !== after.get(n));
    expect(moved.every((n) => after.get(n) === 'r4')).toBe(true);
    expect(Math.abs(moved.length / nodes.length - 1 / 4)).toBeLessThan(0.03);
  });

  it('moves only the keys of the member that left', () => {
    const before = owners(['r1', 'r2', 'r3']);
    const after = owners(['r1', 'r3']);
    for (const n of nodes) if (before.get(n) !== 'r2') expect(after.get(n)).toBe(before.get(n));
  });
});
