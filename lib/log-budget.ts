// How many lines a log may write for one kind of event: a burst, then so many a minute,
// so a flood of refused requests can neither fill the disk nor drown the other lines.
// What is not written is counted, and the next line written says how many.
export type LogTurn = { write: false } | { write: true; suppressed: number };

export class LogBudget {
  private tokens: number;
  private last: number;
  private dropped = 0;

  constructor(
    private readonly perMinute = 10,
    private readonly burst = 10,
    private readonly now: () => number = Date.now,
  ) {
    this.tokens = burst;
    this.last = now();
  }

  /** Whether to write this line, and how many were not written since the last that was. */
  take(): LogTurn {
    const t = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((t - this.last) * this.perMinute) / 60_000);
    this.last = t;
    if (this.tokens < 1) {
      this.dropped++;
      return { write: false };
    }
    this.tokens -= 1;
    const suppressed = this.dropped;
    this.dropped = 0;
    return { write: true, suppressed };
  }
}
