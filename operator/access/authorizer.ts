// May this user do that? Asked of the API server with a SubjectAccessReview, so
// netgraph's port grants exactly what the cluster's RBAC (or any authorizer the cluster
// runs) grants. Decisions are cached briefly in a bounded LRU: a page's requests and a
// scrape every 15 s cost one review, a revoked right holds for at most the TTL.

import { LRUCache } from 'lru-cache';
import type { KubeClient } from '../../lib/kube.js';
import type { UserInfo } from './authenticator.js';
import type { Permission } from './permission.js';

interface SubjectAccessReview {
  status?: { allowed?: boolean; denied?: boolean; reason?: string; evaluationError?: string };
}

const ALLOWED_MS = 30_000;
const DENIED_MS = 10_000;

export class Authorizer {
  private readonly decisions?: LRUCache<string, boolean>;

  constructor(
    private readonly kube: Pick<KubeClient, 'request'>,
    /** 0: ask the API every time (the benchmark's baseline). */
    opts: { cacheSize?: number } = {},
  ) {
    const max = opts.cacheSize ?? 8192;
    if (max > 0) this.decisions = new LRUCache({ max });
  }

  /** Throws when the API server cannot be asked (the caller answers 503). */
  async allowed(user: UserInfo, p: Permission): Promise<boolean> {
    const key = JSON.stringify([user.username, user.uid, user.groups, user.extra, p]);
    const hit = this.decisions?.get(key);
    if (hit !== undefined) return hit;
    const attributes =
      p.kind === 'resource'
        ? {
            resourceAttributes: {
              verb: p.verb,
              group: p.group,
              resource: p.resource,
              namespace: p.namespace,
              name: p.name,
            },
          }
        : { nonResourceAttributes: { verb: p.verb, path: p.path } };
    const res = await this.kube.request<SubjectAccessReview>(
      'POST',
      '/apis/authorization.k8s.io/v1/subjectaccessreviews',
      {
        apiVersion: 'authorization.k8s.io/v1',
        kind: 'SubjectAccessReview',
        spec: {
          user: user.username,
          uid: user.uid,
          groups: user.groups,
          extra: user.extra,
          ...attributes,
        },
      },
    );
    const allowed = res.status?.allowed === true && res.status.denied !== true;
    this.decisions?.set(key, allowed, { ttl: allowed ? ALLOWED_MS : DENIED_MS });
    return allowed;
  }
}
