import { describe, expect, it } from 'vitest';
import { Lru } from './lru.js';

describe('Lru', () => {
  it('keeps at most max entries, dropping the least recently used', () => {
    const lru = new Lru<string, number>({ max: 2 });
    lru.set('a', 1, 1000);
    lru.set('b', 2, 1000);
    expect(lru.get('a')).toBe(1); // a is now the most recent
    lru.set('c', 3, 1000);
    expect(lru.get('b')).toBeUndefined();
    expect(lru.get('a')).toBe(1);
    expect(lru.get('c')).toBe(3);
    expect(lru.size).toBe(2);
  });

  it('forgets an entry once its time to live has passed', () => {
    let now = 0;
    const lru = new Lru<string, string>({ max: 10, now: () => now });
    lru.set('ok', 'yes', 100);
    now = 99;
    expect(lru.get('ok')).toBe('yes');
    now = 100;
    expect(lru.get('ok')).toBeUndefined();
    expect(lru.size).toBe(0);
  });
});
