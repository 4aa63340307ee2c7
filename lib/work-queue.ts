// A work queue keyed by name, as client-go's rate-limited workqueue: one key is
// never handled twice at once, a key added while it is being handled is handled
// once more afterwards (events that arrive meanwhile collapse into that run), and
// a key whose handler fails is retried after a per-key exponential backoff that a
// success resets. A handler that throws DoNotRetry is logged and not retried: the
// input is wrong and the handler has reported it where users look.
import { type BackoffPolicy, backoffDelay } from './backoff.js';
import type { Logger } from './log.js';

/** A failure that retrying cannot fix (a bad spec, a write the API refuses as invalid). */
export class DoNotRetry extends Error {
  override readonly name = 'DoNotRetry';
}

export interface WorkQueueOptions {
  /** Default: 200 ms doubling to 5 min, as client-go's controllers. */
  backoff?: BackoffPolicy;
  /** What a run is called in the log (default 'handle'). */
  name?: string;
  /** The log field that carries the key (default 'key'). */
  keyField?: string;
  random?: () => number;
}

export class WorkQueue {
  private readonly running = new Set<string>();
  private readonly again = new Set<string>();
  private readonly idle = new Set<() => void>();
  /** Failures in a row per key: the backoff's exponent. */
  private readonly failures = new Map<string, number>();
  private readonly retries = new Map<string, NodeJS.Timeout>();
  private readonly backoff: BackoffPolicy;
  private shut = false;

  constructor(
    private readonly handle: (key: string) => Promise<void>,
    private readonly log: Logger,
    private readonly opts: WorkQueueOptions = {},
  ) {
    this.backoff = opts.backoff ?? { initialMs: 200, maxMs: 300_000 };
  }

  add(key: string): void {
    if (this.shut) return;
    if (this.running.has(key)) {
      this.again.add(key);
      return;
    }
    this.running.add(key);
    void this.run(key);
  }

  /** Failures in a row of a key (0 once it succeeded). */
  failuresOf(key: string): number {
    return this.failures.get(key) ?? 0;
  }

  /** Resolves when nothing is running (retries waiting for their time do not count). */
  drained(): Promise<void> {
    if (this.running.size === 0) return Promise.resolve();
    return new Promise((r) => this.idle.add(r));
  }

  /** Drops waiting retries and takes no more keys. */
  shutdown(): void {
    this.shut = true;
    for (const t of this.retries.values()) clearTimeout(t);
    this.retries.clear();
  }

  private async run(key: string): Promise<void> {
    do {
      this.again.delete(key);
      // This run supersedes a retry that was waiting.
      clearTimeout(this.retries.get(key));
      this.retries.delete(key);
      try {
        await this.handle(key);
        this.failures.delete(key);
      } catch (err) {
        this.failed(key, err);
      }
    } while (this.again.has(key));
    this.running.delete(key);
    if (this.running.size === 0) {
      for (const r of this.idle) r();
      this.idle.clear();
    }
  }

  private failed(key: string, err: unknown): void {
    const what = this.opts.name ?? 'handle';
    const field = this.opts.keyField ?? 'key';
    if (err instanceof DoNotRetry) {
      this.failures.delete(key);
      this.log.warn({ [field]: key, err }, `${what} failed, not retried`);
      return;
    }
    const failures = this.failuresOf(key) + 1;
    this.failures.set(key, failures);
    const retryMs = backoffDelay(this.backoff, failures, this.opts.random);
    this.log.warn({ [field]: key, err, failures, retryMs }, `${what} failed, retrying`);
    if (this.shut) return;
    const timer = setTimeout(() => {
      this.retries.delete(key);
      this.add(key);
    }, retryMs);
    timer.unref();
    this.retries.set(key, timer);
  }
}
