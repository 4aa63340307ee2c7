import { describe, expect, it } from 'vitest';
import { runInSlices, runToEnd, type Steps, shareTurn } from './time-slices.js';

/** Work that records each step and pauses after each. */
function* counting(n: number, log: string[]): Steps<number> {
  let sum = 0;
  for (let i = 0; i < n; i++) {
    log.push(`step ${i}`);
    sum += i;
    yield;
  }
  return sum;
}

describe('time slices', () => {
  it('runToEnd gives the result without letting anything else run', async () => {
    const log: string[] = [];
    setImmediate(() => log.push('other'));
    expect(runToEnd(counting(3, log))).toBe(3);
    expect(log).toEqual(['step 0', 'step 1', 'step 2']);
    await new Promise((r) => setImmediate(r));
    expect(log.at(-1)).toBe('other');
  });

  it('runInSlices lets other callbacks run between slices and gives the same result', async () => {
    const log: string[] = [];
    let done = false;
    const other = () => {
      log.push('other');
      if (!done) setImmediate(other);
    };
    setImmediate(other);
    // A zero-length slice pauses at every step.
    const sum = await runInSlices(counting(50, log), 0);
    done = true;
    expect(sum).toBe(runToEnd(counting(50, [])));
    expect(log.filter((l) => l.startsWith('step'))).toHaveLength(50);
    const firstOther = log.indexOf('other');
    expect(firstOther).toBeGreaterThan(0);
    expect(firstOther).toBeLessThan(log.lastIndexOf('step 49'));
  });

  it('runInSlices runs short work in one slice', async () => {
    const log: string[] = [];
    setImmediate(() => log.push('other'));
    await runInSlices(counting(5, log), 1_000);
    expect(log.slice(0, 5)).toEqual(['step 0', 'step 1', 'step 2', 'step 3', 'step 4']);
  });

  it('shareTurn keeps a timer on time while many loops work through a burst', async () => {
    const busy = (ms: number) => {
      const end = performance.now() + ms;
      while (performance.now() < end);
    };
    /** 20 loops of 20 items, 1 ms each (400 ms in all), as 20 streams given a burst. */
    const burst = (pace: boolean) =>
      Promise.all(
        Array.from({ length: 20 }, async () => {
          for (let i = 0; i < 20; i++) {
            if (pace) await shareTurn();
            else await Promise.resolve();
            busy(1);
          }
        }),
      );
    const lateness = async (pace: boolean) => {
      let last = performance.now();
      let worst = 0;
      const timer = setInterval(() => {
        const now = performance.now();
        worst = Math.max(worst, now - last - 5);
        last = now;
      }, 5);
      await burst(pace);
      clearInterval(timer);
      return Math.max(worst, performance.now() - last - 5);
    };
    expect(await lateness(false)).toBeGreaterThan(300); // the timer waits for the whole burst
    expect(await lateness(true)).toBeLessThan(100); // about one slice (10 ms)
  });
});
