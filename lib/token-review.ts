// Bearer tokens judged by the Kubernetes TokenReview API, for every port of netgraph that
// takes one (the agent's: only the operator; the operator's: any user). Verdicts are
// cached by the token's hash in a bounded LRU, so a page's requests or a stream's
// reconnects cost one review and a flood of made-up tokens costs bounded memory.
import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
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

  constructor(
    private readonly kube: Pick<KubeClient, 'request'>,
    private readonly opts: {
      /** The audiences to ask for; none: the API server's own. */
      audiences?: string[];
      /** 0: ask the API every time (a benchmark's baseline). Default 1000. */
      cacheSize?: number;
      /** How long a verdict that let the token in holds (default 60 s). */
      ttlMs?: number;
    } = {},
  ) {
    const max = opts.cacheSize ?? 1000;
    if (max > 0) this.cache = new LRUCache({ max });
  }

  async review(token: string): Promise<TokenVerdict> {
    const id = createHash('sha256').update(token).digest('hex');
    const hit = this.cache?.get(id);
    if (hit) return hit;
    const verdict = await this.ask(token);
    this.cache?.set(id, verdict, {
      ttl: verdict.ok ? (this.opts.ttlMs ?? 60_000) : REFUSED_TTL_MS,
    });
    return verdict;
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
