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

/**
 * Difference of two proportions x1/n1 − x2/n2 with the normal-approximation (Wald, unpooled
 * variance) interval. Undefined when a group is empty.
 */
export function differenceOfProportions(x1: number, n1: number, x2: number, n2: number, level = 0.95): Interval | undefined {
  if (n1 <= 0 || n2 <= 0) return undefined;
  const p1 = x1 / n1;
  const p2 = x2 / n2;
  const se = Math.sqrt((p1 * (1 - p1)) / n1 + (p2 * (1 - p2)) / n2);
  const z = jStat.normal.inv(1 - (1 - level) / 2, 0, 1);
  const difference = p1 - p2;
  return { difference, low: difference - z * se, high: difference + z * se, level };
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
