import jStatModule from 'jstat';

// jstat is CommonJS: Node hands its module.exports over as the default import.
const { jStat } = jStatModule;

/** A difference between two groups and its confidence interval. */
export interface Interval {
  readonly difference: number;
  readonly low: number;
  readonly high: number;
  readonly level: number;
}

/** Wilson's score interval for one proportion x/n (Wilson 1927): never outside [0, 1], never a point. */
export function wilsonInterval(x: number, n: number, level = 0.95): { low: number; high: number } {
  const z = jStat.normal.inv(1 - (1 - level) / 2, 0, 1);
  const p = x / n;
  const z2 = z * z;
  const centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const half = (z / (1 + z2 / n)) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  return { low: Math.max(0, centre - half), high: Math.min(1, centre + half) };
}

/**
 * Difference of two proportions x1/n1 − x2/n2 with Newcombe's hybrid score interval (Newcombe
 * 1998, method 10, from each group's Wilson interval). Unlike the normal-approximation (Wald)
 * interval it stays inside [−1, 1], keeps its coverage near the nominal level for small groups and
 * rare conversions, and does not collapse to [0, 0] when neither group converted: 0 of 200 against
 * 0 of 20 still leaves a difference of up to 16 points unexcluded. Undefined when a group is empty.
 */
export function differenceOfProportions(x1: number, n1: number, x2: number, n2: number, level = 0.95): Interval | undefined {
  if (n1 <= 0 || n2 <= 0) return undefined;
  const p1 = x1 / n1;
  const p2 = x2 / n2;
  const w1 = wilsonInterval(x1, n1, level);
  const w2 = wilsonInterval(x2, n2, level);
  const difference = p1 - p2;
  return {
    difference,
    low: difference - Math.sqrt((p1 - w1.low) ** 2 + (w2.high - p2) ** 2),
    high: difference + Math.sqrt((w1.high - p1) ** 2 + (p2 - w2.low) ** 2),
    level,
  };
}

/**
 * Welch's interval for a difference of means (unequal variances, Welch–Satterthwaite degrees of
 * freedom): revenue per recipient is skewed and its variance differs between the groups.
 * Undefined with fewer than two values in a group.
 */
export function welchDifferenceOfMeans(a: readonly number[], b: readonly number[], level = 0.95): Interval | undefined {
  if (a.length < 2 || b.length < 2) return undefined;
  const meanA = jStat.mean(a);
  const meanB = jStat.mean(b);
  const va = jStat.variance(a, true) / a.length;
  const vb = jStat.variance(b, true) / b.length;
  const difference = meanA - meanB;
  const se = Math.sqrt(va + vb);
  if (se === 0) return { difference, low: difference, high: difference, level };
  const df = (va + vb) ** 2 / (va ** 2 / (a.length - 1) + vb ** 2 / (b.length - 1));
  const t = jStat.studentt.inv(1 - (1 - level) / 2, df);
  return { difference, low: difference - t * se, high: difference + t * se, level };
}
