import gammaln from '@stdlib/math-base-special-gammaln';
import * as z from 'zod';
import { InputError } from '../errors.ts';
import type { FitDiagnostics } from './bgnbd.ts';
import { minimize } from './nelder-mead.ts';

/**
 * Gamma-Gamma spend model (Fader & Hardie 2013, "The Gamma-Gamma model of monetary value"): the
 * spend of each transaction is Gamma(p, ν) around a customer's mean, with ν ~ Gamma(q, γ).
 * Fitted on repeat customers only (x > 0, zbar = their mean spend per repeat purchase day).
 */
export const gammaGammaParamsSchema = z.object({
  p: z.number().positive(),
  q: z.number().positive(),
  gamma: z.number().positive(),
});
export type GammaGammaParams = z.infer<typeof gammaGammaParamsSchema>;

export interface Spend {
  readonly x: number;
  readonly zbar: number;
}

export interface GammaGammaFit {
  readonly params: GammaGammaParams;
  readonly diagnostics: FitDiagnostics;
}

/** Mean spends with what the likelihood needs precomputed: ln zbar, ln x, and x grouped for the gamma terms. */
export interface SpendData {
  readonly n: number;
  readonly x: Float64Array;
  readonly zbar: Float64Array;
  readonly logZbar: Float64Array;
  readonly logX: Float64Array;
  readonly xIndex: Uint32Array;
  readonly xValues: readonly number[];
}

/** The customers the spend model is fitted on: x > 0 and zbar > 0. */
function spendData(customers: readonly Spend[]): SpendData {
  const spends = customers.filter((c) => c.x > 0 && c.zbar > 0);
  const index = new Map<number, number>();
  const xValues: number[] = [];
  const xIndex = Uint32Array.from(spends, (c) => {
    let k = index.get(c.x);
    if (k === undefined) {
      k = xValues.length;
      index.set(c.x, k);
      xValues.push(c.x);
    }
    return k;
  });
  return {
    n: spends.length,
    x: Float64Array.from(spends, (c) => c.x),
    zbar: Float64Array.from(spends, (c) => c.zbar),
    logZbar: Float64Array.from(spends, (c) => Math.log(c.zbar)),
    logX: Float64Array.from(spends, (c) => Math.log(c.x)),
    xIndex,
    xValues,
  };
}

/**
 * Log-likelihood of the mean spends (FH 2013, eq. 4) of customers with x > 0 and zbar > 0:
 * ln Γ(px+q) − ln Γ(px) − ln Γ(q) + q ln γ + (px−1) ln zbar + px ln x − (px+q) ln(γ + x·zbar).
 */
function gammaGammaLogLikelihood({ p, q, gamma }: GammaGammaParams, data: SpendData): number {
  const constant = -gammaln(q) + q * Math.log(gamma);
  const gammaTerms = data.xValues.map((x) => gammaln(p * x + q) - gammaln(p * x));
  let ll = 0;
  for (let i = 0; i < data.n; i++) {
    const x = data.x[i] as number;
    const px = p * x;
    ll +=
      constant +
      (gammaTerms[data.xIndex[i] as number] as number) +
      (px - 1) * (data.logZbar[i] as number) +
      px * (data.logX[i] as number) -
      (px + q) * Math.log(gamma + x * (data.zbar[i] as number));
  }
  return ll;
}

/** Maximum likelihood on log-parameters over the customers who bought again with a positive mean spend. */
export function fitGammaGamma(customers: readonly Spend[]): GammaGammaFit {
  const data = spendData(customers);
  if (data.n === 0) throw new InputError('cannot fit the Gamma-Gamma spend model: no customer bought twice with a positive spend');
  const toParams = (v: readonly number[]): GammaGammaParams => ({ p: Math.exp(v[0] ?? 0), q: Math.exp(v[1] ?? 0), gamma: Math.exp(v[2] ?? 0) });
  const objective = (v: readonly number[]) => -gammaGammaLogLikelihood(toParams(v), data) / data.n;
  const first = minimize(objective, [0, 0, 0]);
  const second = minimize(objective, first.x, { initialStep: 0.05 });
  const params = toParams(second.x);
  return {
    params,
    diagnostics: {
      logLikelihood: gammaGammaLogLikelihood(params, data),
      iterations: first.iterations + second.iterations,
      evaluations: first.evaluations + second.evaluations,
      converged: first.converged && second.converged,
      customers: data.n,
    },
  };
}

/**
 * E[spend per purchase | x, zbar] (FH 2013, eq. 5): p(γ + x·zbar)/(px + q − 1), a weighted mean of
 * the population mean pγ/(q−1) and the customer's own zbar. For x = 0 it is the population mean.
 * Needs q > 1 for a finite mean.
 */
export function expectedSpend({ p, q, gamma }: GammaGammaParams, { x, zbar }: Spend): number {
  const denominator = p * x + q - 1;
  if (denominator <= 0) return Number.POSITIVE_INFINITY;
  return (p * (gamma + x * zbar)) / denominator;
}
