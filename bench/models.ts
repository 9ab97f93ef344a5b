/**
 * npm run bench:models [-- --customers 1000000 --runs 3]
 *
 * Model speed against baselines measured in the same run, on one core (Node's main thread):
 *   fit sample   BG/NBD + Gamma-Gamma on the CDNOW sample (2,357 customers); aim < 1 s
 *   fit master   the same on CDNOW master (23,570 customers); aim < 3 s
 *   score        scoreProfile (P(alive), purchases in 30 and 90 days, expected spend, 12-month
 *                CLV) for --customers summaries synthesised from master's; aim < 10 s for 1,000,000
 * Baselines: one BG/NBD log-likelihood evaluation over the same customers (a fit costs many; a
 * score of everyone costs a few), and for scoring also a plain pass that reads every summary.
 * Fits report the median of --runs. Results: bench/results-models.json.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { bgnbdData, bgnbdLogLikelihood } from '../functions/core/models/bgnbd.ts';
import { scoreProfile } from '../functions/core/models/clv.ts';
import { fitModels, type FittedModel } from '../functions/core/models/fitted-model.ts';
import { purchaseHistories, summarize, type CustomerSummary } from '../functions/core/models/prepare.ts';
import { readOrderFile } from '../bin/commands/order-file.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const data = path.resolve(here, '..', '..', 'shared', 'data', 'cdnow');
const { values: args } = parseArgs({ options: { customers: { type: 'string', default: '1000000' }, runs: { type: 'string', default: '3' } } });
const runs = Number(args.runs);
const CALIBRATION_END = '1997-09-30';

const seconds = (fn: () => void): number => {
  const start = performance.now();
  fn();
  return (performance.now() - start) / 1000;
};
const median = (values: number[]): number => [...values].sort((p, q) => p - q)[Math.floor(values.length / 2)] ?? Number.NaN;
const round = (v: number, digits = 4) => Number(v.toFixed(digits));

async function summaries(file: string): Promise<CustomerSummary[]> {
  const { lines } = await readOrderFile(path.join(data, file), { now: new Date() });
  return summarize(purchaseHistories(lines), CALIBRATION_END);
}

function benchFit(name: string, customers: readonly CustomerSummary[], aimSeconds: number) {
  const prepared = bgnbdData(customers);
  const params = { r: 0.25, alpha: 4.5, a: 0.8, b: 2.4 };
  // The baseline: one log-likelihood over these customers, averaged over many evaluations.
  const evaluations = 200;
  const llSeconds = seconds(() => {
    for (let i = 0; i < evaluations; i++) bgnbdLogLikelihood(params, prepared);
  }) / evaluations;
  let model: FittedModel | undefined;
  const fitSeconds = median(Array.from({ length: runs }, () => seconds(() => (model = fitModels(customers, CALIBRATION_END, new Date(0))))));
  const result = {
    customers: customers.length,
    fitSeconds: round(fitSeconds),
    logLikelihoodSeconds: round(llSeconds, 7),
    fitVsLogLikelihood: round(fitSeconds / llSeconds, 1),
    evaluations: (model?.bgnbd.evaluations ?? 0) + (model?.gammaGamma.evaluations ?? 0),
    aimSeconds,
    withinAim: fitSeconds < aimSeconds,
  };
  process.stdout.write(
    `fit ${name.padEnd(7)} ${String(result.customers).padStart(7)} customers  ${fitSeconds.toFixed(3)} s (aim < ${aimSeconds} s)  = ${result.fitVsLogLikelihood}× one log-likelihood (${(llSeconds * 1000).toFixed(3)} ms); ${result.evaluations} likelihood evaluations\n`,
  );
  return { result, model: model as FittedModel };
}

const sample = await summaries('cdnow_sample.csv');
const master = await summaries('cdnow_master.csv');
const fitSample = benchFit('sample', sample, 1);
const fitMaster = benchFit('master', master, 3);

// 1,000,000 customers: master's summaries over and over, ids made unique.
const n = Number(args.customers);
const synthetic: CustomerSummary[] = Array.from({ length: n }, (_, i) => {
  const s = master[i % master.length] as CustomerSummary;
  return { ...s, customerId: `${s.customerId}-${Math.floor(i / master.length)}` };
});
const model = fitMaster.model;
let checksum = 0;
const readSeconds = seconds(() => {
  for (const s of synthetic) checksum += s.x + s.tx + s.T + s.zbar;
});
const llSeconds = seconds(() => {
  checksum += bgnbdLogLikelihood(model.bgnbd, bgnbdData(synthetic));
});
let clvTotal = 0;
const scoreSeconds = seconds(() => {
  for (const s of synthetic) clvTotal += scoreProfile(model, s).clv12m;
});
const score = {
  customers: n,
  scoreSeconds: round(scoreSeconds),
  customersPerSecond: Math.round(n / scoreSeconds),
  readSeconds: round(readSeconds),
  logLikelihoodSeconds: round(llSeconds),
  scoreVsRead: round(scoreSeconds / readSeconds, 1),
  scoreVsLogLikelihood: round(scoreSeconds / llSeconds, 1),
  aimSeconds: 10,
  withinAim: scoreSeconds < 10,
  meanClv12m: round(clvTotal / n, 2),
};
process.stdout.write(
  `score ${n.toLocaleString('en-US')} customers (scoreProfile: P(alive), 30/90-day purchases, spend, 12-month CLV)  ${scoreSeconds.toFixed(2)} s (aim < 10 s), ${score.customersPerSecond.toLocaleString('en-US')}/s  = ${score.scoreVsLogLikelihood}× one log-likelihood over them (${llSeconds.toFixed(3)} s), ${score.scoreVsRead}× reading them (${readSeconds.toFixed(3)} s)\n`,
);
if (!Number.isFinite(checksum + clvTotal)) throw new Error('non-finite results');

const results = {
  measuredAt: new Date().toISOString(),
  node: process.version,
  cpus: os.cpus().length,
  cpu: os.cpus()[0]?.model,
  // Other work on the machine slows every figure alike; the ratios to the same-run baselines hold better.
  loadAverage1m: round(os.loadavg()[0] ?? 0, 2),
  fitSample: fitSample.result,
  fitMaster: fitMaster.result,
  score,
};
fs.writeFileSync(path.join(here, 'results-models.json'), `${JSON.stringify(results, null, 2)}\n`);
process.stdout.write('results in bench/results-models.json\n');
