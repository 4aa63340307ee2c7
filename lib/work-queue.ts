// A work queue keyed by name: one key is never handled twice at once, and a key
// added while it is being handled is handled once more afterwards (events that
// arrive meanwhile collapse into that one run), as client-go's workqueue does.
import type { Logger } from './log.js';

export class WorkQueue {
  private readonly running = new Set<string>();
  private readonly again = new Set<string>();
  private readonly idle = new Set<() => void>();

  constructor(
    private readonly handle: (key: string) => Promise<void>,
    private readonly log: Logger,
  ) {}

  add(key: string): void {
    if (this.running.has(key)) {
      this.again.add(key);
      return;
    }
    this.running.add(key);
    void this.run(key);
  }

  /** Resolves when nothing is queued or running. */
  drained(): Promise<void> {
    if (this.running.size === 0) return Promise.resolve();
    return new Promise((r) => this.idle.add(r));
  }

  private async run(key: string): Promise<void> {
    do {
      this.again.delete(key);
      try {
        await this.handle(key);
      } catch (err) {
        // The handler reports its own errors where users look; this is the last net.
        this.log.error({ key, err: String(err) }, 'handler failed');
      }
    } while (this.again.has(key));
    this.running.delete(key);
    if (this.running.size === 0) {
      for (const r of this.idle) r();
      this.idle.clear();
    }
  }
}
