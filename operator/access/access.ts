// operator/access: who may see what on the operator's port. Every request but /healthz
// and /readyz needs a Kubernetes identity (authenticator.ts: a client certificate of the
// cluster's client CA, or a bearer token through TokenReview), and each path the right
// permission.ts names (authorizer.ts: SubjectAccessReview): 401 without an identity, 403
// naming the missing verb and resource without the right, 429 with Retry-After for an
// address past its budget of refused tokens (lib/failure-budget.ts). The port serves HTTPS
// (serving-cert.ts) and its answers carry headers that keep a browser from framing it,
// sniffing it or leaking its URLs (SECURITY_HEADERS).
import type { IncomingMessage } from 'node:http';
import type { GuardAnswer } from '../../lib/http-server.js';
import type { Logger } from '../../lib/log.js';
import { LogBudget } from '../../lib/log-budget.js';
import { isThrottled, retryAfterSeconds } from '../../lib/token-review.js';
import type { Authenticator, UserInfo } from './authenticator.js';
import type { Authorizer } from './authorizer.js';
import { describePermission, requirementOf, traceGet } from './permission.js';

/** The page loads its script, style and layout worker from this origin and nothing else. */
export const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy':
    "default-src 'self'; worker-src 'self' blob:; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

export class Access {
  private readonly users = new WeakMap<IncomingMessage, UserInfo>();
  /** Throttled requests are logged 10 a minute at most, with how many were not. */
  private readonly throttled = new LogBudget();

  constructor(
    private readonly authn: Authenticator,
    private readonly authz: Authorizer,
    private readonly log: Logger,
  ) {}

  /** The HttpServer guard: authenticates, then checks the path's permission. */
  readonly guard = async (req: IncomingMessage, url: URL): Promise<GuardAnswer> => {
    const need = requirementOf(url.pathname);
    if (need === 'none') return undefined;
    const who = await this.authn.authenticate(req);
    if (!who.ok && isThrottled(who)) {
      const retryAfter = retryAfterSeconds(who);
      const turn = this.throttled.take();
      if (turn.write)
        this.log.warn(
          {
            path: url.pathname,
            from: req.socket.remoteAddress,
            retryAfter,
            ...(turn.suppressed > 0 && { notLogged: turn.suppressed }),
          },
          'bearer token not reviewed: address past its budget of refused tokens',
        );
      return {
        status: 429,
        error: `Too Many Requests: ${who.error}`,
        headers: { 'retry-after': String(retryAfter) },
      };
    }
    if (!who.ok) {
      this.log.debug({ path: url.pathname, reason: who.error }, 'unauthenticated request');
      return {
        status: 401,
        error: `Unauthorized: ${who.error}`,
        headers: { 'www-authenticate': 'Bearer realm="netgraph"' },
      };
    }
    this.users.set(req, who.user);
    if (need === 'authenticated') return undefined;
    if (need === 'no such path') return { status: 404, error: `no such path: ${url.pathname}` };
    let allowed: boolean;
    try {
      allowed = await this.authz.allowed(who.user, need);
    } catch (err) {
      this.log.warn({ err, path: url.pathname }, 'SubjectAccessReview failed');
      return { status: 503, error: 'authorization is unavailable: the API server did not answer' };
    }
    if (allowed) return undefined;
    return {
      status: 403,
      error: `Forbidden: user ${JSON.stringify(who.user.username)} may not ${describePermission(need)}`,
    };
  };

  /** Who made a request the guard let through. */
  userOf(req: IncomingMessage): UserInfo | undefined {
    return this.users.get(req);
  }

  /** For lists: may the caller of `req` get this Trace? Unavailable authorization says no. */
  async mayGetTrace(req: IncomingMessage, namespace: string, name: string): Promise<boolean> {
    const user = this.users.get(req);
    if (!user) return false;
    return this.authz.allowed(user, traceGet(namespace, name)).catch(() => false);
  }
}
