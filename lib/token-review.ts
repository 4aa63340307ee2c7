// Bearer tokens judged by the Kubernetes TokenReview API, for every port of netgraph that
// takes one (the agent's: only the operator; the operator's: any user). Verdicts are
// cached by the token's hash in a bounded LRU, so a page's requests or a stream's
// reconnects cost one review and a flood of made-up tokens costs bounded memory. Requests
// about one token share one review while it is on its way (a page opening several with a
// fresh token). A client's reviews that do not let a token in are bounded by a
// FailureBudget: past it, only tokens already known good are taken from that client, and
// the rest get a Throttled answer (429) without a review.
import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { FailureBudget, type FailureBudgetOptions } from './failure-budget.js';
import type { KubeClient } from './kube.js';
import { errorText, type Result } from './result.js';

export interface UserInfo {
  username: string;
  uid?: string;
  groups: string[];
  extra?: Record<string, string[]>;
}

/** Who the token belongs to and the audiences it is good for, or why it is refused. */
export type TokenVerdict = Result<{ user: UserInfo; audiences: string[] }>;

/** The client is past its budget of refused tokens: not reviewed; try again after this. */
export interface Throttled {
  ok: false;
  error: string;
  retryAfterMs: number;
}

export const isThrottled = (v: { ok: boolean }): v is Throttled => 'retryAfterMs' in v;

/** Its Retry-After, in whole seconds. */
export const retryAfterSeconds = (t: Throttled): number => Math.ceil(t.retryAfterMs / 1000);

interface TokenReview {
  status?: {
    authenticated?: boolean;
    user?: Partial<UserInfo>;
    audiences?: string[];
    error?: string;
  };
}

// A refused token may be valid a moment later (clock skew, a token just made).
const REFUSED_TTL_MS = 5_000;

export const bearerToken = (authorization: string | undefined): string | undefined =>
  /^Bearer (\S+)$/.exec(authorization ?? '')?.[1];

export class TokenReviewer {
  private readonly cache?: LRUCache<string, TokenVerdict>;
  /** Reviews on their way, by the token's hash: gone once answered. */
  private readonly inFlight = new Map<string, Promise<TokenVerdict>>();
  private readonly budget: FailureBudget;

  constructor(
    private readonly kube: Pick<KubeClient, 'request'>,
    private readonly opts: {
      /** The audiences to ask for; none: the API server's own. */
      audiences?: string[];
      /** 0: ask the API every time (a benchmark's baseline). Default 1000. */
      cacheSize?: number;
      /** How long a verdict that let the token in holds (default 60 s). */
      ttlMs?: number;
      /** Reviews one client may start that do not let a token in (default 10 a minute). */
      budget?: FailureBudgetOptions;
      /** The clock of the verdicts' lifetimes and the budget's windows (tests). */
      now?: () => number;
    } = {},
  ) {
    const max = opts.cacheSize ?? 1000;
    const clock = opts.now && { perf: { now: opts.now }, ttlResolution: 0 };
    if (max > 0) this.cache = new LRUCache({ max, ...clock });
    this.budget = new FailureBudget(opts.budget, opts.now);
  }

  /**
   * The token's verdict; from `client` (its address), a review it starts is charged to its
   * budget, and past the budget only a token known good is answered without Throttled.
   */
  async review(token: string, client?: string): Promise<TokenVerdict | Throttled> {
    const id = createHash('sha256').update(token).digest('hex');
    const hit = this.cache?.get(id);
    if (hit?.ok) return hit;
    const waitMs = client === undefined ? 0 : this.budget.wait(client);
    if (waitMs > 0) {
      const { failures, windowMs } = this.budget;
      return {
        ok: false,
        error: `${failures} bearer tokens refused from this address within ${windowMs / 1000} s: new tokens are not reviewed for ${Math.ceil(waitMs / 1000)} s`,
        retryAfterMs: waitMs,
      };
    }
    if (hit) return hit;
    // A review on its way is shared, and paid for by the client that started it.
    const shared = this.inFlight.get(id);
    if (shared) return shared;
    if (client !== undefined) this.budget.charge(client);
    const verdict = await this.start(id, token);
    if (verdict.ok && client !== undefined) this.budget.refund(client);
    return verdict;
  }

  private start(id: string, token: string): Promise<TokenVerdict> {
    const flight = this.ask(token)
      .then((verdict) => {
        this.cache?.set(id, verdict, {
          ttl: verdict.ok ? (this.opts.ttlMs ?? 60_000) : REFUSED_TTL_MS,
        });
        return verdict;
      })
      .finally(() => this.inFlight.delete(id));
    this.inFlight.set(id, flight);
    return flight;
  }

  private async ask(token: string): Promise<TokenVerdict> {
    let res: TokenReview;
    try {
      res = await this.kube.request<TokenReview>(
        'POST',
        '/apis/authentication.k8s.io/v1/tokenreviews',
        {
          apiVersion: 'authentication.k8s.io/v1',
          kind: 'TokenReview',
          spec: { token, ...(this.opts.audiences && { audiences: this.opts.audiences }) },
        },
      );
    } catch (err) {
      return { ok: false, error: `TokenReview failed: ${errorText(err)}` };
    }
    const s = res.status;
    if (!s?.authenticated || !s.user?.username)
      return { ok: false, error: `token not authenticated${s?.error ? `: ${s.error}` : ''}` };
    const { username, uid, groups = [], extra } = s.user;
    return { ok: true, user: { username, uid, groups, extra }, audiences: s.audiences ?? [] };
  }
}
