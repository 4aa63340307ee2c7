import { describe, expect, it } from 'vitest';
import { FailureBudget } from './failure-budget.js';

describe('FailureBudget', () => {
  it('lets a client fail 10 times in a minute, then makes it wait until the minute is over', () => {
    let now = 0;
    const budget = new FailureBudget({}, () => now);
    for (let i = 0; i < 10; i++) {
      expect(budget.wait('a')).toBe(0);
      budget.charge('a');
      now += 1_000;
    }
    expect(budget.wait('a')).toBe(50_000); // the window began at the first try
    expect(budget.wait('b')).toBe(0); // another client has a budget of its own
    now = 59_999;
    expect(budget.wait('a')).toBe(1);
    now = 60_000;
    expect(budget.wait('a')).toBe(0);
    budget.charge('a'); // a new window, one try in it
    expect(budget.wait('a')).toBe(0);
  });

  it('does not count tries that succeeded, nor prolong the window for clients that wait', () => {
    let now = 0;
    const budget = new FailureBudget({ failures: 3, windowMs: 10_000 }, () => now);
    budget.charge('a');
    budget.refund('a'); // a good token
    expect(budget.size).toBe(0);
    for (let i = 0; i < 3; i++) budget.charge('a');
    now = 9_000;
    expect(budget.wait('a')).toBe(1_000);
    expect(budget.wait('a')).toBe(1_000); // asking again changes nothing
    budget.refund('a');
    expect(budget.wait('a')).toBe(0);
    budget.charge('a');
    expect(budget.wait('a')).toBe(1_000);
  });

  it('remembers a bounded number of clients, the least recently seen out first', () => {
    const budget = new FailureBudget({ failures: 1, maxClients: 100 }, () => 0);
    budget.charge('first');
    for (let i = 0; i < 1_000; i++) budget.charge(`flood-${i}`);
    expect(budget.size).toBe(100);
    expect(budget.wait('flood-999')).toBeGreaterThan(0);
    expect(budget.wait('first')).toBe(0); // pushed out: a fresh budget, no more
  });
});
