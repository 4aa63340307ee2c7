import { describe, expect, it } from 'vitest';
import { LogBudget } from './log-budget.js';

describe('LogBudget', () => {
  it('writes a burst, then so many a minute, and says how many it did not write', () => {
    let now = 0;
    const budget = new LogBudget(10, 3, () => now);
    const turns = Array.from({ length: 100 }, () => budget.take());
    expect(turns.filter((t) => t.write)).toHaveLength(3);
    now = 5_999; // 10 a minute: one more after 6 s, not before
    expect(budget.take()).toEqual({ write: false });
    now = 6_000;
    expect(budget.take()).toEqual({ write: true, suppressed: 98 });
    expect(budget.take()).toEqual({ write: false });
    now = 600_000; // a quiet while refills the burst, no more
    expect([budget.take(), budget.take(), budget.take(), budget.take()]).toEqual([
      { write: true, suppressed: 1 },
      { write: true, suppressed: 0 },
      { write: true, suppressed: 0 },
      { write: false },
    ]);
  });
});
