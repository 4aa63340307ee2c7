// What start, stop and generate print once the operator has handled the operation: the
// state it left the Trace in, or the operationError it wrote (then the exit code is 1).
import { OPERATION_ANNOTATION, type Operation, type Trace } from '../api/trace.js';

/** The operator takes the annotation into status.pendingOperation, and clears that when done. */
export const handled = (t: Trace, op: Operation): boolean =>
  t.metadata.annotations?.[OPERATION_ANNOTATION] !== op &&
  t.status?.pendingOperation?.operation !== op;

export interface Outcome {
  ok: boolean;
  /** For stdout (ok) or stderr (not ok). */
  text: string;
  warnings: string[];
}

export function outcome(t: Trace, op: Operation): Outcome {
  const key = `${t.metadata.namespace}/${t.metadata.name}`;
  const s = t.status ?? {};
  const warnings = s.operationWarning ? [s.operationWarning] : [];
  if (s.operationError) return { ok: false, text: `${key}: ${s.operationError}`, warnings };
  if (op === 'generate') {
    const n = s.policies ?? 0;
    const where = s.output?.startsWith('ConfigMap ')
      ? s.output
      : `status.output (kubectl get trace -n ${t.metadata.namespace} ${t.metadata.name} -o jsonpath='{.status.output}')`;
    return { ok: true, text: `${key}: ${n} NetworkPolicies in ${where}`, warnings };
  }
  const nodes = Object.entries(s.nodes ?? {})
    .sort(([a], [b]) => a.localeCompare(b))
    .map(
      ([node, n]) => `  ${node}: ${n.state}, ${n.pods ?? 0} pods${n.reason ? `: ${n.reason}` : ''}`,
    );
  const edges = s.edges === undefined ? '' : `, ${s.edges} edges`;
  return { ok: true, text: [`${key} ${s.state ?? '?'}${edges}`, ...nodes].join('\n'), warnings };
}
