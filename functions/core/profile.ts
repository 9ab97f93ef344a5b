import type { Order } from './records.ts';

/** Order aggregates of the single customer view, always recomputed from the whole ledger. */
export interface OrderAggregates {
  readonly orders: number;
  readonly purchaseDays: number;
  readonly revenue: number;
  readonly averageOrderValue: number;
  readonly firstOrderAt: string;
  readonly lastOrderAt: string;
  /** Median days between distinct purchase days; undefined with fewer than two. */
  readonly medianGapDays?: number;
}

const DAY_MS = 86_400_000;

export function aggregateOrders(orders: readonly Pick<Order, 'orderedAt' | 'amount'>[]): OrderAggregates | undefined {
  if (orders.length === 0) return undefined;
  const times = orders.map((o) => o.orderedAt).sort();
  const days = [...new Set(times.map((t) => t.slice(0, 10)))];
  const revenue = round2(orders.reduce((sum, o) => sum + o.amount, 0));
  const gaps = days.slice(1).map((day, i) => (Date.parse(day) - Date.parse(days[i] ?? day)) / DAY_MS);
  const medianGapDays = median(gaps);
  return {
    orders: orders.length,
    purchaseDays: days.length,
    revenue,
    averageOrderValue: round2(revenue / orders.length),
    firstOrderAt: times[0] ?? '',
    lastOrderAt: times[times.length - 1] ?? '',
    ...(medianGapDays === undefined ? {} : { medianGapDays }),
  };
}

function median(values: readonly number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const upper = sorted[mid] ?? 0;
  return sorted.length % 2 === 1 ? upper : ((sorted[mid - 1] ?? upper) + upper) / 2;
}

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}
