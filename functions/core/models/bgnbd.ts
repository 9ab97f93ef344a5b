import gammaln from '@stdlib/math-base-special-gammaln';
import hyp2f1 from '@stdlib/math-base-special-hyp2f1';
import * as z from 'zod';
import { InputError } from '../errors.ts';
import { minimize } from './nelder-mead.ts';

/**
 * BG/NBD (Fader, Hardie & Lee 2005, "Counting your customers the easy way"): while alive, a
 * customer buys at a Poisson rate λ ~ Gamma(r, α); after each purchase they drop out with
 * probability p ~ Beta(a, b). Time is in weeks.
 */
export const bgnbdParamsSchema = z.object({
  r: z.number().positive(),
  alpha: z.number().positive(),
  a: z.number().positive(),
  b: z.number().positive(),
});
export type BgNbdParams = z.infer<typeof bgnbdParamsSchema>;

/** The calibration data of one customer: x repeat purchases, the last at t_x, observed for T weeks. */
export interface Rft {
  readonly x: number;
  readonly tx: number;
  readonly T: number;
}

/**
 * Calibration data for the likelihood, compressed: customers with the same (x, t_x, T) are one
 * weighted row (CDNOW master's 23,570 customers are about 10,000 rows: every one-time buyer of a
 * day is the same row), and the gamma terms and logarithms are computed once per distinct x, t_x and T.
 */
export interface BgNbdData {
  /** Customers (the sum of the weights). */
  readonly n: number;
  readonly weight: Float64Array;
  readonly xIndex: Uint32Array;
  readonly txIndex: Uint32Array;
  readonly TIndex: Uint32Array;
  readonly xValues: readonly number[];
  readonly txValues: Float64Array;
  readonly TValues: Float64Array;
}

export function bgnbdData(customers: readonly Rft[]): BgNbdData {
  const rows = new Map<string, number>();
  const weights: number[] = [];
  const keys: [number, number, number][] = [];
  const distinct = () => {
    const index = new Map<number, number>();
    const values: number[] = [];
    return {
      values,
      of(v: number): number {
        let k = index.get(v);
        if (k === undefined) {
          k = values.length;
          index.set(v, k);
          values.push(v);
        }
        return k;
      },
    };
  };
  const xs = distinct();
  const txs = distinct();
  const Ts = distinct();
  for (const c of customers) {
    if (!(Number.isInteger(c.x) && c.x >= 0 && c.tx >= 0 && c.T >= c.tx)) {
      throw new InputError(`BG/NBD needs integer x >= 0 and 0 <= t_x <= T; got x=${c.x}, t_x=${c.tx}, T=${c.T}`);
    }
    const key = `${c.x}|${c.tx}|${c.T}`;
    const row = rows.get(key);
    if (row !== undefined) {
      weights[row] = (weights[row] ?? 0) + 1;
      continue;
    }
    rows.set(key, weights.length);
    weights.push(1);
    keys.push([xs.of(c.x), txs.of(c.tx), Ts.of(c.T)]);
  }
  return {
    n: customers.length,
    weight: Float64Array.from(weights),
    xIndex: Uint32Array.from(keys, (k) => k[0]),
    txIndex: Uint32Array.from(keys, (k) => k[1]),
    TIndex: Uint32Array.from(keys, (k) => k[2]),
    xValues: xs.values,
    txValues: Float64Array.from(txs.values),
    TValues: Float64Array.from(Ts.values),
  };
}

/** Log of exp(u) + exp(v) without overflow. */
function logAddExp(u: number, v: number): number {
  return u > v ? u + Math.log1p(Math.exp(v - u)) : v + Math.log1p(Math.exp(u - v));
}

/** The BG/NBD log-likelihood (FHL 2005, eq. 6), summed over customers, computed in log-space. */
export function bgnbdLogLikelihood({ r, alpha, a, b }: BgNbdParams, data: BgNbdData): number {
  const k = data.xValues.length;
  // Per distinct x: ln[Γ(r+x)α^r/Γ(r)] + ln[B(a, b+x)/B(a, b)], and ln[a/(b+x−1)] for the "dropped out" branch.
  const common = new Float64Array(k);
  const dropped = new Float64Array(k);
  const base = -gammaln(r) + r * Math.log(alpha) + gammaln(a + b) - gammaln(b);
  for (let j = 0; j < k; j++) {
    const x = data.xValues[j] as number;
    common[j] = base + gammaln(r + x) + gammaln(b + x) - gammaln(a + b + x);
    dropped[j] = x > 0 ? Math.log(a) - Math.log(b + x - 1) : Number.NEGATIVE_INFINITY;
  }
  const logAT = data.TValues.map((T) => Math.log(alpha + T));
  const logATx = data.txValues.map((tx) => Math.log(alpha + tx));
  let ll = 0;
  for (let i = 0; i < data.weight.length; i++) {
    const j = data.xIndex[i] as number;
    const rx = r + (data.xValues[j] as number);
    const alive = -rx * (logAT[data.TIndex[i] as number] as number);
    const d = dropped[j] as number;
    const row = (common[j] as number) + (d === Number.NEGATIVE_INFINITY ? alive : logAddExp(alive, d - rx * (logATx[data.txIndex[i] as number] as number)));
    ll += (data.weight[i] as number) * row;
  }
  return ll;
}

