import * as z from 'zod';
import { bgnbdParamsSchema, fitBgNbd } from './bgnbd.ts';
import { fitGammaGamma, gammaGammaParamsSchema } from './gamma-gamma.ts';
import { InputError } from '../errors.ts';
import { summarize, type CustomerSummary, type PurchaseHistory } from './prepare.ts';

const diagnosticsSchema = z.object({
  logLikelihood: z.number(),
  iterations: z.number().int().nonnegative(),
  evaluations: z.number().int().nonnegative(),
  converged: z.boolean(),
  /** Customers the model was fitted on (all for BG/NBD, repeat buyers for Gamma-Gamma). */
  customers: z.number().int().positive(),
});

/**
 * A fitted model as stored in models/<fitted-at>.json and models/latest.json: both models'
 * parameters with their fit diagnostics, the calibration data's end and size, and when it was fitted.
 * `model fit --json` prints this object; its bgnbd and gammaGamma keys hold the DESIGN.md fields.
 */
export const fittedModelSchema = z.object({
  kind: z.literal('strata.clv-model'),
  version: z.literal(1),
  fittedAt: z.iso.datetime(),
  calibrationEnd: z.iso.date(),
  customers: z.number().int().positive(),
  repeatCustomers: z.number().int().nonnegative(),
  repeatPurchases: z.number().int().nonnegative(),
  bgnbd: bgnbdParamsSchema.extend(diagnosticsSchema.shape),
  gammaGamma: gammaGammaParamsSchema.extend(diagnosticsSchema.shape),
});
export type FittedModel = z.infer<typeof fittedModelSchema>;

export function fitModels(summaries: readonly CustomerSummary[], calibrationEnd: string, fittedAt: Date): FittedModel {
  const bgnbd = fitBgNbd(summaries);
  const gammaGamma = fitGammaGamma(summaries);
  let repeatCustomers = 0;
  let repeatPurchases = 0;
  for (const s of summaries) {
    if (s.x > 0) repeatCustomers++;
    repeatPurchases += s.x;
  }
  return {
    kind: 'strata.clv-model',
    version: 1,
    fittedAt: fittedAt.toISOString(),
    calibrationEnd,
    customers: summaries.length,
    repeatCustomers,
    repeatPurchases,
    bgnbd: { ...bgnbd.params, ...bgnbd.diagnostics },
    gammaGamma: { ...gammaGamma.params, ...gammaGamma.diagnostics },
  };
}

/** Fits both models on the purchases up to the calibration end (inclusive), prepared per DESIGN.md. */
export function fitFromHistories(histories: readonly PurchaseHistory[], calibrationEnd: string, fittedAt: Date): FittedModel {
  const summaries = summarize(histories, calibrationEnd);
  if (summaries.length === 0) throw new InputError(`no customer bought on or before ${calibrationEnd}`);
  return fitModels(summaries, calibrationEnd, fittedAt);
}

/** The bucket prefix fitted models live under (the refit Lambda may write only there). */
export const MODELS_PREFIX = 'models/';
export const LATEST_MODEL_KEY = `${MODELS_PREFIX}latest.json`;

/** The object key a model fitted at this time is stored under; ISO time with ':' made key-safe. */
export function modelKey(fittedAt: string): string {
  return `${MODELS_PREFIX}${fittedAt.replace(/:/g, '-')}.json`;
}
