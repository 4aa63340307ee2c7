// Who may command an agent: only the operator's ServiceAccount, with a token bound
// to the agents' audience, as the Kubernetes TokenReview API judges it.
import { createHash } from 'node:crypto';
import { AGENT_AUDIENCE } from '../../api/agent.js';
import type { Kube } from '../../lib/kube.js';

export type Verdict = { ok: true; user: string } | { ok: false; reason: string };

interface TokenReview {
  status?: {
    authenticated?: boolean;
    user?: { username?: string };
    audiences?: string[];
    error?: string;
  };
}

export class Authenticator {
  // Verdicts are cached briefly (by token hash) so a stream reconnect costs no API call.
  private readonly cache = new Map<string, { until: number; verdict: Verdict }>();

  constructor(
    private readonly kube: Kube,
    /** The only user allowed: system:serviceaccount:<namespace>:<name>. */
    readonly allowedUser: string,
    private readonly ttlMs = 60_000,
  ) {}

  async check(authorization: string | undefined): Promise<Verdict> {
    const token = /^Bearer (\S+)$/.exec(authorization ?? '')?.[1];
    if (!token) return { ok: false, reason: 'no bearer token' };
    const id = createHash('sha256').update(token).digest('hex');
    const hit = this.cache.get(id);
    if (hit && hit.until > Date.now()) return hit.verdict;
    const verdict = await this.review(token);
    if (this.cache.size > 1000) this.cache.clear();
    // Refusals are cached for less time: a token may be valid a moment later (clock skew).
    this.cache.set(id, { until: Date.now() + (verdict.ok ? this.ttlMs : 5000), verdict });
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
      return { ok: false, reason: `TokenReview failed: ${(err as Error).message}` };
    }
    const s = res.status;
    if (!s?.authenticated)
      return { ok: false, reason: `token not authenticated${s?.error ? `: ${s.error}` : ''}` };
    if (!s.audiences?.includes(AGENT_AUDIENCE))
      return { ok: false, reason: 'token not bound to the agent audience' };
    const user = s.user?.username ?? '';
    if (user !== this.allowedUser) return { ok: false, reason: `user ${user} is not the operator` };
    return { ok: true, user };
  }
}