export interface FitDiagnostics {
  readonly logLikelihood: number;
  readonly iterations: number;
  readonly evaluations: number;
  readonly converged: boolean;
  readonly customers: number;
}

export interface BgNbdFit {
  readonly params: BgNbdParams;
  readonly diagnostics: FitDiagnostics;
}

/** Maximum likelihood on log-parameters from (1, 1, 1, 1); restarted once from the optimum so a collapsed simplex cannot stop it early. */
export function fitBgNbd(customers: readonly Rft[]): BgNbdFit {
  if (customers.length === 0) throw new InputError('cannot fit BG/NBD to no customers');
  const data = bgnbdData(customers);
  const toParams = (v: readonly number[]): BgNbdParams => ({
    r: Math.exp(v[0] ?? 0),
    alpha: Math.exp(v[1] ?? 0),
    a: Math.exp(v[2] ?? 0),
    b: Math.exp(v[3] ?? 0),
  });
  const objective = (v: readonly number[]) => -bgnbdLogLikelihood(toParams(v), data) / data.n;
  const first = minimize(objective, [0, 0, 0, 0]);
  const second = minimize(objective, first.x, { initialStep: 0.05 });
  const params = toParams(second.x);
  return {
    params,
    diagnostics: {
      logLikelihood: bgnbdLogLikelihood(params, data),
      iterations: first.iterations + second.iterations,
      evaluations: first.evaluations + second.evaluations,
      converged: first.converged && second.converged,
      customers: data.n,
    },
  };
}

/** P(alive | x, t_x, T) (FHL 2005, eq. 11); 1 for a customer with no repeat purchase. */
export function pAlive({ r, alpha, a, b }: BgNbdParams, { x, tx, T }: Rft): number {
  if (x === 0) return 1;
  const logOdds = Math.log(a) - Math.log(b + x - 1) + (r + x) * (Math.log(alpha + T) - Math.log(alpha + tx));
  return 1 / (1 + Math.exp(logOdds));
}

/**
 * E[Y(t) | x, t_x, T]: expected purchases in the next t weeks (FHL 2005, eq. 10):
 *   (a+b+x−1)/(a−1) · [1 − ((α+T)/(α+T+t))^(r+x) · 2F1(r+x, b+x; a+b+x−1; t/(α+T+t))] · P(alive).
 * Evaluated as expectedPurchasesOver describes. (a = 1 exactly is a removable singularity the fit
 * never lands on.)
 */
export function expectedPurchases(params: BgNbdParams, customer: Rft, t: number): number {
  return expectedPurchasesOver(params, customer, [t])[0] as number;
}

/** The hypergeometric term of eq. 10 by stdlib's hyp2f1, in Pfaff's form 2F1(r+x, a−1; a+b+x−1; −t/(α+T)), else as published. */
export function remainingTermByHyp2f1({ r, alpha, a, b }: BgNbdParams, { x, T }: Pick<Rft, 'x' | 'T'>, t: number): number {
  const pfaff = hyp2f1(r + x, a - 1, a + b + x - 1, -t / (alpha + T));
  if (Number.isFinite(pfaff)) return pfaff;
  return Math.pow((alpha + T) / (alpha + T + t), r + x) * hyp2f1(r + x, b + x, a + b + x - 1, t / (alpha + T + t));
}

/**
 * E[Y(t) | x, t_x, T] for several horizons at once. Through Pfaff's transformation the
 * hypergeometric term of eq. 10 becomes (1−w)^(a−1) · 2F1(a+b−1−r, a−1; a+b+x−1; w) with
 * w = t/(α+T+t) in [0, 1): a series of positive-ratio terms that never forms the huge power and
 * huge sum of the published form (stdlib's hyp2f1 returns NaN there for heavy buyers), and whose
 * coefficients do not depend on t, so one pass sums it for every horizon: scoring a customer's
 * 14 horizons costs about one hyp2f1 call. Past w = 0.999 (a horizon over 1000× the customer's
 * age) it falls back to stdlib's hyp2f1. Unit tests hold it to 1e-10 of stdlib wherever that is finite.
 */
