// Who may command an agent: only the operator's ServiceAccount, with a token bound
// to the agents' audience, as the Kubernetes TokenReview API judges it.
import { AGENT_AUDIENCE } from '../../api/agent.js';
import type { KubeClient } from '../../lib/kube.js';
import type { Result } from '../../lib/result.js';
import { bearerToken, TokenReviewer } from '../../lib/token-review.js';

/** Who the token belongs to, or why it is refused. */
export type Verdict = Result<{ user: string }>;

export class Authenticator {
  private readonly reviewer: TokenReviewer;

  constructor(
    kube: KubeClient,
    /** The only user allowed: system:serviceaccount:<namespace>:<name>. */
    readonly allowedUser: string,
    ttlMs = 60_000,
  ) {
    this.reviewer = new TokenReviewer(kube, { audiences: [AGENT_AUDIENCE], ttlMs });
  }

  async check(authorization: string | undefined): Promise<Verdict> {
    const token = bearerToken(authorization);
    if (!token) return { ok: false, error: 'no bearer token' };
    const v = await this.reviewer.review(token);
    if (!v.ok) return v;
    if (!v.audiences.includes(AGENT_AUDIENCE))
      return { ok: false, error: 'token not bound to the agent audience' };
    const user = v.user.username;
    if (user !== this.allowedUser) return { ok: false, error: `user ${user} is not the operator` };
    return { ok: true, user };
  }
}
