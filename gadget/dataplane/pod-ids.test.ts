import { describe, expect, it } from 'vitest';
import { PodIds } from './pod-ids.js';

describe('PodIds', () => {
  it('hands out 1..size-1, never 0, and nothing more once all are taken', () => {
    const ids = new PodIds(4);
    expect([ids.take(), ids.take(), ids.take()]).toEqual([1, 2, 3]);
    expect(ids.take()).toBeUndefined();
    expect(ids.count).toBe(3);
  });

  it('gives a freed id back only after every other free one', () => {
    const ids = new PodIds(5);
    const a = ids.take();
    ids.take();
    if (a !== undefined) ids.release(a);
    expect(ids.take()).toBe(3);
    expect(ids.take()).toBe(4);
    expect(ids.take()).toBe(1);
  });
});