export function expectedPurchasesOver(params: BgNbdParams, customer: Rft, horizons: readonly number[], out: Float64Array = new Float64Array(horizons.length)): Float64Array {
  expectedPurchasesIfAlive(params, customer, horizons, out);
  const alive = pAlive(params, customer);
  for (let j = 0; j < horizons.length; j++) out[j] = (out[j] as number) * alive;
  return out;
}

/**
 * E[Y(t) | alive, x, T] for several horizons: expectedPurchasesOver without its P(alive) factor,
 * the part that does not depend on t_x (so scorers can share it between customers with the same x and T).
 */
export function expectedPurchasesIfAlive(params: BgNbdParams, customer: Pick<Rft, 'x' | 'T'>, horizons: readonly number[], out: Float64Array = new Float64Array(horizons.length)): Float64Array {
  const { r, alpha, a, b } = params;
  const { x, T } = customer;
  const m = horizons.length;
  const scale = (a + b + x - 1) / (a - 1);
  if (scratch.length < 3 * m) scratch = new Float64Array(3 * m);
  // One buffer: w at [0, m), partial sums at [m, 2m), powers of w at [2m, 3m).
  const buf = scratch;
  // The horizon with the largest w converges last: its terms decide when to stop.
  let slowest = 0;
  for (let j = 0; j < m; j++) {
    const t = horizons[j] as number;
    const wj = t > 0 ? t / (alpha + T + t) : 0;
    buf[j] = wj <= SERIES_MAX_W ? wj : 0;
    if ((buf[j] as number) > (buf[slowest] as number)) slowest = j;
    buf[m + j] = 1;
    buf[2 * m + j] = 1;
  }
  const wMax = buf[slowest] as number;
  const A = a + b - 1 - r;
  const B = a - 1;
  const C = a + b + x - 1;
  let coefficient = 1;
  for (let k = 0; k < SERIES_MAX_TERMS && wMax > 0; k++) {
    coefficient *= ((A + k) * (B + k)) / ((C + k) * (k + 1));
    if (coefficient === 0) break;
    for (let j = 0; j < m; j++) {
      const p = (buf[2 * m + j] as number) * (buf[j] as number);
      buf[2 * m + j] = p;
      buf[m + j] = (buf[m + j] as number) + coefficient * p;
    }
    // The ratio of successive terms tends to w from below, so the tail is at most term/(1−w).
    if (k > 2 && Math.abs(coefficient * (buf[2 * m + slowest] as number)) <= SERIES_EPSILON * (1 - wMax) * Math.abs(buf[m + slowest] as number)) break;
  }
  for (let j = 0; j < m; j++) {
    const t = horizons[j] as number;
    if (t <= 0) {
      out[j] = 0;
      continue;
    }
    const wj = t / (alpha + T + t);
    let remaining = wj <= SERIES_MAX_W ? Math.pow(1 - wj, a - 1) * (buf[m + j] as number) : remainingTermByHyp2f1(params, customer, t);
    // Where stdlib gives up too (heavy buyer, horizon of centuries), the series' full term budget is the best estimate there is.
    if (!Number.isFinite(remaining)) remaining = Math.pow(1 - wj, a - 1) * seriesSum(A, B, C, wj);
    out[j] = scale * (1 - remaining);
  }
  return out;
}

/** Σ_k (A)_k (B)_k / ((C)_k k!) w^k over the whole term budget. */
function seriesSum(A: number, B: number, C: number, w: number): number {
  let sum = 1;
  let term = 1;
  for (let k = 0; k < SERIES_MAX_TERMS; k++) {
    term *= (((A + k) * (B + k)) / ((C + k) * (k + 1))) * w;
    sum += term;
    if (Math.abs(term) <= SERIES_EPSILON * Math.abs(sum)) break;
  }
  return sum;
}

// Reused between calls (scoring a million customers should not allocate per customer); never escapes.
let scratch = new Float64Array(48);
const SERIES_MAX_W = 0.999;
const SERIES_MAX_TERMS = 100_000;
// Relative accuracy of each sum: far below what P(alive) or CLV need, and fewer terms than 1e-16.
const SERIES_EPSILON = 1e-14;

/** E[X(t)]: expected repeat purchases of a new customer in their first t weeks (FHL 2005, eq. 7). */
export function expectedRepeatPurchases({ r, alpha, a, b }: BgNbdParams, t: number): number {
  if (t <= 0) return 0;
  return ((a + b - 1) / (a - 1)) * (1 - hyp2f1(r, a - 1, a + b - 1, -t / alpha));
}
