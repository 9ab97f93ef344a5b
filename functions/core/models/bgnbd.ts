import gammaln from '@stdlib/math-base-special-gammaln';
import hyp2f1 from '@stdlib/math-base-special-hyp2f1';
import { z } from 'zod';
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

/** Column-wise calibration data, grouped by x so the gamma terms are computed once per distinct x. */
export interface BgNbdData {
  readonly n: number;
  readonly tx: Float64Array;
  readonly T: Float64Array;
  /** Index into xValues of each customer's x. */
  readonly xIndex: Uint32Array;
  readonly xValues: readonly number[];
}

export function bgnbdData(customers: readonly Rft[]): BgNbdData {
  const n = customers.length;
  const tx = new Float64Array(n);
  const T = new Float64Array(n);
  const xIndex = new Uint32Array(n);
  const indexOf = new Map<number, number>();
  const xValues: number[] = [];
  customers.forEach((c, i) => {
    if (!(Number.isInteger(c.x) && c.x >= 0 && c.tx >= 0 && c.T >= c.tx)) {
      throw new InputError(`BG/NBD needs integer x >= 0 and 0 <= t_x <= T; got x=${c.x}, t_x=${c.tx}, T=${c.T}`);
    }
    let k = indexOf.get(c.x);
    if (k === undefined) {
      k = xValues.length;
      indexOf.set(c.x, k);
      xValues.push(c.x);
    }
    xIndex[i] = k;
    tx[i] = c.tx;
    T[i] = c.T;
  });
  return { n, tx, T, xIndex, xValues };
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
  let ll = 0;
  for (let i = 0; i < data.n; i++) {
    const j = data.xIndex[i] as number;
    const rx = r + (data.xValues[j] as number);
    const alive = -rx * Math.log(alpha + (data.T[i] as number));
    const d = dropped[j] as number;
    ll += (common[j] as number) + (d === Number.NEGATIVE_INFINITY ? alive : logAddExp(alive, d - rx * Math.log(alpha + (data.tx[i] as number))));
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
 * E[Y(t) | x, t_x, T]: expected purchases in the next t weeks (FHL 2005, eq. 10). The term
 * ((α+T)/(α+T+t))^(r+x) · 2F1(r+x, b+x; a+b+x−1; t/(α+T+t)) is evaluated through Pfaff's
 * transformation as 2F1(r+x, a−1; a+b+x−1; −t/(α+T)), which never forms the huge power and the
 * huge series separately. (a = 1 exactly is a removable singularity the fit never lands on.)
 */
export function expectedPurchases(params: BgNbdParams, customer: Rft, t: number): number {
  const { r, alpha, a, b } = params;
  const { x, T } = customer;
  if (t <= 0) return 0;
  const remaining = hyp2f1(r + x, a - 1, a + b + x - 1, -t / (alpha + T));
  return (((a + b + x - 1) / (a - 1)) * (1 - remaining)) * pAlive(params, customer);
}

/** E[X(t)]: expected repeat purchases of a new customer in their first t weeks (FHL 2005, eq. 7). */
export function expectedRepeatPurchases({ r, alpha, a, b }: BgNbdParams, t: number): number {
  if (t <= 0) return 0;
  return ((a + b - 1) / (a - 1)) * (1 - hyp2f1(r, a - 1, a + b - 1, -t / alpha));
}
