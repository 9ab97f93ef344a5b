import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse } from 'csv-parse/sync';
import { beforeAll, describe, expect, it } from 'vitest';
import { bgnbdData, bgnbdLogLikelihood, expectedPurchases, expectedPurchasesOver, expectedRepeatPurchases, remainingTermByHyp2f1, fitBgNbd, pAlive, type BgNbdParams } from '../../functions/core/models/bgnbd.ts';
import { scoreCustomer, scoreProfile, type ClvOptions, type Models } from '../../functions/core/models/clv.ts';
import { fitModels, fittedModelSchema, modelKey, type FittedModel } from '../../functions/core/models/fitted-model.ts';
import { expectedSpend, fitGammaGamma, type GammaGammaParams } from '../../functions/core/models/gamma-gamma.ts';
import { minimize } from '../../functions/core/models/nelder-mead.ts';
import { purchaseHistories, summarize, type CustomerSummary, type Purchase } from '../../functions/core/models/prepare.ts';
import { readOrderFile } from '../../bin/commands/order-file.ts';
import { PROJECT_ROOT } from '../../lib/project-root.ts';

/** A month in weeks, w in the README's CLV formula. */
const WEEKS_PER_MONTH = 365.25 / 12 / 7;
/** The CLV `strata model score` reports for a customer with this summary. */
const clv = (models: Models, summary: { x: number; tx: number; T: number; zbar: number }, options: ClvOptions = {}): number =>
  scoreCustomer(models, { customerId: 'c', firstDay: 0, ...summary }, 1, options).clv;

const CDNOW = path.join(PROJECT_ROOT, '..', 'shared', 'data', 'cdnow');
/** Published values: Fader, Hardie & Lee (2005) and Fader & Hardie (2013), ../shared/data/README.md. */
const PUBLISHED_BGNBD: BgNbdParams = { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 };
const PUBLISHED_LL = -9582.4;
const PUBLISHED_GG: GammaGammaParams = { p: 6.25, q: 3.74, gamma: 15.44 };
const MODELS = { bgnbd: PUBLISHED_BGNBD, gammaGamma: PUBLISHED_GG };

type Row = Record<string, string>;
const publishedSummary = (parse(fs.readFileSync(path.join(CDNOW, 'cdnow_customers_summary_with_transactions.csv')), { columns: true, bom: true }) as Row[]).map((r) => ({
  customerId: r.ID!,
  x: Number(r.x),
  tx: Number(r.t_x),
  T: Number(r.T),
  zbar: Number(r.zbar),
}));

describe('data preparation (DESIGN.md, shared/data/README.md)', () => {
  let summaries: CustomerSummary[];
  beforeAll(async () => {
    const file = await readOrderFile(path.join(CDNOW, 'cdnow_sample.csv'), { now: new Date('1998-07-01T00:00:00Z') });
    summaries = summarize(purchaseHistories(file.lines), '1997-09-30');
  });

  it('reproduces cdnow_customers_summary_with_transactions.csv exactly from cdnow_sample.csv', () => {
    const fmt = (s: { customerId: string; x: number; tx: number; T: number; zbar: number }) => [s.customerId, s.x, s.tx.toFixed(2), s.T.toFixed(2), s.zbar.toFixed(2)].join(',');
    const byId = [...summaries].sort((p, q) => Number(p.customerId) - Number(q.customerId));
    expect(byId.map(fmt)).toEqual(publishedSummary.map(fmt));
    expect(summaries.filter((s) => s.x > 0)).toHaveLength(946);
    expect(summaries.reduce((sum, s) => sum + s.x, 0)).toBe(2457);
  });

  it.each([
    {
      name: 'same-day purchases merge into one transaction whose spend is their sum',
      purchases: [['1997-01-01', 10], ['1997-01-01', 5], ['1997-01-08', 20], ['1997-01-08', 4]] as const,
      expected: { x: 1, tx: 1, T: 2, zbar: 24 },
    },
    {
      name: 'the first day is not a repeat purchase: zbar averages repeat days only',
      purchases: [['1997-01-01', 100], ['1997-01-08', 10], ['1997-01-15', 30]] as const,
      expected: { x: 2, tx: 2, T: 2, zbar: 20 },
    },
    {
      name: 'purchases after the calibration end are left out; T runs to the end',
      purchases: [['1997-01-01', 10], ['1997-01-15', 30], ['1997-01-16', 99]] as const,
      expected: { x: 1, tx: 2, T: 2, zbar: 30 },
    },
    {
      name: 'a single purchase day gives x = 0, t_x = 0, zbar = 0',
      purchases: [['1997-01-08', 10]] as const,
      expected: { x: 0, tx: 0, T: 1, zbar: 0 },
    },
    {
      name: 'cancellations are not purchases; a zero-amount line is',
      purchases: [['1997-01-01', 10], ['1997-01-04', -10], ['1997-01-08', 0]] as const,
      expected: { x: 1, tx: 1, T: 2, zbar: 0 },
    },
  ])('$name', ({ purchases, expected }) => {
    const lines: Purchase[] = purchases.map(([day, amount]) => ({ customerId: 'c', orderedAt: `${day}T10:00:00.000Z`, amount }));
    expect(summarize(purchaseHistories(lines), '1997-01-15')).toEqual([{ customerId: 'c', firstDay: expect.any(Number), ...expected }]);
  });

  it('leaves out customers whose first purchase is after the calibration end', () => {
    expect(summarize(purchaseHistories([{ customerId: 'late', orderedAt: '1997-02-01T00:00:00Z', amount: 5 }]), '1997-01-31')).toEqual([]);
  });
});

