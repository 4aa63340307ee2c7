// Who is calling the operator's port, as Kubernetes' own extension servers decide it: a
// client certificate signed by the cluster's client CA (the apiserver publishes it in
// kube-system/extension-apiserver-authentication; a kubeconfig with a certificate works),
// else a bearer token the TokenReview API vouches for. Token verdicts are cached briefly,
// by the token's hash, in a bounded LRU.
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { LRUCache } from 'lru-cache';
import type { KubeClient } from '../../lib/kube.js';
import { errorText, type Result } from '../../lib/result.js';

export interface UserInfo {
  username: string;
  uid?: string;
  groups: string[];
  extra?: Record<string, string[]>;
}

export type Authentication = Result<{ user: UserInfo }>;

interface TokenReview {
  status?: {
    authenticated?: boolean;
    user?: { username?: string; uid?: string; groups?: string[]; extra?: Record<string, string[]> };
    error?: string;
  };
}

const TOKEN_OK_MS = 60_000;
// A refused token may be valid a moment later (clock skew, a token just made).
const TOKEN_REFUSED_MS = 5_000;

export class Authenticator {
  private readonly tokens?: LRUCache<string, Authentication>;
  /**
   * Client certificates count only once the cluster's client CA is the server's CA: before
   * that the TLS layer checks them against a placeholder (client-ca.ts).
   */
  clientCAKnown = false;

  constructor(
    private readonly kube: KubeClient,
    /** 0: ask the API every time (the benchmark's baseline). */
    opts: { cacheSize?: number } = {},
  ) {
    const max = opts.cacheSize ?? 4096;
    if (max > 0) this.tokens = new LRUCache({ max });
  }

  async authenticate(req: IncomingMessage): Promise<Authentication> {
    const socket = req.socket as Partial<TLSSocket>;
    const cert =
      this.clientCAKnown && socket.authorized ? socket.getPeerCertificate?.() : undefined;
    // As the API server reads a client certificate: CN the user, each O a group.
    const cn = cert?.subject?.CN === undefined ? undefined : [cert.subject.CN].flat()[0];
    if (cert && cn) {
      const o = cert.subject.O;
      return { ok: true, user: { username: cn, groups: o === undefined ? [] : [o].flat() } };
    }
    const token = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (!token) {
      const why = socket.getPeerCertificate?.()?.subject
        ? `client certificate refused (${socket.authorizationError ?? 'not signed by the cluster client CA'})`
        : 'no bearer token and no client certificate';
      return { ok: false, error: why };
    }
    const id = createHash('sha256').update(token).digest('hex');
    const hit = this.tokens?.get(id);
    if (hit) return hit;
    const verdict = await this.review(token);
    this.tokens?.set(id, verdict, { ttl: verdict.ok ? TOKEN_OK_MS : TOKEN_REFUSED_MS });
    return verdict;
  }

  private async review(token: string): Promise<Authentication> {
    let res: TokenReview;
    try {
      res = await this.kube.request<TokenReview>(
        'POST',
        '/apis/authentication.k8s.io/v1/tokenreviews',
        { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token } },
      );
    } catch (err) {
      return { ok: false, error: `TokenReview failed: ${errorText(err)}` };
    }
    const s = res.status;
    if (!s?.authenticated || !s.user?.username)
      return { ok: false, error: `token not authenticated${s?.error ? `: ${s.error}` : ''}` };
    const { username, uid, groups = [], extra } = s.user;
    return { ok: true, user: { username, uid, groups, extra } };
  }
}
