import { InputError } from '../errors.ts';

/** What the models need of an order line (a subset of OrderLine and of the ledger's O# items). */
export interface Purchase {
  readonly customerId: string;
  /** ISO 8601 instant; the purchase day is its UTC date (ingest has already applied the file's time zone). */
  readonly orderedAt: string;
  readonly amount: number;
  readonly cancelled?: boolean;
}

/** One customer's purchase days, merged: same-day purchases are one transaction (Fader, Hardie & Lee 2005). */
export interface PurchaseHistory {
  readonly customerId: string;
  /** Days since 1970-01-01 (UTC), ascending, distinct. */
  readonly days: readonly number[];
  /** Spend of each day, parallel to days. */
  readonly spend: readonly number[];
}

/**
 * The BG/NBD and Gamma-Gamma inputs of one customer, in the units of the published CDNOW data:
 * x = distinct purchase days in calibration − 1, t_x and T in weeks from the first purchase
 * (rounded to 2 decimals, as the published summary is), zbar = mean spend of the repeat days.
 */
export interface CustomerSummary {
  readonly customerId: string;
  readonly x: number;
  readonly tx: number;
  readonly T: number;
  readonly zbar: number;
  /** Day of the first purchase (days since 1970-01-01, UTC). */
  readonly firstDay: number;
}

export const DAY_MS = 86_400_000;
export const DAYS_PER_WEEK = 7;

/** Days since 1970-01-01 of an ISO date or instant (UTC). */
export function dayOf(iso: string): number {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) throw new InputError(`not a date: ${iso}`);
  return Math.floor(ms / DAY_MS);
}

export function isoDay(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

const round2 = (v: number): number => Math.round(v * 100) / 100;

/**
 * Groups purchases into per-customer purchase days. Cancellations and returns (negative or
 * flagged lines) are not purchases; a zero-amount line is (CDNOW has 80, and the published
 * summary counts them).
 */
export function purchaseHistories(purchases: Iterable<Purchase>): PurchaseHistory[] {
  const builder = new HistoryBuilder();
  for (const p of purchases) builder.add(p);
  return builder.histories();
}

/** Accumulates purchases as they stream in (pages of a table scan) in memory per customer-day, not per line. */
export class HistoryBuilder {
  private readonly byCustomer = new Map<string, Map<number, number>>();

  add(p: Purchase): void {
    if (p.cancelled === true || p.amount < 0) return;
    let days = this.byCustomer.get(p.customerId);
    if (days === undefined) this.byCustomer.set(p.customerId, (days = new Map()));
    const day = dayOf(p.orderedAt);
    days.set(day, (days.get(day) ?? 0) + p.amount);
  }

  histories(): PurchaseHistory[] {
    const histories: PurchaseHistory[] = [];
    for (const [customerId, days] of this.byCustomer) {
      const sorted = [...days.keys()].sort((p, q) => p - q);
      histories.push({ customerId, days: sorted, spend: sorted.map((d) => days.get(d) ?? 0) });
    }
    return histories;
  }
}

/**
 * The calibration summary of one customer as of the end of `calibrationEndDay` (inclusive), or
 * undefined when their first purchase is later (they are not in the calibration cohort).
 */
export function summarizeHistory(history: PurchaseHistory, calibrationEndDay: number): CustomerSummary | undefined {
  const first = history.days[0];
  if (first === undefined || first > calibrationEndDay) return undefined;
  let last = first;
  let repeats = 0;
  // In whole cents, so a mean ending in half a cent rounds up as the published summary does (not down by float error).
  let repeatCents = 0;
  for (let i = 1; i < history.days.length; i++) {
    const day = history.days[i] as number;
    if (day > calibrationEndDay) break;
    last = day;
    repeats++;
    repeatCents += Math.round((history.spend[i] ?? 0) * 100);
  }
  return {
    customerId: history.customerId,
    x: repeats,
    tx: round2((last - first) / DAYS_PER_WEEK),
    T: round2((calibrationEndDay - first) / DAYS_PER_WEEK),
    zbar: repeats === 0 ? 0 : Math.round(repeatCents / repeats) / 100,
    firstDay: first,
  };
}

/** Summaries of every customer whose first purchase is on or before the calibration end date. */
export function summarize(histories: Iterable<PurchaseHistory>, calibrationEnd: string): CustomerSummary[] {
  const endDay = dayOf(calibrationEnd);
  const summaries: CustomerSummary[] = [];
  for (const h of histories) {
    const s = summarizeHistory(h, endDay);
    if (s !== undefined) summaries.push(s);
  }
  return summaries;
}

/** Purchase days after the calibration end and up to the holdout end (inclusive): the holdout's actual transactions. */
export function holdoutPurchases(history: PurchaseHistory, calibrationEndDay: number, holdoutEndDay: number): number {
  let n = 0;
  for (const day of history.days) if (day > calibrationEndDay && day <= holdoutEndDay) n++;
  return n;
}