describe('BG/NBD (Fader, Hardie & Lee 2005)', () => {
  let fitted: BgNbdParams;
  beforeAll(() => {
    fitted = fitBgNbd(publishedSummary).params;
  });

  it('fits the published CDNOW parameters and log-likelihood within 1%', () => {
    const fit = fitBgNbd(publishedSummary);
    for (const key of ['r', 'alpha', 'a', 'b'] as const) expect(Math.abs(fit.params[key] / PUBLISHED_BGNBD[key] - 1)).toBeLessThan(0.01);
    expect(Math.abs(fit.diagnostics.logLikelihood / PUBLISHED_LL - 1)).toBeLessThan(0.01);
    expect(fit.diagnostics.logLikelihood).toBeCloseTo(PUBLISHED_LL, 0);
    expect(fit.diagnostics).toMatchObject({ converged: true, customers: 2357 });
  });

  it('evaluates the log-likelihood at the published parameters to the published value', () => {
    expect(bgnbdLogLikelihood(PUBLISHED_BGNBD, bgnbdData(publishedSummary))).toBeCloseTo(PUBLISHED_LL, 0);
  });

  it('sums the log-likelihood over customers', () => {
    const one = (c: { x: number; tx: number; T: number }) => bgnbdLogLikelihood(PUBLISHED_BGNBD, bgnbdData([c]));
    const customers = publishedSummary.slice(0, 50);
    expect(bgnbdLogLikelihood(PUBLISHED_BGNBD, bgnbdData(customers))).toBeCloseTo(customers.reduce((s, c) => s + one(c), 0), 8);
  });

  it("gives Hardie's spreadsheet value E[Y(39) | x=2, t_x=30.43, T=38.86] = 1.226", () => {
    expect(expectedPurchases(PUBLISHED_BGNBD, { x: 2, tx: 30.43, T: 38.86 }, 39)).toBeCloseTo(1.226, 3);
  });

  // Hardie's sheet evaluates E[X(t)] at his unrounded estimates, which the fit reproduces.
  it.each([
    [0.1429, 0.0078],
    [1, 0.0532],
    [3, 0.1506],
    [31.8571, 1.0405],
    [32, 1.0437],
    [78, 1.8576],
  ])("gives Hardie's spreadsheet E[X(%f)] = %f for a new customer", (t, expected) => {
    expect(expectedRepeatPurchases(fitted, t)).toBeCloseTo(expected, 3);
  });

  it.each([
    { name: 'no repeat purchase: certainly alive', c: { x: 0, tx: 0, T: 38.86 }, expected: 1 },
    { name: 'bought at the very end: odds a/(b+x−1)', c: { x: 3, tx: 38.86, T: 38.86 }, expected: 1 / (1 + 0.793 / (2.426 + 2)) },
  ])('P(alive): $name', ({ c, expected }) => {
    expect(pAlive(PUBLISHED_BGNBD, c)).toBeCloseTo(expected, 12);
  });

  it('P(alive) falls as the last purchase recedes, and with more purchases at the same recency (the frequency paradox)', () => {
    const byRecency = [38, 30, 20, 10, 1].map((tx) => pAlive(PUBLISHED_BGNBD, { x: 4, tx, T: 39 }));
    expect(byRecency).toEqual([...byRecency].sort((p, q) => q - p));
    const byFrequency = [1, 5, 10, 20].map((x) => pAlive(PUBLISHED_BGNBD, { x, tx: 20, T: 39 }));
    expect(byFrequency).toEqual([...byFrequency].sort((p, q) => q - p));
  });

  it('expected purchases grow with the horizon and with frequency at a recent last purchase', () => {
    const c = { x: 3, tx: 35, T: 39 };
    const byHorizon = [0, 1, 4, 13, 52, 104].map((t) => expectedPurchases(PUBLISHED_BGNBD, c, t));
    expect(byHorizon[0]).toBe(0);
    expect(byHorizon).toEqual([...byHorizon].sort((p, q) => p - q));
    const byX = [0, 1, 5, 20].map((x) => expectedPurchases(PUBLISHED_BGNBD, { x, tx: x === 0 ? 0 : 38, T: 39 }, 52));
    expect(byX).toEqual([...byX].sort((p, q) => p - q));
  });

  it('sums the series for many horizons at once to 1e-10 of stdlib hyp2f1 wherever that is finite, and stays finite where it is not', () => {
    const horizons = [30 / 7, 90 / 7, ...Array.from({ length: 12 }, (_, m) => (m + 1) * WEEKS_PER_MONTH), 500, 5000].sort((u, v) => u - v);
    const params = [PUBLISHED_BGNBD, { r: 1.5, alpha: 20, a: 2.5, b: 8 }, { r: 0.1, alpha: 0.5, a: 0.3, b: 0.9 }];
    let worst = 0;
    let compared = 0;
    for (const p of params) {
      for (const x of [0, 1, 2, 5, 20, 100]) {
        for (const T of [0, 0.14, 10, 39, 150]) {
          const c = { x, tx: x === 0 ? 0 : T / 2, T };
          const together = expectedPurchasesOver(p, c, horizons);
          horizons.forEach((t, j) => {
            expect(Number.isFinite(together[j]!) && together[j]! > 0).toBe(true);
            const remaining = remainingTermByHyp2f1(p, c, t);
            if (!Number.isFinite(remaining)) return;
            const reference = ((p.a + p.b + x - 1) / (p.a - 1)) * (1 - remaining) * pAlive(p, c);
            worst = Math.max(worst, Math.abs(together[j]! / reference - 1));
            compared++;
          });
          expect([...together]).toEqual([...together].sort((u, v) => u - v));
        }
      }
    }
    expect(compared).toBeGreaterThan(1000);
    expect(worst).toBeLessThan(1e-10);
  });

  it('stays finite for heavy buyers, where the hypergeometric series alone would overflow', () => {
    const e = expectedPurchases(PUBLISHED_BGNBD, { x: 500, tx: 38.5, T: 39 }, 52);
    expect(Number.isFinite(e)).toBe(true);
    expect(e).toBeGreaterThan(100);
  });
});

