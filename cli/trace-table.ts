// get's table: a line for each node of each Trace (status.nodes), so what every node
// does for a trace, and why not, is one grep away.
import type { Trace } from '../api/trace.js';
import { age, table } from './table.js';

export function traceTable(traces: readonly Trace[], withNamespace: boolean, now: number): string {
  const header = ['NAME', 'STATE', 'EDGES', 'AGE', 'NODE', 'NODE STATE', 'PODS', 'REASON'];
  const rows: string[][] = [];
  const sorted = [...traces].sort(
    (a, b) =>
      a.metadata.namespace.localeCompare(b.metadata.namespace) ||
      a.metadata.name.localeCompare(b.metadata.name),
  );
  for (const t of sorted) {
    const s = t.status ?? {};
    const head = [
      ...(withNamespace ? [t.metadata.namespace] : []),
      t.metadata.name,
      s.state ?? '-',
      String(s.edges ?? 0),
      age(t.metadata.creationTimestamp, now),
    ];
    const nodes = Object.entries(s.nodes ?? {}).sort(([a], [b]) => a.localeCompare(b));
    if (nodes.length === 0) rows.push([...head, '-', '-', '-', '']);
    for (const [node, n] of nodes)
      rows.push([...head, node, n.state, String(n.pods ?? 0), n.reason ?? '']);
  }
  const lines = [table(withNamespace ? ['NAMESPACE', ...header] : header, rows)];
  // The last refused operation says why, as kubectl describe would.
  for (const t of sorted)
    if (t.status?.operationError)
      lines.push(`${t.metadata.namespace}/${t.metadata.name}: ${t.status.operationError}`);
  return lines.join('\n');
}
