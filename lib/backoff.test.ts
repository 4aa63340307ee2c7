import { describe, expect, it } from 'vitest';
import { Backoff, backoffDelay } from './backoff.js';

describe('backoff', () => {
  const policy = { initialMs: 100, maxMs: 1000 };

  it('doubles from the first delay up to the cap, without jitter when random() is 0', () => {
    expect([1, 2, 3, 4, 5, 9].map((n) => backoffDelay(policy, n, () => 0))).toEqual([
      100, 200, 400, 800, 1000, 1000,
    ]);
  });

  it('takes at most the jitter share off, never exceeding the cap', () => {
    expect(backoffDelay(policy, 9, () => 0.999)).toBeGreaterThanOrEqual(800);
    expect(backoffDelay({ ...policy, jitter: 0.5 }, 9, () => 1)).toBe(500);
    for (let i = 0; i < 100; i++) expect(backoffDelay(policy, 20)).toBeLessThanOrEqual(1000);
  });

  it('starts over after reset', () => {
    const b = new Backoff(policy, () => 0);
    expect([b.next(), b.next(), b.next()]).toEqual([100, 200, 400]);
    b.reset();
    expect(b.next()).toBe(100);
  });
});