describe('Gamma-Gamma (Fader & Hardie 2013)', () => {
  it('fits the published CDNOW parameters within 1% on the 946 repeat customers', () => {
    const fit = fitGammaGamma(publishedSummary);
    for (const key of ['p', 'q', 'gamma'] as const) expect(Math.abs(fit.params[key] / PUBLISHED_GG[key] - 1)).toBeLessThan(0.01);
    expect(fit.diagnostics).toMatchObject({ converged: true, customers: 946 });
  });

  it.each([
    { name: 'no repeat purchase: the population mean pγ/(q−1)', c: { x: 0, zbar: 0 }, expected: (6.25 * 15.44) / 2.74 },
    { name: 'one repeat of 10', c: { x: 1, zbar: 10 }, expected: (6.25 * (15.44 + 10)) / (6.25 + 2.74) },
    { name: 'many repeats: close to the own mean', c: { x: 1000, zbar: 50 }, expected: (6.25 * (15.44 + 50_000)) / (6250 + 2.74) },
  ])('expected spend: $name', ({ c, expected }) => {
    expect(expectedSpend(PUBLISHED_GG, c)).toBeCloseTo(expected, 10);
  });

  it('shrinks a customer mean toward the population mean, less so with more purchases', () => {
    const population = expectedSpend(PUBLISHED_GG, { x: 0, zbar: 0 });
    const few = expectedSpend(PUBLISHED_GG, { x: 1, zbar: 200 });
    const many = expectedSpend(PUBLISHED_GG, { x: 20, zbar: 200 });
    expect(population).toBeLessThan(few);
    expect(few).toBeLessThan(many);
    expect(many).toBeLessThan(200);
  });
});

