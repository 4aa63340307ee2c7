// Who may command an agent: only the operator's ServiceAccount, with a token bound
// to the agents' audience, as the Kubernetes TokenReview API judges it.
import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { AGENT_AUDIENCE } from '../../api/agent.js';
import type { KubeClient } from '../../lib/kube.js';
import { errorText, type Result } from '../../lib/result.js';

/** Who the token belongs to, or why it is refused. */
export type Verdict = Result<{ user: string }>;

interface TokenReview {
  status?: {
    authenticated?: boolean;
    user?: { username?: string };
    audiences?: string[];
    error?: string;
  };
}

export class Authenticator {
  // Verdicts are cached briefly (by token hash) so a stream reconnect costs no API call;
  // bounded, least recently used out first, so a flood of made-up tokens cannot push the
  // operator's out or grow the agent's memory.
  private readonly cache = new LRUCache<string, Verdict>({ max: 1000 });

  constructor(
    private readonly kube: KubeClient,
    /** The only user allowed: system:serviceaccount:<namespace>:<name>. */
    readonly allowedUser: string,
    private readonly ttlMs = 60_000,
  ) {}

  async check(authorization: string | undefined): Promise<Verdict> {
    const token = /^Bearer (\S+)$/.exec(authorization ?? '')?.[1];
    if (!token) return { ok: false, error: 'no bearer token' };
    const id = createHash('sha256').update(token).digest('hex');
    const hit = this.cache.get(id);
    if (hit) return hit;
    const verdict = await this.review(token);
    // Refusals are cached for less time: a token may be valid a moment later (clock skew).
    this.cache.set(id, verdict, { ttl: verdict.ok ? this.ttlMs : 5000 });
    return verdict;
  }

  private async review(token: string): Promise<Verdict> {
    let res: TokenReview;
    try {
      res = await this.kube.request<TokenReview>(
        'POST',
        '/apis/authentication.k8s.io/v1/tokenreviews',
        {
          apiVersion: 'authentication.k8s.io/v1',
          kind: 'TokenReview',
          spec: { token, audiences: [AGENT_AUDIENCE] },
        },
      );
    } catch (err) {
      return { ok: false, error: `TokenReview failed: ${errorText(err)}` };
    }
    const s = res.status;
    if (!s?.authenticated)
      return { ok: false, error: `token not authenticated${s?.error ? `: ${s.error}` : ''}` };
    if (!s.audiences?.includes(AGENT_AUDIENCE))
      return { ok: false, error: 'token not bound to the agent audience' };
    const user = s.user?.username ?? '';
    if (user !== this.allowedUser) return { ok: false, error: `user ${user} is not the operator` };
    return { ok: true, user };
  }
}
