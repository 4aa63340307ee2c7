// A Trace's status.conditions (pure): Ready and Degraded, derived from the rest of its
// status, so `kubectl wait --for=condition=Ready trace/x` and tools that read conditions
// see what state, nodes, operationError and operationWarning say. A condition keeps its
// lastTransitionTime while its status stays the same.
import type { TraceCondition, TraceStatus } from '../../api/trace.js';

type Verdict = Pick<TraceCondition, 'status' | 'reason' | 'message'>;

function ready(s: TraceStatus): Verdict {
  const nodes = Object.entries(s.nodes ?? {});
  const running = nodes.filter(([, n]) => n.state === 'Started').map(([name]) => name);
  if (s.state === 'Started') {
    if (running.length > 0)
      return {
        status: 'True',
        reason: 'Started',
        message: `running on ${running.length} of ${nodes.length} node${nodes.length === 1 ? '' : 's'}`,
      };
    return {
      status: 'False',
      reason: 'NoAgent',
      message:
        nodes.length === 0
          ? 'started, but no node is Ready with an agent'
          : `started, but no node runs it: ${nodes.map(([n, st]) => `${n} ${st.state}`).join(', ')}`,
    };
  }
  if (s.operationError)
    return { status: 'False', reason: 'OperationError', message: s.operationError };
  if (s.state === 'Stopped')
    return {
      status: 'False',
      reason: 'Stopped',
      message: `stopped${s.stoppedAt ? ` at ${s.stoppedAt}` : ''}`,
    };
  return {
    status: 'False',
    reason: 'NotStarted',
    message: 'not started: annotate it gadget.kinvolk.io/operation=start',
  };
}

function degraded(s: TraceStatus): Verdict {
  const nodes = Object.entries(s.nodes ?? {});
  const of = (state: string) =>
    nodes.filter(([, n]) => n.state === state).map(([n, st]) => `${n}: ${st.reason ?? state}`);
  const failed = of('Failed');
  if (failed.length > 0)
    return { status: 'True', reason: 'NodeFailed', message: failed.join('; ') };
  const missing = of('AgentMissing');
  if (missing.length > 0)
    return { status: 'True', reason: 'AgentMissing', message: missing.join('; ') };
  if (s.state === 'Started' && s.operationError)
    return { status: 'True', reason: 'OperationError', message: s.operationError };
  if (s.operationWarning) return { status: 'True', reason: 'Warning', message: s.operationWarning };
  return { status: 'False', reason: 'AsExpected', message: 'nothing is missing' };
}

/** The conditions `status` implies, at `now`; `previous` keeps unchanged ones' transition times. */
export function traceConditions(
  status: TraceStatus,
  previous: readonly TraceCondition[] | undefined,
  now: string,
  generation?: number,
): TraceCondition[] {
  const verdicts: [TraceCondition['type'], Verdict][] = [
    ['Ready', ready(status)],
    ['Degraded', degraded(status)],
  ];
  return verdicts.map(([type, v]) => {
    const before = previous?.find((c) => c.type === type);
    return {
      type,
      ...v,
      lastTransitionTime: before && before.status === v.status ? before.lastTransitionTime : now,
      ...(generation !== undefined && { observedGeneration: generation }),
    };
  });
}

/** `current` with a merge patch applied: a field set to null is gone, as the API server does. */
export function mergedStatus(
  current: TraceStatus | undefined,
  patch: Partial<Record<keyof TraceStatus, unknown>>,
): TraceStatus {
  const out: Record<string, unknown> = { ...current };
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = v;
  }
  return out as TraceStatus;
}
