// Edges as an aligned text table, for people (`local --output table`). Pure.
import type { Edge } from '../../api/edge.js';

const COLUMNS: [string, (e: Edge) => string | number | undefined][] = [
  ['POD', (e) => e.pod],
  ['DIR', (e) => e.pktType],
  ['PROTO', (e) => e.proto],
  ['REMOTE', (e) => e.ip],
  ['PORT', (e) => e.port],
  ['CONNS', (e) => e.connections],
  ['PKTS OUT', (e) => e.packetsSent],
  ['PKTS IN', (e) => e.packetsReceived],
  ['BYTES OUT', (e) => e.bytesSent],
  ['BYTES IN', (e) => e.bytesReceived],
  ['LAST SEEN', (e) => e.lastSeen],
];

/** One header line and one line per edge; numbers right-aligned, text left-aligned. */
export function renderTable(edges: Edge[]): string {
  const rows = edges.map((e) => COLUMNS.map(([, get]) => get(e) ?? ''));
  const widths = COLUMNS.map(([h], i) =>
    Math.max(h.length, ...rows.map((r) => String(r[i]).length)),
  );
  const line = (cells: (string | number)[]) =>
    cells
      .map((c, i) => {
        const w = widths[i] ?? 0;
        return typeof c === 'number' ? String(c).padStart(w) : c.padEnd(w);
      })
      .join('  ')
      .trimEnd();
  return [line(COLUMNS.map(([h]) => h)), ...rows.map(line)].join('\n');
}
