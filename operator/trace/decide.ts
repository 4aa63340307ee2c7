// What the operator does with a Trace, decided from the object alone (and
// whether this process runs it): pure, so every path is tested fast.
import {
  FINALIZER,
  GADGET,
  isOperation,
  OPERATION_ANNOTATION,
  type Trace,
  type TraceParameters,
} from '../../api/trace.js';
import { type Validation, validateSpec } from '../../api/validate.js';
import { scopeToNamespace } from './namespace-scope.js';

type ValidSpec = Extract<Validation, { ok: true }>;

export type Decision =
  /** Being deleted: stop everywhere, then release the finalizer. */
  | { kind: 'finalize' }
  | { kind: 'addFinalizer' }
  /** Set status.operationError and change nothing else. */
  | { kind: 'error'; error: string }
  | { kind: 'start'; spec: ValidSpec['spec']; parameters: TraceParameters }
  /** Started in status but not running here: the operator restarted. */
  | { kind: 'resume'; spec: ValidSpec['spec']; parameters: TraceParameters }
  | { kind: 'stop' }
  /** NetworkPolicies from the trace's edges (operator/policy). */
  | { kind: 'generate' }
  /** A pending operation a stopped leader carried out but did not mark done: mark it now. */
  | { kind: 'done' }
  | { kind: 'none' };

export interface DecisionContext {
  /** This operator process runs the trace now. */
  running: boolean;
  /** Namespaces whose Traces may trace other namespaces (namespace-scope.ts). */
  trusted: ReadonlySet<string>;
}

export interface Decided {
  decision: Decision;
  /** The operation carried out (from the annotation, or pending in status), if any. */
  operation?: string;
}

/** A valid spec held to the namespaces its Trace may trace. */
function scoped(v: Validation, namespace: string, trusted: ReadonlySet<string>): Validation {
  if (!v.ok) return v;
  const s = scopeToNamespace(v.spec, namespace, trusted);
  return s.ok ? { ...v, spec: { ...v.spec, ...s.spec } } : s;
}

/** The spec and parameters a Trace runs with, if it may run as it is. */
export function runnable(
  trace: Trace,
  trusted: ReadonlySet<string>,
): { spec: ValidSpec['spec']; parameters: TraceParameters } | undefined {
  const v = scoped(validateSpec(trace.spec), trace.metadata.namespace, trusted);
  return v.ok ? { spec: v.spec, parameters: v.parameters } : undefined;
}

export function decide(trace: Trace, ctx: DecisionContext): Decided {
  const meta = trace.metadata;
  if (meta.deletionTimestamp) return { decision: { kind: 'finalize' } };
  if (!meta.finalizers?.includes(FINALIZER)) return { decision: { kind: 'addFinalizer' } };

  const status = trace.status ?? {};
  const pending = status.pendingOperation;
  const operation = meta.annotations?.[OPERATION_ANNOTATION] ?? pending?.operation;
  const started = status.state === 'Started';
  const v = scoped(validateSpec(trace.spec), meta.namespace, ctx.trusted);

  // A start or stop takes its time from the pending record: finding it set means it was done.
  if (
    pending !== undefined &&
    pending.operation === operation &&
    ((operation === 'start' && started && status.startedAt === pending.at) ||
      (operation === 'stop' && status.state === 'Stopped' && status.stoppedAt === pending.at))
  )
    return { decision: { kind: 'done' }, operation };

  if (operation !== undefined) {
    const decision = ((): Decision => {
      switch (isOperation(operation) ? operation : undefined) {
        case 'start':
          return v.ok
            ? { kind: 'start', spec: v.spec, parameters: v.parameters }
            : { kind: 'error', error: v.error };
        case 'stop':
          return started || ctx.running
            ? { kind: 'stop' }
            : { kind: 'error', error: 'Not started' };
        case 'generate':
          return status.state !== undefined || ctx.running
            ? { kind: 'generate' }
            : { kind: 'error', error: 'Not started' };
        default:
          return {
            kind: 'error',
            error: `Unsupported operation ${JSON.stringify(operation)} for gadget ${JSON.stringify(trace.spec?.gadget ?? GADGET)}`,
          };
      }
    })();
    return { decision, operation };
  }

  if (started && !ctx.running) {
    return {
      decision: v.ok
        ? { kind: 'resume', spec: v.spec, parameters: v.parameters }
        : { kind: 'stop' },
    };
  }
  if (!v.ok) {
    // A bad spec is reported once, without an operation, so the user sees it on apply.
    return {
      decision:
        status.operationError === v.error ? { kind: 'none' } : { kind: 'error', error: v.error },
    };
  }
  if (v.spec.runMode === 'Auto' && status.state === undefined && !ctx.running) {
    return { decision: { kind: 'start', spec: v.spec, parameters: v.parameters } };
  }
  return { decision: { kind: 'none' } };
}
