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
