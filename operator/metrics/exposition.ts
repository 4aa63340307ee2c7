// Prometheus text exposition (format 0.0.4) of label sets rendered once: a label set's
// text is built and escaped when its series is made, so a scrape only copies it
// (exposition-writer.ts).

/** Escapes a label value: backslash, double quote and newline. */
export const escapeLabel = (v: string): string =>
  v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

/**
 * `a="x",b="y"` of the labels that are set, in the given order (empty values left out).
 * Joined from an array so that it is one flat string: `+=` leaves a tree of a few dozen
 * string pieces, which a kept label set would hold for its life (16 MB at 30,000 edges).
 */
export function labelText(
  labels: Readonly<Record<string, string | undefined>>,
  order: readonly string[],
): string {
  const parts: string[] = [];
  for (const k of order) {
    const v = labels[k];
    if (v === undefined || v === '') continue;
    parts.push(k, '="', escapeLabel(v), '"', ',');
  }
  parts.pop();
  return parts.join('');
}

/** `# HELP` and `# TYPE` lines of a counter family. */
export const counterHeader = (name: string, help: string): string =>
  `# HELP ${name} ${help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}\n# TYPE ${name} counter\n`;
