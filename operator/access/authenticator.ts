// Who is calling the operator's port, as Kubernetes' own extension servers decide it: a
// client certificate signed by the cluster's client CA (the apiserver publishes it in
// kube-system/extension-apiserver-authentication; a kubeconfig with a certificate works),
// else a bearer token the TokenReview API vouches for (lib/token-review.ts, cached). A
// caller's address that sends 10 tokens the API refuses within a minute gets Throttled
// (429) for any token not known good until that minute is over: a flood of made-up tokens
// costs the apiserver 10 reviews a minute per address, not one a request.
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { FailureBudgetOptions } from '../../lib/failure-budget.js';
import type { KubeClient } from '../../lib/kube.js';
import type { Result } from '../../lib/result.js';
import {
  bearerToken,
  type Throttled,
  TokenReviewer,
  type UserInfo,
} from '../../lib/token-review.js';

export type { UserInfo };
export type Authentication = Result<{ user: UserInfo }> | Throttled;

export class Authenticator {
  private readonly tokens: TokenReviewer;
  /**
   * Client certificates count only once the cluster's client CA is the server's CA: before
   * that the TLS layer checks them against a placeholder (client-ca.ts).
   */
  clientCAKnown = false;

  constructor(
    kube: Pick<KubeClient, 'request'>,
    opts: {
      /** 0: ask the API every time (the benchmark's baseline). */
      cacheSize?: number;
      budget?: FailureBudgetOptions;
      now?: () => number;
    } = {},
  ) {
    this.tokens = new TokenReviewer(kube, { ...opts, cacheSize: opts.cacheSize ?? 4096 });
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
    const token = bearerToken(req.headers.authorization);
    if (!token) {
      const why = socket.getPeerCertificate?.()?.subject
        ? `client certificate refused (${socket.authorizationError ?? 'not signed by the cluster client CA'})`
        : 'no bearer token and no client certificate';
      return { ok: false, error: why };
    }
    const verdict = await this.tokens.review(token, req.socket.remoteAddress ?? '');
    return verdict.ok ? { ok: true, user: verdict.user } : verdict;
  }
}
