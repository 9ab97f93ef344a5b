import { DAY_MS } from './prepare.ts';

/** An order line as the behavioural features read it (OrderLine and the ledger's O# items have these). */
export interface FeatureLine {
  readonly customerId: string;
  readonly orderId?: string;
  readonly orderedAt: string;
  readonly amount: number;
  readonly discount?: number;
  readonly cancelled?: boolean;
}

/**
 * The behavioural features clusters and lookalikes compare, each transformed so a z-score is
 * meaningful: counts and money are heavy-tailed, so they enter as log(1 + v).
 */
export const FEATURES = ['logRecencyDays', 'logFrequency', 'logMonetary', 'logAverageOrderValue', 'discountShare', 'logMedianGapDays'] as const;
export type FeatureName = (typeof FEATURES)[number];

export interface CustomerFeatures {
  readonly customerId: string;
  /** In the order of FEATURES. */
  readonly values: readonly number[];
}

/**
 * Features of every customer with a purchase on or before `asOf`: recency in days, orders,
 * net revenue, average order value, share of orders with a discount, and the median gap between
 * purchase days (for a single purchase day: the days since it, a lower bound on the gap to come).
 */
export function behaviouralFeatures(lines: Iterable<FeatureLine>, asOf: Date): CustomerFeatures[] {
  const end = asOf.getTime();
  const byCustomer = new Map<string, { orders: Map<string, { amount: number; discounted: boolean }>; days: Set<number>; cancelled: number }>();
  let row = 0;
  for (const line of lines) {
    row++;
    const at = Date.parse(line.orderedAt);
    if (Number.isNaN(at) || at > end) continue;
    let c = byCustomer.get(line.customerId);
    if (c === undefined) byCustomer.set(line.customerId, (c = { orders: new Map(), days: new Set(), cancelled: 0 }));
    if (line.cancelled === true || line.amount < 0) {
      c.cancelled += Math.abs(line.amount);
      continue;
    }
    // Files without an order id (CDNOW) have one line per order.
    const orderId = line.orderId ?? `#${row}`;
    const order = c.orders.get(orderId) ?? { amount: 0, discounted: false };
    order.amount += line.amount;
    order.discounted ||= (line.discount ?? 0) > 0;
    c.orders.set(orderId, order);
    c.days.add(Math.floor(at / DAY_MS));
  }
  const endDay = Math.floor(end / DAY_MS);
  const features: CustomerFeatures[] = [];
  for (const [customerId, c] of byCustomer) {
    if (c.orders.size === 0) continue;
    const days = [...c.days].sort((p, q) => p - q);
    const first = days[0] as number;
    const last = days[days.length - 1] as number;
    let revenue = 0;
    let discounted = 0;
    for (const o of c.orders.values()) {
      revenue += o.amount;
      if (o.discounted) discounted++;
    }
    revenue = Math.max(0, revenue - c.cancelled);
    const gaps = days.slice(1).map((d, i) => d - (days[i] as number));
    const medianGap = gaps.length === 0 ? endDay - first : median(gaps);
    features.push({
      customerId,
      values: [
        Math.log1p(endDay - last),
        Math.log1p(c.orders.size),
        Math.log1p(revenue),
        Math.log1p(revenue / c.orders.size),
        discounted / c.orders.size,
        Math.log1p(medianGap),
      ],
    });
  }
  return features;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((p, q) => p - q);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** Mean and standard deviation of each feature, to put customers in one standardized space. */
export interface Standardizer {
  readonly means: readonly number[];
  readonly deviations: readonly number[];
}

export function fitStandardizer(rows: readonly (readonly number[])[]): Standardizer {
  const d = rows[0]?.length ?? 0;
  const means = new Array<number>(d).fill(0);
  const deviations = new Array<number>(d).fill(0);
  for (const r of rows) for (let j = 0; j < d; j++) means[j] = (means[j] ?? 0) + (r[j] ?? 0) / rows.length;
  for (const r of rows) for (let j = 0; j < d; j++) deviations[j] = (deviations[j] ?? 0) + ((r[j] ?? 0) - (means[j] ?? 0)) ** 2 / rows.length;
  return { means, deviations: deviations.map(Math.sqrt) };
}

/** z-scores; a feature that does not vary (every customer without discounts) is 0 for everyone. */
export function standardize(s: Standardizer, values: readonly number[]): number[] {
  return values.map((v, j) => {
    const sd = s.deviations[j] ?? 0;
    return sd === 0 ? 0 : (v - (s.means[j] ?? 0)) / sd;
  });
}

export function squaredDistance(p: readonly number[], q: readonly number[]): number {
  let sum = 0;
  for (let j = 0; j < p.length; j++) sum += ((p[j] ?? 0) - (q[j] ?? 0)) ** 2;
  return sum;
}
