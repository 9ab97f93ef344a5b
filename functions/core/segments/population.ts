import { compareConditions, type SegmentDefinition } from './definition.ts';
import { lookupFact, type Facts } from './fact-path.ts';

/**
 * Population statistics: what a customer's scores are relative to. RFM quintiles and percentile
 * thresholds ("top 10% by revenue") depend on everyone, so re-segmentation first collects exact
 * histograms of the fields that need them (in parallel, mergeable), then keeps 101 order statistics
 * per field. They are exact: the RFM score of DESIGN.md, 1 + floor(5 × worse / N), only needs the
 * values at ranks ceil(k·N/5), which are among those 101.
 */

/**
 * Histogram of one field: the value in whole cents (Math.round(value × 100), as a key) → number of
 * customers. Mergeable.
 */
export type Histogram = Record<string, number>;

export interface PartialStats {
  readonly fields: Record<string, Histogram>;
}

export interface FieldStats {
  readonly count: number;
  /** quantiles[p] = the ceil(p·count/100)-th smallest value (p = 1..100); quantiles[0] = the smallest. */
  readonly quantiles: readonly number[];
}

export interface PopulationStats {
  readonly fields: Readonly<Record<string, FieldStats>>;
}

/** Fields RFM scoring ranks customers by: the last order's day, the number of orders, the revenue. */
export const RFM_FIELDS = { recency: 'orders.lastOrderDay', frequency: 'orders.orders', monetary: 'orders.revenue' } as const;

export const EMPTY_POPULATION: PopulationStats = { fields: {} };

/** The fields whose distribution the definitions need: RFM's three and every percentile comparison. */
export function statsFields(definitions: readonly SegmentDefinition[]): string[] {
  const fields = new Set<string>(Object.values(RFM_FIELDS));
  for (const c of definitions.flatMap((d) => compareConditions(d.condition))) {
    if (typeof c.value === 'object' && !Array.isArray(c.value) && 'percentile' in c.value) fields.add(c.field);
  }
  return [...fields].sort();
}

export function emptyStats(fields: readonly string[]): PartialStats {
  return { fields: Object.fromEntries(fields.map((f) => [f, {}])) };
}

/** Adds one customer's facts to a partial; customers without a numeric value are not counted. */
export function addToStats(partial: PartialStats, facts: Facts): void {
  for (const field in partial.fields) {
    countValue(partial.fields[field] as Histogram, lookupFact(facts, field));
  }
}

/** Adds the finite numbers among values (one per customer) to a field's histogram, as addToStats does. */
export function addValuesToHistogram(histogram: Histogram, values: ArrayLike<unknown>): void {
  for (let i = 0; i < values.length; i++) countValue(histogram, values[i]);
}

/** One customer's value in a histogram; anything but a finite number is not counted. */
function countValue(histogram: Histogram, value: unknown): void {
  if (typeof value !== 'number' || !Number.isFinite(value)) return;
  // Whole cents are integer keys, which V8 keeps as elements: no string is made or hashed.
  const cents = Math.round(value * 100);
  histogram[cents] = (histogram[cents] ?? 0) + 1;
}

export function mergeStats(a: PartialStats, b: PartialStats): PartialStats {
  const fields: Record<string, Histogram> = {};
  for (const partial of [a, b]) {
    for (const [field, histogram] of Object.entries(partial.fields)) {
      const merged = (fields[field] ??= {});
      for (const [value, count] of Object.entries(histogram)) merged[value] = (merged[value] ?? 0) + count;
    }
  }
  return { fields };
}

export function finalizeStats(partial: PartialStats): PopulationStats {
  const fields: Record<string, FieldStats> = {};
  for (const [field, histogram] of Object.entries(partial.fields)) {
    const values = Object.entries(histogram)
      // + 0 turns -0 into 0, as the key "0" of -0 cents does.
      .map(([cents, count]) => [Number(cents) / 100 + 0, count] as const)
      .sort((a, b) => a[0] - b[0]);
    const count = values.reduce((sum, [, n]) => sum + n, 0);
    if (count === 0) continue;
    const quantiles: number[] = [];
    let index = 0;
    let seen = values[0]?.[1] ?? 0;
    for (let p = 0; p <= 100; p++) {
      // The rank-th smallest value (1-based), found by walking the cumulative counts once.
      const rank = Math.max(1, Math.ceil((p * count) / 100));
      while (seen < rank) seen += values[++index]?.[1] ?? 0;
      quantiles.push(values[index]?.[0] ?? 0);
    }
    fields[field] = { count, quantiles };
  }
  return { fields };
}

/**
 * The statistics finalizeStats gives for these values, from the values themselves: each finite one
 * in whole cents as a histogram keys it, then counted by cent when the cents span a few million
 * (days, order counts, most money), else sorted. For a whole population held in columns
 * (columns.ts), where typed arrays cost less than a histogram object.
 */
export function fieldStatsOf(values: ArrayLike<unknown>): FieldStats | undefined {
  // Whole cents, as the histogram keys: Math.round(value * 100).
  const cents = new Float64Array(values.length);
  let count = 0;
  let low = Infinity;
  let high = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    if (typeof value !== 'number' || !Number.isFinite(value)) continue;
    const c = Math.round(value * 100);
    cents[count++] = c;
    if (c < low) low = c;
    if (c > high) high = c;
  }
  if (count === 0) return undefined;
  const ranks = Array.from({ length: 101 }, (_, p) => Math.max(1, Math.ceil((p * count) / 100)));
  // + 0 turns -0 into 0, as its histogram key "0" does.
  const valueOf = (c: number) => c / 100 + 0;
  const quantiles: number[] = [];
  if (high - low < 1 << 22) {
    const counts = new Int32Array(high - low + 1);
    for (let i = 0; i < count; i++) {
      const slot = (cents[i] as number) - low;
      counts[slot] = (counts[slot] as number) + 1;
    }
    let seen = 0;
    let at = -1;
    for (const rank of ranks) {
      while (seen < rank) seen += counts[++at] as number;
      quantiles.push(valueOf(at + low));
    }
  } else {
    const sorted = cents.subarray(0, count).sort();
    for (const rank of ranks) quantiles.push(valueOf(sorted[rank - 1] as number));
  }
  return { count, quantiles };
}

/** Convenience for whole populations held in memory (the CLI, tests, benchmarks). */
export function populationOf(factsList: Iterable<Facts>, definitions: readonly SegmentDefinition[]): PopulationStats {
  const partial = emptyStats(statsFields(definitions));
  for (const facts of factsList) addToStats(partial, facts);
  return finalizeStats(partial);
}

/** The population's value of a field at a percentile; undefined before any statistics exist. */
export function percentileOf(population: PopulationStats, field: string, percentile: number): number | undefined {
  return population.fields[field]?.quantiles[percentile];
}

/**
 * The 1–5 score of DESIGN.md for a value where larger is better: 1 + floor(5 × (number of
 * customers with a strictly smaller value) / N). With the order statistics that is 1 + the number
 * of quintile cut points (ranks ceil(k·N/5), k = 1..4) the value strictly exceeds.
 */
export function quintileScore(population: PopulationStats, field: string, value: number): number | undefined {
  const stats = population.fields[field];
  if (stats === undefined) return undefined;
  const q = stats.quantiles;
  let score = 1;
  for (let p = 20; p <= 80; p += 20) if (value > (q[p] ?? Infinity)) score++;
  return score;
}
