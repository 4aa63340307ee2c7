// Exponential backoff with a cap and jitter, the one retry pace of the code base:
// the work queue's per-key retries, the watch loop and the agent sessions use it.
// Jitter spreads retries that failed together (an apiserver restart fails every
// watch at once) so they do not come back together.

export interface BackoffPolicy {
  /** The first retry's delay. */
  initialMs: number;
  /** No delay grows beyond this. */
  maxMs: number;
  /** Growth per failure (default 2). */
  factor?: number;
  /** Up to this share of a delay is taken off at random (default 0.2), so none exceeds the cap. */
  jitter?: number;
}

/** The delay before retry number `failures` (1: the first): initial x factor^(failures-1), capped, jittered. */
export function backoffDelay(
  policy: BackoffPolicy,
  failures: number,
  random: () => number = Math.random,
): number {
  const { initialMs, maxMs, factor = 2, jitter = 0.2 } = policy;
  const base = Math.min(maxMs, initialMs * factor ** Math.max(0, failures - 1));
  return Math.round(base * (1 - jitter * random()));
}

/** One run of failures: next() is the delay before the next try; reset() once a try succeeds. */
export class Backoff {
  private failures = 0;

  constructor(
    private readonly policy: BackoffPolicy,
    private readonly random: () => number = Math.random,
  ) {}

  next(): number {
    this.failures++;
    return backoffDelay(this.policy, this.failures, this.random);
  }

  reset(): void {
    this.failures = 0;
  }
}
