// The view as Graphviz DOT: entities clustered by namespace, edges labelled with bytes.
import type { Entity, Graph } from '../api/graph.js';
import { formatBytes } from './format.js';

const quote = (s: string) => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

/** Graphviz: entities clustered by namespace, edges labelled with bytes. */
export function toDot(g: Graph): string {
  const lines = ['digraph netgraph {', '  rankdir=LR;', '  node [shape=box, style=rounded];'];
  const byNs = new Map<string, Entity[]>();
  for (const e of g.entities) byNs.set(e.namespace, [...(byNs.get(e.namespace) ?? []), e]);
  let i = 0;
  for (const [ns, members] of byNs) {
    const indent = ns ? '    ' : '  ';
    if (ns) lines.push(`  subgraph cluster_${i++} {`, `    label=${quote(ns)};`);
    for (const m of members) lines.push(`${indent}${quote(m.id)} [kind=${quote(m.kind)}];`);
    if (ns) lines.push('  }');
  }
  for (const e of g.edges)
    lines.push(
      `  ${quote(e.source)} -> ${quote(e.target)} [label=${quote(formatBytes(e.bytesTotal))}, bytes_total=${e.bytesTotal}, bytes_sent=${e.bytesSent}, bytes_recv=${e.bytesReceived}, connections=${e.connections}];`,
    );
  lines.push('}');
  return `${lines.join('\n')}\n`;
}
