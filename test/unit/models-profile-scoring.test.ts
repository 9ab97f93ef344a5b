import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { expectedPurchasesOver, pAlive } from '../../functions/core/models/bgnbd.ts';
import { profileScorer, scoreAggregates, scoreProfile, type Models, type ModelFacts } from '../../functions/core/models/clv.ts';
import { expectedSpend } from '../../functions/core/models/gamma-gamma.ts';
import { purchaseHistories, summarize, type CustomerSummary } from '../../functions/core/models/prepare.ts';
import { aggregateOrders } from '../../functions/core/profile.ts';
import type { OrderLine } from '../../functions/core/records.ts';
import { loadModelScorer } from '../../functions/segmentation/model-scorer.ts';
import { readOrderFile } from '../../bin/commands/order-file.ts';
import { PROJECT_ROOT } from '../../lib/project-root.ts';

/** A month in weeks, w in the README's CLV formula. */
const WEEKS_PER_MONTH = 365.25 / 12 / 7;

const CDNOW = path.join(PROJECT_ROOT, '..', 'shared', 'data', 'cdnow');
/** Published CDNOW parameters (Fader, Hardie & Lee 2005; Fader & Hardie 2013). */
const MODEL = { bgnbd: { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 }, gammaGamma: { p: 6.25, q: 3.74, gamma: 15.44 } };
const AS_OF = new Date('1997-09-30T18:00:00Z');
/** The reader's clock: the day after the CDNOW data ends, so no order is in its future. */
const AFTER_THE_DATA = new Date('1998-07-01T00:00:00Z');

describe('model facts of a stored profile', () => {
  let byCustomer: Map<string, OrderLine[]>;
  beforeAll(async () => {
    const { lines } = await readOrderFile(path.join(CDNOW, 'cdnow_sample.csv'), { now: AFTER_THE_DATA });
    byCustomer = new Map();
    for (const line of lines) {
      if (line.orderedAt > AS_OF.toISOString()) continue;
      const list = byCustomer.get(line.customerId) ?? [];
      list.push(line);
      byCustomer.set(line.customerId, list);
    }
  });

  it('equal, for every CDNOW sample customer, the scores from the ledger prepared as for the fit', () => {
    expect(byCustomer.size).toBe(2357);
    let compared = 0;
    for (const lines of byCustomer.values()) {
      const fromLedger = scoreProfile(MODEL, summarize(purchaseHistories(lines), AS_OF.toISOString())[0]!);
      const fromAggregates = scoreAggregates(MODEL, aggregateOrders(lines)!, AS_OF)!;
      for (const key of Object.keys(fromLedger) as (keyof typeof fromLedger)[]) expect(fromAggregates[key]).toBeCloseTo(fromLedger[key], 9);
      compared++;
    }
    expect(compared).toBe(2357);
  });

  it('give a lower P(alive) the longer a repeat buyer stays away, and score nobody before their first purchase', () => {
    const orders = { purchaseDays: 4, firstOrderAt: '1997-01-01T00:00:00.000Z', lastOrderAt: '1997-03-01T00:00:00.000Z', repeatDaySpend: 30 };
    const soon = scoreAggregates(MODEL, orders, new Date('1997-03-15T00:00:00Z'))!;
    const late = scoreAggregates(MODEL, orders, new Date('1998-03-15T00:00:00Z'))!;
    expect(late.pAlive).toBeLessThan(soon.pAlive);
    expect(late.clv12m).toBeLessThan(soon.clv12m);
    expect(scoreAggregates(MODEL, orders, new Date('1996-12-31T00:00:00Z'))).toBeUndefined();
  });
});

/** The facts computed the straightforward way: one series pass per customer, P(alive) inside it, months discounted at 1%. */
function scoredDirectly(model: Models, c: CustomerSummary): ModelFacts {
  const horizons = [30 / 7, 90 / 7, ...Array.from({ length: 12 }, (_, m) => (m + 1) * WEEKS_PER_MONTH)];
  const cumulative = expectedPurchasesOver(model.bgnbd, c, horizons);
  const spend = expectedSpend(model.gammaGamma, c);
  let discounted = 0;
  let previous = 0;
  for (let m = 1; m <= 12; m++) {
    discounted += (cumulative[m + 1]! - previous) / 1.01 ** m;
    previous = cumulative[m + 1]!;
  }
  return { pAlive: pAlive(model.bgnbd, c), expectedPurchases30d: cumulative[0]!, expectedPurchases90d: cumulative[1]!, expectedSpend: spend, clv12m: discounted * spend, pastPurchases30d: c.T > 0 ? (c.x / c.T) * (30 / 7) : 0 };
}

