// Prometheus text exposition (format 0.0.4) of label sets rendered once: a label set's
// text is built and escaped when its series is made, so a scrape only joins strings.

/** Escapes a label value: backslash, double quote and newline. */
export const escapeLabel = (v: string): string =>
  v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

/** `a="x",b="y"` of the labels that are set, in the given order (empty values left out). */
export function labelText(
  labels: Readonly<Record<string, string | undefined>>,
  order: readonly string[],
): string {
  let text = '';
  for (const k of order) {
    const v = labels[k];
    if (v === undefined || v === '') continue;
    text += `${text ? ',' : ''}${k}="${escapeLabel(v)}"`;
  }
  return text;
}

/** `# HELP` and `# TYPE` lines of a counter family. */
export const counterHeader = (name: string, help: string): string =>
  `# HELP ${name} ${help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}\n# TYPE ${name} counter\n`;

/** One sample line; `inner` from labelText, `extra` one more `k="v"` or ''. */
export function sample(name: string, inner: string, extra: string, value: number): string {
  const labels = inner && extra ? `${inner},${extra}` : inner || extra;
  return `${name}${labels ? `{${labels}}` : ''} ${value}\n`;
}
