/**
 * The health of every segment, built-in or the user's: is it a group that behaves differently, or
 * nearly everyone, no one, or another segment under a second name? Share of customers, overlap
 * with each other segment (Jaccard: members in both / members in either), revenue per member
 * against the average customer's, and the size over the last runs, with a warning for what needs
 * a look. Pure: the callers (CLI, report, console) bring the members, revenues and snapshots.
 */

export interface HealthInput {
  /** The segments to report on, in the order to report them. */
  readonly segments: readonly string[];
  /** Members of each segment (ids); a segment without an entry has none. */
  readonly members: ReadonlyMap<string, readonly string[]>;
  /** Every customer's revenue so far (0 without orders): the population shares are of. */
  readonly revenue: ReadonlyMap<string, number>;
  /** Sizes of past runs (one snapshot a day), in any order. */
  readonly snapshots: readonly { readonly date: string; readonly sizes: Readonly<Record<string, number>> }[];
}

export interface HealthLimits {
  /** Warn when a segment holds more than this share of all customers. */
  readonly maxShare: number;
  /** Warn when two segments' Jaccard overlap is at least this. */
  readonly sameMembersJaccard: number;
  /** How many of the last runs the trend shows. */
  readonly trendRuns: number;
  /** How many of the largest overlaps each segment lists. */
  readonly topOverlaps: number;
}

export const DEFAULT_HEALTH_LIMITS: HealthLimits = { maxShare: 0.5, sameMembersJaccard: 0.9, trendRuns: 5, topOverlaps: 3 };

export interface SegmentHealth {
  readonly name: string;
  readonly size: number;
  /** Members over all customers, 4 decimals. */
  readonly share: number;
  /** Mean revenue of the members; null when empty. */
  readonly revenuePerMember: number | null;
  /** revenuePerMember over the average customer's revenue (1 = average); null when either is undefined. */
  readonly revenueIndex: number | null;
  /** The segments sharing the most members with this one, largest Jaccard first (none when 0). */
  readonly overlaps: readonly { readonly segment: string; readonly jaccard: number }[];
  /** Sizes of the last runs, oldest first; the change is the last minus the first. */
  readonly trend: readonly { readonly date: string; readonly size: number }[];
  readonly trendChange: number | null;
  readonly warnings: readonly string[];
}

export interface HealthReport {
  readonly customers: number;
  readonly averageRevenue: number;
  readonly segments: readonly SegmentHealth[];
}

export function segmentHealth(input: HealthInput, limits: HealthLimits = DEFAULT_HEALTH_LIMITS): HealthReport {
  const names = input.segments;
  const n = names.length;
  const customers = input.revenue.size;
  let total = 0;
  for (const value of input.revenue.values()) total += value;
  const averageRevenue = customers === 0 ? 0 : total / customers;

  // Each customer's segments, then every pair's common members: k² per customer with k segments.
  const sizes = new Float64Array(n);
  const revenues = new Float64Array(n);
  const segmentsOf = new Map<string, number[]>();
  names.forEach((name, i) => {
    const members = new Set(input.members.get(name) ?? []);
    sizes[i] = members.size;
    for (const id of members) {
      revenues[i] = (revenues[i] as number) + (input.revenue.get(id) ?? 0);
      const list = segmentsOf.get(id);
      if (list === undefined) segmentsOf.set(id, [i]);
      else list.push(i);
    }
  });
  const common = new Float64Array(n * n);
  for (const list of segmentsOf.values()) {
    for (let a = 0; a < list.length; a++) {
      for (let b = a + 1; b < list.length; b++) {
        const i = list[a] as number;
        const j = list[b] as number;
        common[i * n + j] = (common[i * n + j] as number) + 1;
        common[j * n + i] = (common[j * n + i] as number) + 1;
      }
    }
  }

  const history = [...input.snapshots].sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0)).slice(-limits.trendRuns);

  const segments = names.map((name, i): SegmentHealth => {
    const size = sizes[i] as number;
    const share = customers === 0 ? 0 : round(size / customers, 4);
    const revenuePerMember = size === 0 ? null : round(revenues[i] as number / size, 2);
    const revenueIndex = revenuePerMember === null || averageRevenue === 0 ? null : round((revenues[i] as number) / size / averageRevenue, 2);
    const overlaps: { segment: string; jaccard: number }[] = [];
    for (let j = 0; j < n; j++) {
      const both = common[i * n + j] as number;
      if (j === i || both === 0) continue;
      overlaps.push({ segment: names[j] as string, jaccard: round(both / (size + (sizes[j] as number) - both), 4) });
    }
    overlaps.sort((a, b) => b.jaccard - a.jaccard || a.segment.localeCompare(b.segment));
    const trend = history.flatMap((s) => (s.sizes[name] === undefined ? [] : [{ date: s.date, size: s.sizes[name] as number }]));
    const warnings: string[] = [];
    if (size === 0) warnings.push('holds no one');
    if (share > limits.maxShare) warnings.push(`holds more than half of all customers (${(share * 100).toFixed(1)}%)`);
    for (const o of overlaps) {
      if (o.jaccard >= limits.sameMembersJaccard) warnings.push(`almost the same members as ${o.segment} (Jaccard ${o.jaccard.toFixed(2)})`);
    }
    return {
      name,
      size,
      share,
      revenuePerMember,
      revenueIndex,
      overlaps: overlaps.slice(0, limits.topOverlaps),
      trend,
      trendChange: trend.length === 0 ? null : (trend[trend.length - 1] as { size: number }).size - (trend[0] as { size: number }).size,
      warnings,
    };
  });
  return { customers, averageRevenue: round(averageRevenue, 2), segments };
}

/** One line of figures, as `strata segments list` and `preview` print them. */
export function describeHealth(h: SegmentHealth): string {
  const parts = [
    `${(h.share * 100).toFixed(1)}% of customers`,
    h.revenueIndex === null ? 'revenue per member n/a' : `revenue per member ${h.revenueIndex.toFixed(2)}× the average`,
    h.overlaps.length === 0 ? 'overlaps no other segment' : `overlap ${h.overlaps.map((o) => `${o.segment} ${jaccardText(o.jaccard)}`).join(', ')}`,
    h.trend.length === 0 ? 'no runs yet' : `last ${h.trend.length} run(s) ${h.trend.map((t) => t.size).join(' → ')}`,
  ];
  return parts.join('; ');
}

/** A Jaccard index in two decimals; one member in common out of hundreds is "< 0.01", not "0.00". */
export function jaccardText(jaccard: number): string {
  return jaccard > 0 && jaccard < 0.005 ? '< 0.01' : jaccard.toFixed(2);
}

function round(value: number, places: number): number {
  const f = 10 ** places;
  return Math.round(value * f) / f;
}