const worstRelativeDifference = (u: ModelFacts, v: ModelFacts): number =>
  Math.max(...(Object.keys(u) as (keyof ModelFacts)[]).map((key) => (u[key] === v[key] ? 0 : Math.abs(u[key] / v[key] - 1))));

describe('scoring many profiles: the series summed once per (x, T)', () => {
  let master: CustomerSummary[];
  beforeAll(async () => {
    const { lines } = await readOrderFile(path.join(CDNOW, 'cdnow_master.csv'), { now: AFTER_THE_DATA });
    master = summarize(purchaseHistories(lines), '1997-09-30');
  });

  it('gives every CDNOW master customer the facts of the per-customer computation, to 1e-12, in any order', () => {
    expect(new Set(master.map((c) => `${c.x}|${c.T}`)).size).toBeLessThan(master.length / 10);
    const score = profileScorer(MODEL);
    let worst = 0;
    for (const c of [...master, ...[...master].reverse()]) {
      const expected = scoredDirectly(MODEL, c);
      worst = Math.max(worst, worstRelativeDifference(score(c), expected), worstRelativeDifference(scoreProfile(MODEL, c), expected));
    }
    expect(worst).toBeLessThan(1e-12);
  });

  it('scores with the parameters of the call, even when the model object changed in place', () => {
    const c = master.find((s) => s.x > 2)!;
    const model = { bgnbd: { ...MODEL.bgnbd }, gammaGamma: { ...MODEL.gammaGamma } };
    const before = scoreProfile(model, c);
    for (const change of [() => (model.bgnbd.r = 0.5), () => (model.gammaGamma.p = 3)]) {
      const previous = scoreProfile(model, c);
      change();
      const after = scoreProfile(model, c);
      expect(after.clv12m).not.toBe(previous.clv12m);
      expect(worstRelativeDifference(after, scoredDirectly(model, c))).toBeLessThan(1e-12);
    }
    expect(scoreProfile(MODEL, c)).toEqual(before);
  });

  it('stays exact past the cache bound (T not in whole days: every customer a new pair)', () => {
    const score = profileScorer(MODEL);
    const customers = Array.from({ length: 70_000 }, (_, i) => ({ customerId: String(i), x: i % 5, tx: 100, T: 200 + i / 1000, zbar: 25, firstDay: 0 }));
    for (const c of customers) score(c);
    let worst = 0;
    for (const c of customers.filter((_, i) => i % 997 === 0)) worst = Math.max(worst, worstRelativeDifference(score(c), scoredDirectly(MODEL, c)));
    expect(worst).toBeLessThan(1e-12);
  });
});

/** A bucket holding just these objects. */
const objects = (held: Record<string, string>) => ({ readText: async (key: string) => held[key] });

describe('the latest model as the segment scorer', () => {
  const fitted = {
    kind: 'strata.clv-model', version: 1, fittedAt: '1997-10-01T00:00:00.000Z', calibrationEnd: '1997-09-30', customers: 2357, repeatCustomers: 946, repeatPurchases: 2457,
    bgnbd: { ...MODEL.bgnbd, logLikelihood: -9582.4, iterations: 100, evaluations: 180, converged: true, customers: 2357 },
    gammaGamma: { ...MODEL.gammaGamma, logLikelihood: -4000, iterations: 90, evaluations: 160, converged: true, customers: 946 },
  };

  it('is absent before the first fit', async () => {
    expect(await loadModelScorer(objects({}))).toBeUndefined();
  });

  it('scores with the stored parameters', async () => {
    const scorer = await loadModelScorer(objects({ 'models/latest.json': JSON.stringify(fitted) }));
    const orders = { purchaseDays: 2, firstOrderAt: '1997-01-01T00:00:00.000Z', lastOrderAt: '1997-02-01T00:00:00.000Z', repeatDaySpend: 20 };
    expect(scorer?.(orders, AS_OF)).toEqual(scoreAggregates(MODEL, orders, AS_OF));
  });

  it.each([
    ['not JSON', '{"kind":', /models\/latest\.json is not JSON/],
    ['not a model', JSON.stringify({ ...fitted, bgnbd: { r: 'high' } }), /invalid fitted model models\/latest\.json: bgnbd\.r/],
  ])('refuses a stored model that is %s, naming the object', async (_what, body, message) => {
    await expect(loadModelScorer(objects({ 'models/latest.json': body }))).rejects.toThrow(message);
  });
});
