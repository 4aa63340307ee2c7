// The trace-level part of a Trace's status, written by the one replica that leads the
// Trace: the unique edges of every node, status.output (outputMode Status), and the
// warning that gathers what did not run as asked on any node.
import type { Edge } from '../../api/edge.js';
import type { NodeStatus, TraceSpec, TraceStatus } from '../../api/trace.js';
import { statusOutput } from './status-output.js';

export function traceSummary(
  edges: readonly Edge[],
  nodes: Readonly<Record<string, NodeStatus>>,
  spec: TraceSpec,
): Partial<Record<keyof TraceStatus, unknown>> {
  const out = spec.outputMode === 'Status' ? statusOutput(edges) : undefined;
  // A started node with a reason runs, but not as asked (socket filter instead of TCX).
  const failed = Object.entries(nodes).filter(
    ([, s]) => s.state === 'Failed' || s.state === 'AgentMissing' || s.reason,
  );
  const warnings = [
    out?.warning,
    ...failed.map(([n, s]) => `node ${n}: ${s.reason ?? s.state}`),
  ].filter(Boolean);
  return {
    edges: edges.length,
    operationWarning: warnings.length > 0 ? warnings.join('; ') : null,
    ...(out && { output: out.output }),
  };
}
