// Durations on the command line: 500ms, 10s, 2m, 1h (a bare number is seconds).
const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Milliseconds; throws `<what> must be a duration like 10s, not "x"`. */
export function parseDuration(text: string, what: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  const ms = m ? Number(m[1]) * (UNITS[m[2] ?? 's'] ?? 1000) : Number.NaN;
  if (!(ms > 0)) throw new Error(`${what} must be a duration like 10s, not "${text}"`);
  return Math.round(ms);
}
