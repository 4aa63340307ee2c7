// What a request to the operator's port needs, from its path alone (pure). The rights are
// Kubernetes' own, checked with SubjectAccessReview: whoever may `get` a Trace may read
// what netgraph saw for it, and /metrics wants `get` on the non-resource URL /metrics,
// the right Prometheus ServiceAccounts already hold. The rest of the page (its HTML and
// scripts, the trace list, which shows only Traces the caller may get) wants an identity.
import { parseApiPath } from '../../api/graph.js';
import { GROUP, PLURAL } from '../../api/trace.js';

/** A SubjectAccessReview's question, without its subject. */
export type Permission =
  | {
      kind: 'resource';
      verb: 'get';
      group: string;
      resource: string;
      namespace: string;
      name: string;
    }
  | { kind: 'nonResource'; verb: 'get'; path: string };

/**
 * `none`: open to anyone; `authenticated`: any identity; `no such path`: an API path that
 * names nothing (404, once the caller is known); else the permission it needs.
 */
export type Requirement = 'none' | 'authenticated' | 'no such path' | Permission;

export const PUBLIC_PATHS = ['/healthz', '/readyz'] as const;

export const traceGet = (namespace: string, name: string): Permission => ({
  kind: 'resource',
  verb: 'get',
  group: GROUP,
  resource: PLURAL,
  namespace,
  name,
});

export function requirementOf(path: string): Requirement {
  if ((PUBLIC_PATHS as readonly string[]).includes(path)) return 'none';
  if (path === '/metrics') return { kind: 'nonResource', verb: 'get', path };
  // Outside /api/, the page's files; under it, the paths as the handlers read them.
  if (path.split('/')[1] !== 'api') return 'authenticated';
  const at = parseApiPath(path);
  if (at === undefined) return 'no such path';
  return at.kind === 'list' ? 'authenticated' : traceGet(at.namespace, at.name);
}

/** "get traces.gadget.kinvolk.io in namespace gadget", for a 403 the caller can act on. */
export function describePermission(p: Permission): string {
  if (p.kind === 'nonResource') return `${p.verb} on the non-resource URL ${p.path}`;
  return `${p.verb} ${p.resource}.${p.group} ${JSON.stringify(p.name)} in namespace ${p.namespace}`;
}
