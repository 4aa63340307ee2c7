// Who may command an agent: only the operator's ServiceAccount, with a token bound
// to the agents' audience, as the Kubernetes TokenReview API judges it. The agent's port
// is the node's, open to every pod: an address that sends 10 tokens the API refuses
// within a minute gets Throttled (429) until that minute is over, so made-up tokens sent
// to every node cannot turn each agent into a source of TokenReviews.
import { AGENT_AUDIENCE } from '../../api/agent.js';
import type { FailureBudgetOptions } from '../../lib/failure-budget.js';
import type { KubeClient } from '../../lib/kube.js';
import type { Result } from '../../lib/result.js';
import { bearerToken, type Throttled, TokenReviewer } from '../../lib/token-review.js';

/** Who the token belongs to, or why it is refused. */
export type Verdict = Result<{ user: string }> | Throttled;

export class Authenticator {
  private readonly reviewer: TokenReviewer;

  constructor(
    kube: KubeClient,
    /** The only user allowed: system:serviceaccount:<namespace>:<name>. */
    readonly allowedUser: string,
    ttlMs = 60_000,
    budget?: FailureBudgetOptions,
  ) {
    this.reviewer = new TokenReviewer(kube, { audiences: [AGENT_AUDIENCE], ttlMs, budget });
  }

  /** `from`: the caller's address, whose refused tokens are counted against its budget. */
  async check(authorization: string | undefined, from?: string): Promise<Verdict> {
    const token = bearerToken(authorization);
    if (!token) return { ok: false, error: 'no bearer token' };
    const v = await this.reviewer.review(token, from);
    if (!v.ok) return v;
    if (!v.audiences.includes(AGENT_AUDIENCE))
      return { ok: false, error: 'token not bound to the agent audience' };
    const user = v.user.username;
    if (user !== this.allowedUser) return { ok: false, error: `user ${user} is not the operator` };
    return { ok: true, user };
  }
}
