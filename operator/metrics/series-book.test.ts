import { describe, expect, it } from 'vitest';
import { SeriesBook } from './series-book.js';

function book(maxSeries = 10, graceMs = 60_000) {
  const clock = { t: 0 };
  const b = new SeriesBook<{ w: string }>({ maxSeries, graceMs, now: () => clock.t });
  const add = (key: string, trace = 't', workloads = [`ns/Deployment/${key}`], cost = 5) =>
    b.admit(key, cost, () => ({ labels: { w: key }, trace, workloads }));
  return { b, clock, add };
}

describe('SeriesBook', () => {
  it('admits label sets up to the cap, then refuses new ones (held ones stay)', () => {
    const { b, add } = book(10);
    expect(add('a')).toBeDefined();
    expect(add('b')).toBeDefined();
    expect(add('c')).toBeUndefined();
    expect(add('a')?.key).toBe('a');
    expect(b.size).toBe(10);
  });

  it('makes an entry only for a label set it admits', () => {
    const { b } = book(5);
    let made = 0;
    const make = () => {
      made++;
      return { labels: { w: '' }, trace: 't', workloads: [] };
    };
    b.admit('a', 5, make);
    b.admit('a', 5, make);
    expect(b.admit('b', 5, make)).toBeUndefined();
    expect(made).toBe(1);
  });

  it('admits the overflow label set past the cap', () => {
    const { b, add } = book(5);
    add('a');
    expect(
      b.admit('overflow', 5, () => ({ labels: { w: '' }, trace: '', workloads: [] }), true),
    ).toBeDefined();
    expect(b.size).toBe(10);
  });

  it('removes a label set only after its workload has been gone for the grace period', () => {
    const { b, clock, add } = book();
    add('a');
    add('b');
    const alive = new Set(['ns/Deployment/a', 'ns/Deployment/b']);
    expect(b.sweep((w) => alive.has(w))).toEqual([]);
    alive.delete('ns/Deployment/a');
    clock.t = 1000;
    expect(b.sweep((w) => alive.has(w))).toEqual([]);
    clock.t = 60_999;
    expect(b.sweep((w) => alive.has(w))).toEqual([]);
    clock.t = 61_000;
    expect(b.sweep((w) => alive.has(w)).map((e) => e.key)).toEqual(['a']);
    expect(b.size).toBe(5);
    expect(b.get('b')).toBeDefined();
  });

  it('keeps a label set whose workload comes back within the grace period', () => {
    const { b, clock, add } = book();
    add('a');
    b.sweep(() => false);
    clock.t = 30_000;
    b.sweep(() => true);
    clock.t = 90_000;
    expect(b.sweep(() => false)).toEqual([]);
    clock.t = 150_000;
    expect(b.sweep(() => false).map((e) => e.key)).toEqual(['a']);
  });

  it('never expires a quiet label set whose workload lives', () => {
    const { b, clock, add } = book();
    add('a');
    clock.t = 24 * 3600_000;
    expect(b.sweep(() => true)).toEqual([]);
  });

  it("removes a deleted trace's label sets after the grace period, unless it starts again", () => {
    const { b, clock, add } = book(100);
    add('a', 't1');
    add('b', 't2');
    b.traceDeleted('t1');
    b.traceDeleted('t2');
    b.sweep(() => true);
    b.traceStarted('t2');
    clock.t = 60_000;
    expect(b.sweep(() => true).map((e) => e.key)).toEqual(['a']);
    expect(b.get('b')).toBeDefined();
  });
});
