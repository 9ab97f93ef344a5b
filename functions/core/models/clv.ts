import { expectedPurchasesIfAlive, expectedPurchasesOver, pAlive, type BgNbdParams, type Rft } from './bgnbd.ts';
import { expectedSpend, type GammaGammaParams, type Spend } from './gamma-gamma.ts';
import { dayOf, DAYS_PER_WEEK, type CustomerSummary } from './prepare.ts';
import type { OrderAggregates } from '../profile.ts';

/** An average month (365.25 / 12 days) in weeks, the models' unit of time. */
const WEEKS_PER_MONTH = 365.25 / 12 / DAYS_PER_WEEK;

export interface ClvOptions {
  /** Months ahead; default 12. */
  readonly months?: number;
  /** Discount rate per month; default 0.01 (about 12.7% a year). */
  readonly monthlyDiscountRate?: number;
}

export interface Models {
  readonly bgnbd: BgNbdParams;
  readonly gammaGamma: GammaGammaParams;
}

/**
 * Σ_m (cumulative[m] − cumulative[m−1]) / (1+d)^m over the month-end values starting at `from`;
 * times E[spend] it is the discounted expected spend over the next `months`:
 *   CLV = Σ_{m=1..M} (E[Y(m·w)] − E[Y((m−1)·w)]) · E[spend] / (1 + d)^m,
 * where E[Y(t)] is BG/NBD's expected purchases in the next t weeks, w a month in weeks, E[spend]
 * Gamma-Gamma's expected spend per purchase and d the monthly discount rate: each month's expected
 * purchases are valued at the expected spend and discounted to today from the month's end.
 */
function discountedPurchases(cumulative: Float64Array, from: number, months: number, monthlyDiscountRate: number): number {
  const discount = 1 + monthlyDiscountRate;
  let total = 0;
  let previous = 0;
  let factor = 1;
  for (let m = 0; m < months; m++) {
    const value = cumulative[from + m] as number;
    factor /= discount;
    total += (value - previous) * factor;
    previous = value;
  }
  return total;
}

const monthEndCache = new Map<number, number[]>();
/** The ends of the next `months` months, in weeks. */
function monthEnds(months: number): number[] {
  let ends = monthEndCache.get(months);
  if (ends === undefined) monthEndCache.set(months, (ends = Array.from({ length: months }, (_, m) => (m + 1) * WEEKS_PER_MONTH)));
  return ends;
}

/** One row of `strata model score` (DESIGN.md). */
export interface CustomerScore {
  readonly customerId: string;
  readonly x: number;
  readonly tx: number;
  readonly T: number;
  /** Expected purchases in the next horizonWeeks. */
  readonly expectedPurchases: number;
  readonly pAlive: number;
  /** Expected spend per purchase. */
  readonly expectedSpend: number;
  /** CLV over the next 12 months (ClvOptions), discounted. */
  readonly clv: number;
}

export function scoreCustomer(models: Models, summary: CustomerSummary, horizonWeeks: number, options: ClvOptions = {}): CustomerScore {
  const months = options.months ?? 12;
  // One series pass for the horizon and every month end of the CLV.
  const cumulative = expectedPurchasesOver(models.bgnbd, summary, [horizonWeeks, ...monthEnds(months)]);
  const spend = expectedSpend(models.gammaGamma, summary);
  return {
    customerId: summary.customerId,
    x: summary.x,
    tx: summary.tx,
    T: summary.T,
    expectedPurchases: cumulative[0] as number,
    pAlive: pAlive(models.bgnbd, summary),
    expectedSpend: spend,
    clv: discountedPurchases(cumulative, 1, months, options.monthlyDiscountRate ?? 0.01) * spend,
  };
}

/** The contract's model.* profile facts (issue 5). */
export interface ModelFacts {
  readonly pAlive: number;
  readonly expectedPurchases30d: number;
  readonly expectedPurchases90d: number;
  readonly expectedSpend: number;
  readonly clv12m: number;
  /**
   * The customer's own repeat-purchase rate so far, per 30 days: x / T (repeat purchase days per
   * week since the first purchase) × 30 / 7. What likely-to-lapse compares expectedPurchases30d with.
   */
  readonly pastPurchases30d: number;
}

/**
 * The model.* facts of one customer from their summary as of the evaluation date (T measured to
 * that date, see scoreAggregates). Pure and cheap enough to run for every customer on each
 * re-segmentation: it goes through profileScorer, kept for the last model and discount rate seen.
 */
export function scoreProfile(model: Models, summary: Rft & Spend, options: Pick<ClvOptions, 'monthlyDiscountRate'> = {}): ModelFacts {
  const monthlyDiscountRate = options.monthlyDiscountRate ?? 0.01;
  // Compared by value, not identity: a model object changed in place must not be served stale sums.
  if (lastScorer === undefined || !sameModel(lastScorer.model, model) || lastScorer.monthlyDiscountRate !== monthlyDiscountRate) {
    const copy = { bgnbd: { ...model.bgnbd }, gammaGamma: { ...model.gammaGamma } };
    lastScorer = { model: copy, monthlyDiscountRate, score: profileScorer(copy, { monthlyDiscountRate }) };
  }
  return lastScorer.score(summary);
}

