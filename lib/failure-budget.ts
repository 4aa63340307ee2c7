// How many tries that fail one client may make: a budget per client (an address) in a
// window that starts with its first try, so a client sending made-up bearer tokens costs
// the apiserver a few TokenReviews a minute rather than one a request. A try is charged
// when it starts (tries made at once count before any answer) and refunded when it
// succeeds; waiting does not prolong the window. Clients are kept in a bounded LRU: a
// flood from many addresses costs bounded memory (10,000 clients, under 2 MB), and one
// that pushes a client out only gives that client a fresh budget.
import { LRUCache } from 'lru-cache';

export interface FailureBudgetOptions {
  /** Tries that fail within a window before the client must wait (default 10). */
  failures?: number;
  /** How long a window lasts from a client's first try (default 60 s). */
  windowMs?: number;
  /** Clients remembered, the least recently seen out first (default 10,000). */
  maxClients?: number;
}

interface Window {
  start: number;
  tries: number;
}

export class FailureBudget {
  readonly failures: number;
  readonly windowMs: number;
  private readonly clients: LRUCache<string, Window>;

  constructor(
    opts: FailureBudgetOptions = {},
    private readonly now: () => number = Date.now,
  ) {
    this.failures = opts.failures ?? 10;
    this.windowMs = opts.windowMs ?? 60_000;
    this.clients = new LRUCache({ max: opts.maxClients ?? 10_000 });
  }

  /** 0 when `client` may try, else the milliseconds until its window ends. */
  wait(client: string): number {
    const t = this.now();
    const w = this.clients.get(client);
    if (!w || t - w.start >= this.windowMs || w.tries < this.failures) return 0;
    return w.start + this.windowMs - t;
  }

  /** One try by `client` (after wait() said 0), counted until it succeeds. */
  charge(client: string): void {
    const t = this.now();
    const w = this.clients.get(client);
    if (w && t - w.start < this.windowMs) w.tries++;
    else this.clients.set(client, { start: t, tries: 1 });
  }

  /** A try that succeeded does not count against the budget. */
  refund(client: string): void {
    const w = this.clients.peek(client);
    if (!w) return;
    w.tries = Math.max(0, w.tries - 1);
    if (w.tries === 0) this.clients.delete(client);
  }

  /** Clients remembered now. */
  get size(): number {
    return this.clients.size;
  }
}
