import * as fs from 'node:fs';
import { InputError } from '../../functions/core/errors.ts';
import { scoreCustomer, type ClvOptions, type CustomerScore } from '../../functions/core/models/clv.ts';
import { fitModels, type FittedModel } from '../../functions/core/models/fitted-model.ts';
import { isoDay, purchaseHistories, summarize, type PurchaseHistory } from '../../functions/core/models/prepare.ts';
import { validateModel, type ValidationReport } from '../../functions/core/models/validation.ts';
import { validationSvg } from '../../functions/core/models/validation-chart.ts';
import { readOrderFile } from './order-file.ts';

export interface OrderSource {
  readonly orders: string;
  readonly mapping?: string;
}

/** The file's purchase histories; `now` is the clock ingest judges order dates by (none may lie after it). */
async function histories(source: OrderSource, now: Date): Promise<PurchaseHistory[]> {
  const file = await readOrderFile(source.orders, { mappingFile: source.mapping, now });
  return purchaseHistories(file.lines);
}

/** `strata model fit`: BG/NBD and Gamma-Gamma on the customers first seen by the calibration end. */
export async function modelFit(source: OrderSource, calibrationEnd: string, now: Date): Promise<FittedModel> {
  const summaries = summarize(await histories(source, now), calibrationEnd);
  if (summaries.length === 0) throw new InputError(`no customer bought on or before ${calibrationEnd}`);
  return fitModels(summaries, calibrationEnd, now);
}

export interface ScoreOptions extends ClvOptions {
  readonly horizonWeeks: number;
  readonly customer?: string;
}

/** `strata model score`: fits on the calibration period, then scores each of its customers. */
export async function modelScore(source: OrderSource, calibrationEnd: string, options: ScoreOptions, now: Date): Promise<CustomerScore[]> {
  const summaries = summarize(await histories(source, now), calibrationEnd);
  if (summaries.length === 0) throw new InputError(`no customer bought on or before ${calibrationEnd}`);
  const model = fitModels(summaries, calibrationEnd, now);
  const chosen = options.customer === undefined ? summaries : summaries.filter((s) => s.customerId === options.customer);
  if (options.customer !== undefined && chosen.length === 0) throw new InputError(`customer ${options.customer} made no purchase on or before ${calibrationEnd}`);
  return chosen.map((s) => scoreCustomer(model, s, options.horizonWeeks, options));
}

export interface ValidateResult {
  readonly model: FittedModel;
  readonly report: ValidationReport;
  readonly chart?: string;
}

/**
 * `strata model validate`: fits on the calibration period and compares predictions with the
 * holdout (up to holdoutEnd, default the last purchase day in the file); writes an SVG chart to `out`.
 */
export async function modelValidate(source: OrderSource, calibrationEnd: string, options: { holdoutEnd?: string; out?: string }, now: Date): Promise<ValidateResult> {
  const all = await histories(source, now);
  const summaries = summarize(all, calibrationEnd);
  if (summaries.length === 0) throw new InputError(`no customer bought on or before ${calibrationEnd}`);
  const lastDay = Math.max(...all.map((h) => h.days[h.days.length - 1] ?? 0));
  const holdoutEnd = options.holdoutEnd ?? isoDay(lastDay);
  if (holdoutEnd <= calibrationEnd) throw new InputError(`the holdout must end after the calibration (${calibrationEnd}); got ${holdoutEnd}`);
  const model = fitModels(summaries, calibrationEnd, now);
  const report = validateModel(model, all, calibrationEnd, holdoutEnd);
  if (options.out === undefined) return { model, report };
  fs.writeFileSync(options.out, validationSvg(report));
  return { model, report, chart: options.out };
}

export function formatFit(model: FittedModel): string {
  const { bgnbd: m, gammaGamma: g } = model;
  return [
    `calibration to ${model.calibrationEnd}: ${model.customers} customers, ${model.repeatCustomers} bought again (${model.repeatPurchases} repeat purchase days)`,
    `BG/NBD       r=${m.r.toFixed(4)} alpha=${m.alpha.toFixed(4)} a=${m.a.toFixed(4)} b=${m.b.toFixed(4)}  LL=${m.logLikelihood.toFixed(2)}  ${m.iterations} iterations${m.converged ? '' : ' (NOT converged)'}`,
    `Gamma-Gamma  p=${g.p.toFixed(4)} q=${g.q.toFixed(4)} gamma=${g.gamma.toFixed(4)}  LL=${g.logLikelihood.toFixed(2)}  ${g.iterations} iterations${g.converged ? '' : ' (NOT converged)'}`,
  ].join('\n');
}

export function formatScores(scores: readonly CustomerScore[], horizonWeeks: number): string {
  const header = `customer      x     t_x       T   E[purchases ${horizonWeeks}w]  P(alive)  E[spend]      CLV 12m`;
  return [
    header,
    ...scores.map(
      (s) =>
        `${s.customerId.padEnd(10)} ${String(s.x).padStart(4)} ${s.tx.toFixed(2).padStart(7)} ${s.T.toFixed(2).padStart(7)} ${s.expectedPurchases.toFixed(3).padStart(18)} ${s.pAlive.toFixed(3).padStart(9)} ${s.expectedSpend.toFixed(2).padStart(9)} ${s.clv.toFixed(2).padStart(12)}`,
    ),
  ].join('\n');
}