let lastScorer: { readonly model: Models; readonly monthlyDiscountRate: number; readonly score: (summary: Rft & Spend) => ModelFacts } | undefined;

function sameModel(u: Models, v: Models): boolean {
  return (
    u.bgnbd.r === v.bgnbd.r &&
    u.bgnbd.alpha === v.bgnbd.alpha &&
    u.bgnbd.a === v.bgnbd.a &&
    u.bgnbd.b === v.bgnbd.b &&
    u.gammaGamma.p === v.gammaGamma.p &&
    u.gammaGamma.q === v.gammaGamma.q &&
    u.gammaGamma.gamma === v.gammaGamma.gamma
  );
}

/**
 * Scores profiles against one model, its parameters as they are now (later changes to the object do not reach it).
 * Expected purchases given alive depend on x and T only, and T counts whole days, so however many
 * customers there are they share few (x, T) pairs (CDNOW master: 23,570 customers, 979 pairs):
 * the series is summed once per pair and only P(alive), which needs t_x, is computed per customer.
 */
export function profileScorer(model: Models, options: Pick<ClvOptions, 'monthlyDiscountRate'> = {}): (summary: Rft & Spend) => ModelFacts {
  const bgnbd = { ...model.bgnbd };
  const gammaGamma = { ...model.gammaGamma };
  const monthlyDiscountRate = options.monthlyDiscountRate ?? 0.01;
  // Per T, per x: [E[Y(30 days) | alive], E[Y(90 days) | alive], discounted 12-month purchases | alive].
  const byT = new Map<number, Map<number, Float64Array>>();
  let pairs = 0;
  const cumulative = new Float64Array(PROFILE_HORIZONS.length);
  const ifAlive = (x: number, T: number): Float64Array => {
    let sums = byT.get(T)?.get(x);
    if (sums === undefined) {
      // T not in whole days (or a huge population of them) would grow the cache without bound.
      if (pairs >= MAX_CACHED_PAIRS) {
        byT.clear();
        pairs = 0;
      }
      expectedPurchasesIfAlive(bgnbd, { x, T }, PROFILE_HORIZONS, cumulative);
      sums = Float64Array.of(cumulative[0] as number, cumulative[1] as number, discountedPurchases(cumulative, 2, 12, monthlyDiscountRate));
      let byX = byT.get(T);
      if (byX === undefined) byT.set(T, (byX = new Map()));
      byX.set(x, sums);
      pairs++;
    }
    return sums;
  };
  return (summary) => {
    const alive = pAlive(bgnbd, summary);
    const sums = ifAlive(summary.x, summary.T);
    const spend = expectedSpend(gammaGamma, summary);
    return {
      pAlive: alive,
      expectedPurchases30d: (sums[0] as number) * alive,
      expectedPurchases90d: (sums[1] as number) * alive,
      expectedSpend: spend,
      clv12m: (sums[2] as number) * alive * spend,
      pastPurchases30d: summary.T > 0 ? (summary.x / summary.T) * (30 / DAYS_PER_WEEK) : 0,
    };
  };
}

const MAX_CACHED_PAIRS = 1 << 16;
const PROFILE_HORIZONS = [30 / DAYS_PER_WEEK, 90 / DAYS_PER_WEEK, ...monthEnds(12)];

/** The order aggregates the scorer reads: the single customer view's, recomputed from the ledger. */
export type ScoredAggregates = Pick<OrderAggregates, 'purchaseDays' | 'firstOrderAt' | 'lastOrderAt' | 'repeatDaySpend'>;

/**
 * The model.* facts of a stored profile at an evaluation time, prepared as for the fit
 * (prepare.ts): x = distinct purchase days − 1, t_x and T in weeks from the first purchase day to
 * the last one and to the evaluation day, zbar the mean spend of the repeat days. Undefined when
 * the first purchase is after the evaluation day (a file from the future is not scored into the past).
 */
export function scoreAggregates(
  model: Models,
  orders: ScoredAggregates,
  now: Date,
  options: Pick<ClvOptions, 'monthlyDiscountRate'> = {},
): ModelFacts | undefined {
  const first = dayOf(orders.firstOrderAt);
  const today = dayOf(now.toISOString());
  if (first > today) return undefined;
  const last = Math.min(dayOf(orders.lastOrderAt), today);
  const weeks = (days: number): number => Math.round((days / DAYS_PER_WEEK) * 100) / 100;
  return scoreProfile(
    model,
    { x: Math.max(0, orders.purchaseDays - 1), tx: weeks(last - first), T: weeks(today - first), zbar: orders.repeatDaySpend ?? 0 },
    options,
  );
}
