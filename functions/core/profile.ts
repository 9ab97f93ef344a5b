import type { CustomerEvent, OrderLine } from './records.ts';

/** Order aggregates of the single customer view, always recomputed from the whole ledger. */
export interface OrderAggregates {
  /** Orders whose lines net to zero or more; cancellation invoices do not count. */
  readonly orders: number;
  readonly purchaseDays: number;
  /** Net revenue: purchases less cancellations and returns, never below zero. */
  readonly revenue: number;
  readonly averageOrderValue: number;
  readonly firstOrderAt: string;
  readonly lastOrderAt: string;
  /** Median days between distinct purchase days; absent with fewer than two. */
  readonly medianGapDays?: number;
  /** Mean spend per purchase day after the first (the spend model's input); absent without a repeat day. */
  readonly repeatDaySpend?: number;
  readonly cancelledOrders: number;
  /** Share of orders with a discount on any line, and of revenue from such orders. */
  readonly discountShareOfOrders: number;
  readonly discountShareOfRevenue: number;
  /** Profit as a share of revenue (the file's profit or margin column); absent when no line has one. */
  readonly marginShare?: number;
  /** Share of purchased value per category, largest first. */
  readonly categoryMix?: Readonly<Record<string, number>>;
  readonly channels?: readonly string[];
}

const DAY_MS = 86_400_000;

function byLedgerKey(a: OrderLine, b: OrderLine): number {
  if (a.orderedAt !== b.orderedAt) return a.orderedAt < b.orderedAt ? -1 : 1;
  if (a.orderId !== b.orderId) return a.orderId < b.orderId ? -1 : 1;
  return a.lineId < b.lineId ? -1 : a.lineId > b.lineId ? 1 : 0;
}

interface OrderTotal {
  orderedAt: string;
  amount: number;
  discounted: boolean;
}

export function aggregateOrders(ledger: readonly OrderLine[]): OrderAggregates | undefined {
  // Floating-point sums depend on their order, and stores return the ledger in different orders
  // (file order in memory, key order in DynamoDB): sum in one canonical order so both agree to the cent.
  const lines = [...ledger].sort(byLedgerKey);
  const byOrder = new Map<string, OrderTotal>();
  const categories = new Map<string, number>();
  const channels = new Set<string>();
  let cancelledValue = 0;
  let profit: number | undefined;
  for (const line of lines) {
    if (line.cancelled) {
      cancelledValue += line.amount;
      continue;
    }
    const order = byOrder.get(line.orderId) ?? { orderedAt: line.orderedAt, amount: 0, discounted: false };
    order.amount += line.amount;
    if (line.orderedAt < order.orderedAt) order.orderedAt = line.orderedAt;
    order.discounted ||= (line.discount ?? 0) > 0;
    byOrder.set(line.orderId, order);
    if (line.category !== undefined && line.amount > 0) categories.set(line.category, (categories.get(line.category) ?? 0) + line.amount);
    if (line.channel !== undefined) channels.add(line.channel);
    if (line.profit !== undefined) profit = (profit ?? 0) + line.profit;
  }
  // A zero-value order (a free promotion; CDNOW has 80) is still an order.
  const orders = [...byOrder.values()].filter((o) => o.amount >= 0);
  if (orders.length === 0) return undefined;
  orders.sort((a, b) => (a.orderedAt < b.orderedAt ? -1 : a.orderedAt > b.orderedAt ? 1 : 0));
  const spendByDay = new Map<string, number>();
  for (const o of orders) spendByDay.set(o.orderedAt.slice(0, 10), (spendByDay.get(o.orderedAt.slice(0, 10)) ?? 0) + o.amount);
  const days = [...spendByDay.keys()];
  const repeatDays = [...spendByDay.values()].slice(1);
  const gross = orders.reduce((sum, o) => sum + o.amount, 0);
  const revenue = round2(Math.max(0, gross + cancelledValue));
  const discounted = orders.filter((o) => o.discounted);
  const gaps = days.slice(1).map((day, i) => (Date.parse(day) - Date.parse(days[i] ?? day)) / DAY_MS);
  const medianGapDays = median(gaps);
  const categoryTotal = [...categories.values()].reduce((a, b) => a + b, 0);
  return {
    orders: orders.length,
    purchaseDays: days.length,
    revenue,
    averageOrderValue: round2(gross / orders.length),
    firstOrderAt: orders[0]?.orderedAt ?? '',
    lastOrderAt: orders[orders.length - 1]?.orderedAt ?? '',
    ...(medianGapDays === undefined ? {} : { medianGapDays }),
    // In whole cents, as the models' preparation (a mean ending in half a cent rounds up, not down by float error).
    ...(repeatDays.length === 0 ? {} : { repeatDaySpend: Math.round(repeatDays.reduce((a, b) => a + Math.round(b * 100), 0) / repeatDays.length) / 100 }),
    cancelledOrders: lines.filter((l) => l.cancelled).reduce((ids, l) => ids.add(l.orderId), new Set<string>()).size,
    discountShareOfOrders: round4(discounted.length / orders.length),
    discountShareOfRevenue: gross > 0 ? round4(discounted.reduce((sum, o) => sum + o.amount, 0) / gross) : 0,
    ...(categoryTotal > 0
      ? { categoryMix: Object.fromEntries([...categories].sort((a, b) => b[1] - a[1]).map(([c, v]) => [c, round4(v / categoryTotal)])) }
      : {}),
    ...(profit !== undefined && gross > 0 ? { marginShare: round4(profit / gross) } : {}),
    ...(channels.size > 0 ? { channels: [...channels].sort() } : {}),
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

function round4(n: number): number {
  return Math.round(n * 10_000) / 10_000;
}

/** Engagement aggregates: how often and how recently a customer did each kind of thing. */
export interface EventAggregates {
  readonly total: number;
  readonly countByType: Readonly<Record<string, number>>;
  readonly lastByType: Readonly<Record<string, string>>;
  readonly firstAt: string;
  readonly lastAt: string;
}

export function aggregateEvents(events: readonly Pick<CustomerEvent, 'type' | 'occurredAt'>[]): EventAggregates | undefined {
  if (events.length === 0) return undefined;
  const countByType: Record<string, number> = {};
  const lastByType: Record<string, string> = {};
  let firstAt = events[0]?.occurredAt ?? '';
  let lastAt = firstAt;
  for (const { type, occurredAt } of events) {
    countByType[type] = (countByType[type] ?? 0) + 1;
    if ((lastByType[type] ?? '') < occurredAt) lastByType[type] = occurredAt;
    if (occurredAt < firstAt) firstAt = occurredAt;
    if (occurredAt > lastAt) lastAt = occurredAt;
  }
  return { total: events.length, countByType, lastByType, firstAt, lastAt };
}