describe('CLV', () => {
  const c = { x: 2, tx: 30.43, T: 38.86, zbar: 22.35 };
  it('with no discount, is the expected purchases over 12 months times the expected spend', () => {
    const undiscounted = expectedPurchases(PUBLISHED_BGNBD, c, 12 * WEEKS_PER_MONTH) * expectedSpend(PUBLISHED_GG, c);
    expect(clv(MODELS, c, { monthlyDiscountRate: 0 })).toBeCloseTo(undiscounted, 10);
  });

  it('discounts each month from its end: a rate of 100% a month halves the first month and quarters the second', () => {
    const spend = expectedSpend(PUBLISHED_GG, c);
    const m1 = expectedPurchases(PUBLISHED_BGNBD, c, WEEKS_PER_MONTH);
    const m2 = expectedPurchases(PUBLISHED_BGNBD, c, 2 * WEEKS_PER_MONTH) - m1;
    expect(clv(MODELS, c, { months: 2, monthlyDiscountRate: 1 })).toBeCloseTo(spend * (m1 / 2 + m2 / 4), 10);
  });

  it('falls as the discount rate rises and grows with the horizon', () => {
    const byRate = [0, 0.01, 0.05, 0.2].map((d) => clv(MODELS, c, { monthlyDiscountRate: d }));
    expect(byRate).toEqual([...byRate].sort((p, q) => q - p));
    const byMonths = [1, 6, 12, 24].map((months) => clv(MODELS, c, { months }));
    expect(byMonths).toEqual([...byMonths].sort((p, q) => p - q));
  });
});

describe('the stored model and profile facts', () => {
  let model: FittedModel;
  beforeAll(() => {
    model = fitModels(publishedSummary.map((s) => ({ ...s, firstDay: 0 })), '1997-09-30', new Date('2026-01-02T03:04:05.678Z'));
  });

  it('is a JSON document with both fits and their diagnostics, valid against its schema', () => {
    const stored = fittedModelSchema.parse(JSON.parse(JSON.stringify(model)));
    expect(stored).toMatchObject({
      kind: 'strata.clv-model',
      fittedAt: '2026-01-02T03:04:05.678Z',
      calibrationEnd: '1997-09-30',
      customers: 2357,
      repeatCustomers: 946,
      repeatPurchases: 2457,
      bgnbd: { converged: true, customers: 2357, iterations: expect.any(Number) },
      gammaGamma: { converged: true, customers: 946 },
    });
    expect(modelKey(stored.fittedAt)).toBe('models/2026-01-02T03-04-05.678Z.json');
  });

  it('scores a profile into the contract model.* facts', () => {
    const facts = scoreProfile(model, { x: 2, tx: 30.43, T: 38.86, zbar: 22.35 });
    expect(Object.keys(facts).sort()).toEqual(['clv12m', 'expectedPurchases30d', 'expectedPurchases90d', 'expectedSpend', 'pAlive', 'pastPurchases30d']);
    expect(facts.pAlive).toBeGreaterThan(0);
    expect(facts.pAlive).toBeLessThan(1);
    expect(facts.expectedPurchases30d).toBeLessThan(facts.expectedPurchases90d);
    // Two repeat purchase days in 38.86 weeks: 2 / 38.86 × 30 / 7 per 30 days.
    expect(facts.pastPurchases30d).toBeCloseTo((2 / 38.86) * (30 / 7), 12);
    expect(facts.clv12m).toBeCloseTo(clv(model, { x: 2, tx: 30.43, T: 38.86, zbar: 22.35 }), 10);
  });

  it("summarizes one customer's ledger as of an instant, counting the purchases of that UTC day", () => {
    const orders: Purchase[] = [
      { customerId: '1', orderedAt: '1997-01-01T00:00:00.000Z', amount: 29.33 },
      { customerId: '1', orderedAt: '1997-01-18T00:00:00.000Z', amount: 29.73 },
      { customerId: '1', orderedAt: '1997-08-02T00:00:00.000Z', amount: 14.96 },
      { customerId: '1', orderedAt: '1997-12-12T00:00:00.000Z', amount: 26.48 },
    ];
    expect(summarize(purchaseHistories(orders), '1997-09-30T12:00:00.000Z')[0]).toMatchObject({ x: 2, tx: 30.43, T: 38.86, zbar: 22.35 });
    expect(summarize(purchaseHistories(orders), '1996-12-31T00:00:00.000Z')[0]).toBeUndefined();
  });
});

describe('Nelder-Mead', () => {
  it('finds the minimum of the Rosenbrock function from (-1.2, 1)', () => {
    const result = minimize(([x = 0, y = 0]) => 100 * (y - x * x) ** 2 + (1 - x) ** 2, [-1.2, 1], { maxIterations: 2000 });
    expect(result.converged).toBe(true);
    expect(result.x[0]).toBeCloseTo(1, 4);
    expect(result.x[1]).toBeCloseTo(1, 4);
  });

  it('retreats from non-finite values', () => {
    const result = minimize(([x = 0]) => (x < -1 ? Number.NaN : (x - 3) ** 2), [0]);
    expect(result.x[0]).toBeCloseTo(3, 4);
  });
});
