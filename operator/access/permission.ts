// What a request to the operator's port needs, from its path alone (pure). The rights are
// Kubernetes' own, checked with SubjectAccessReview: whoever may `get` a Trace may read
// what netgraph saw for it, and /metrics wants `get` on the non-resource URL /metrics,
// the right Prometheus ServiceAccounts already hold. The rest of the page (its HTML and
// scripts, the trace list, which shows only Traces the caller may get) wants an identity.
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

/** `none`: open to anyone; `authenticated`: any identity; else the permission it needs. */
export type Requirement = 'none' | 'authenticated' | Permission;

export const PUBLIC_PATHS = ['/healthz', '/readyz'] as const;

/** Paths whose next two segments name a Trace: `<prefix><namespace>/<name>[/...]`. */
const TRACE_PREFIXES = ['/api/v1/traces/', '/api/v1/networkpolicies/'];

export const traceGet = (namespace: string, name: string): Permission => ({
  kind: 'resource',
  verb: 'get',
  group: GROUP,
  resource: PLURAL,
  namespace,
  name,
});

function decoded(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

export function requirementOf(path: string): Requirement {
  if ((PUBLIC_PATHS as readonly string[]).includes(path)) return 'none';
  if (path === '/metrics') return { kind: 'nonResource', verb: 'get', path };
  for (const prefix of TRACE_PREFIXES) {
    if (!path.startsWith(prefix)) continue;
    const [ns, name] = path.slice(prefix.length).split('/').map(decoded);
    // A malformed trace path is the handler's 404, once the caller is known.
    if (!ns || !name) return 'authenticated';
    return traceGet(ns, name);
  }
  return 'authenticated';
}

/** "get traces.gadget.kinvolk.io in namespace gadget", for a 403 the caller can act on. */
export function describePermission(p: Permission): string {
  if (p.kind === 'nonResource') return `${p.verb} on the non-resource URL ${p.path}`;
  return `${p.verb} ${p.resource}.${p.group} ${JSON.stringify(p.name)} in namespace ${p.namespace}`;
}
