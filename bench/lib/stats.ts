// Figures across a benchmark's rounds.

export const median = (xs: number[]): number =>
  [...xs].sort((a, b) => a - b)[xs.length >> 1] ?? Number.NaN;

/** min..max as a percentage of `of`: the spread across rounds. */
export const spread = (xs: number[], of: number): string =>
  `${((100 * Math.min(...xs)) / of).toFixed(1)}..${((100 * Math.max(...xs)) / of).toFixed(1)}%`;

/**
 * Round by round, `xs[i] / base[i]` (measured in the same round, so drift in the
 * machine's load between rounds cancels): the median and the middle half.
 */
export function pairedRatio(
  xs: number[],
  base: number[],
): { median: number; q1: number; q3: number; ratios: number[] } {
  const ratios = xs.map((x, i) => x / (base[i] ?? Number.NaN)).sort((a, b) => a - b);
  const at = (q: number) => ratios[Math.round(q * (ratios.length - 1))] ?? Number.NaN;
  return { median: median(ratios), q1: at(0.25), q3: at(0.75), ratios };
}

/** Least-squares slope of y over x (units of y per unit of x); NaN with fewer than 2 points. */
export function slope(xs: number[], ys: number[]): number {
  const n = Math.min(xs.length, ys.length);
  if (n < 2) return Number.NaN;
  const mx = xs.slice(0, n).reduce((a, b) => a + b, 0) / n;
  const my = ys.slice(0, n).reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += ((xs[i] as number) - mx) * ((ys[i] as number) - my);
    den += ((xs[i] as number) - mx) ** 2;
  }
  return num / den;
}
