import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { logger } from './log.js';
import { WorkQueue } from './work-queue.js';

describe('WorkQueue', () => {
  it('never runs one key twice at once and collapses adds made meanwhile into one more run', async () => {
    let active = 0;
    let maxActive = 0;
    const runs: string[] = [];
    const q = new WorkQueue(
      async (key) => {
        active++;
        maxActive = Math.max(maxActive, active);
        runs.push(key);
        await sleep(20);
        active--;
      },
      logger('test', 'silent'),
    );
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
    const q = new WorkQueue(
      async (key) => {
        seen.push(key);
        if (key === 'bad') throw new Error('boom');
      },
      logger('test', 'silent'),
    );
    q.add('bad');
    q.add('good');
    await q.drained();
    expect(seen).toEqual(['bad', 'good']);
  });
});
