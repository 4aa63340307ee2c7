// Which namespaces a Trace may trace (pure). Seeing a namespace's traffic is seeing its
// pods' conversations, so a Trace stays in its own namespace unless it lives in a trusted
// one: by default the operator's own and `gadget` (where Inspektor Gadget puts Traces,
// so its example keeps working). Whoever may create Traces in a trusted namespace may see
// the whole cluster's traffic.
import { filterNamespaceList } from '../../api/filter.js';
import type { TraceSpec } from '../../api/trace.js';
import type { Result } from '../../lib/result.js';

/** The spec as it will run: outside a trusted namespace, an empty filter.namespace means its own. */
export function scopeToNamespace(
  spec: TraceSpec,
  traceNamespace: string,
  trusted: ReadonlySet<string>,
): Result<{ spec: TraceSpec }> {
  if (trusted.has(traceNamespace)) return { ok: true, spec };
  const asked = filterNamespaceList(spec.filter);
  const outside = asked.filter((n) => n !== traceNamespace);
  if (outside.length > 0)
    return {
      ok: false,
      error: `filter.namespace ${JSON.stringify(outside.join(','))} is outside this Trace's namespace ${JSON.stringify(traceNamespace)}: only Traces in a trusted namespace (${[...trusted].join(', ')}) may trace other namespaces`,
    };
  return { ok: true, spec: { ...spec, filter: { ...spec.filter, namespace: traceNamespace } } };
}
