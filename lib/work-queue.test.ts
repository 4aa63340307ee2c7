import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { logger } from './log.js';
import { DoNotRetry, WorkQueue } from './work-queue.js';

const silent = logger('test', 'silent');

describe('WorkQueue', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('never runs one key twice at once and collapses adds made meanwhile into one more run', async () => {
    let active = 0;
    let maxActive = 0;
    const runs: string[] = [];
    const q = new WorkQueue(async (key) => {
      active++;
      maxActive = Math.max(maxActive, active);
      runs.push(key);
      await sleep(20);
      active--;
    }, silent);
    q.add('a');
    q.add('a');
    q.add('a');
    q.add('b');
    await q.drained();
    expect(runs.filter((k) => k === 'a')).toHaveLength(2);
    expect(runs.filter((k) => k === 'b')).toHaveLength(1);
    expect(maxActive).toBe(2); // a and b in parallel, never a twice
  });

  it('keeps going after a handler throws', async () => {
    const seen: string[] = [];
    const q = new WorkQueue(async (key) => {
      seen.push(key);
      if (key === 'bad') throw new Error('boom');
    }, silent);
    q.add('bad');
    q.add('good');
    await q.drained();
    expect(seen).toEqual(['bad', 'good']);
    q.shutdown();
  });

  it('retries a failing key after a per-key backoff that grows, and forgets it on success', async () => {
    vi.useFakeTimers();
    const at: number[] = [];
    let failuresLeft = 3;
    const q = new WorkQueue(
      async () => {
        at.push(Date.now());
        if (failuresLeft-- > 0) throw new Error('apiserver unavailable');
      },
      silent,
      { backoff: { initialMs: 100, maxMs: 250 }, random: () => 0 },
    );
    const t0 = Date.now();
    q.add('k');
    await vi.advanceTimersByTimeAsync(2000);
    // Tries at 0, then after 100, 200 and 250 (capped) more.
    expect(at.map((t) => t - t0)).toEqual([0, 100, 300, 550]);
    expect(q.failuresOf('k')).toBe(0);

    // A later failure starts again from the first delay.
    failuresLeft = 1;
    const t1 = Date.now();
    at.length = 0;
    q.add('k');
    await vi.advanceTimersByTimeAsync(1000);
    expect(at.map((t) => t - t1)).toEqual([0, 100]);
    q.shutdown();
  });

  it('does not retry DoNotRetry', async () => {
    vi.useFakeTimers();
    let runs = 0;
    const q = new WorkQueue(async () => {
      runs++;
      throw new DoNotRetry('spec.gadget: Unknown gadget "x"');
    }, silent);
    q.add('k');
    await vi.advanceTimersByTimeAsync(60_000);
    expect(runs).toBe(1);
    expect(q.failuresOf('k')).toBe(0);
  });

  it('runs a key added while its retry waits at once, and only once', async () => {
    vi.useFakeTimers();
    let runs = 0;
    const q = new WorkQueue(
      async () => {
        runs++;
        if (runs === 1) throw new Error('first try fails');
      },
      silent,
      { backoff: { initialMs: 1000, maxMs: 1000 }, random: () => 0 },
    );
    q.add('k');
    await vi.advanceTimersByTimeAsync(10);
    q.add('k'); // an event: handled now, the waiting retry is dropped
    await vi.advanceTimersByTimeAsync(5000);
    expect(runs).toBe(2);
  });
});
