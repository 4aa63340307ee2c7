// Plain-text tables as kubectl prints them: upper-case headers, columns padded to the
// widest cell and three spaces apart, no trailing blanks.

/** The whole table, columns as wide as their widest cell. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  return [header, ...rows].map((r) => row(r, widths)).join('\n');
}

/** One line with each cell padded to its column's width (a streamed table's fixed widths). */
export function row(cells: readonly string[], widths: readonly number[]): string {
  return cells
    .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
    .join('   ')
    .trimEnd();
}

/** 1536 -> "1.5KiB", as kubectl prints quantities. */
export function bytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${v}B` : `${v >= 10 ? Math.round(v) : Math.round(v * 10) / 10}${units[u]}`;
}

/** The age of a time, as kubectl's AGE column: 45s, 12m, 5h, 3d. */
export function age(since: string | undefined, now: number): string {
  const t = since === undefined ? Number.NaN : Date.parse(since);
  if (Number.isNaN(t)) return '<unknown>';
  const s = Math.max(0, Math.floor((now - t) / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.floor(s / 60)}m`;
  if (s < 172_800) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86_400)}d`;
}
