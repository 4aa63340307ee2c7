// A Lease this process holds and renews: an agent's for its node, an operator replica's
// for its place in the ring. Renewal patches it (creating it if it is gone); stopping
// deletes it, which tells its readers at once rather than when it expires.
import type { Lease } from '../api/agent.js';
import { isConflict, isNotFound, type KubeClient } from './kube.js';
import type { Logger } from './log.js';

export class HeldLease {
  private timer?: NodeJS.Timeout;
  private retry?: NodeJS.Timeout;
  private stopped = false;
  /** When the last renewal was written (ms since epoch); 0 before the first. */
  renewedAt = 0;

  /** `lease` builds the object to write, renewed at the time given. */
  constructor(
    private readonly kube: KubeClient,
    /** The Leases collection of its namespace. */
    private readonly collection: string,
    private readonly name: string,
    private readonly lease: (renewed: Date) => Lease,
    private readonly log: Logger,
  ) {}

  async start(renewMs = 5000): Promise<void> {
    await this.renew();
    this.timer = setInterval(() => this.renewOrRetry(), renewMs);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    clearTimeout(this.retry);
    await this.kube.request('DELETE', `${this.collection}/${this.name}`).catch(() => {});
  }

  /** A failed renewal is tried again a second later, not a period later: a Lease runs out. */
  private renewOrRetry(): void {
    clearTimeout(this.retry);
    this.renew().catch((err) => {
      this.log.warn({ err }, 'lease renewal failed');
      if (!this.stopped) this.retry = setTimeout(() => this.renewOrRetry(), 1000);
    });
  }

  async renew(): Promise<void> {
    const now = new Date();
    const lease = this.lease(now);
    try {
      await this.kube.mergePatch(`${this.collection}/${this.name}`, lease);
    } catch (err) {
      if (!isNotFound(err)) throw err;
      await this.kube.request('POST', this.collection, lease).catch((e) => {
        if (!isConflict(e)) throw e;
      });
    }
    this.renewedAt = now.getTime();
  }
}
