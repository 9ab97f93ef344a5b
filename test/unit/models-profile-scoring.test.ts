import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { profileSummary, scoreAggregates, scoreProfile } from '../../functions/core/models/clv.ts';
import { aggregateOrders } from '../../functions/core/profile.ts';
import type { OrderLine } from '../../functions/core/records.ts';
import { loadModelScorer } from '../../functions/commons/model-scorer.ts';
import { readOrderFile } from '../../functions/local/read-order-file.ts';
import { PROJECT_ROOT } from '../../lib/project-root.ts';

const CDNOW = path.join(PROJECT_ROOT, '..', 'shared', 'data', 'cdnow');
/** Published CDNOW parameters (Fader, Hardie & Lee 2005; Fader & Hardie 2013). */
const MODEL = { bgnbd: { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 }, gammaGamma: { p: 6.25, q: 3.74, gamma: 15.44 } };
const AS_OF = new Date('1997-09-30T18:00:00Z');

describe('model facts of a stored profile', () => {
  let byCustomer: Map<string, OrderLine[]>;
  beforeAll(async () => {
    const { lines } = await readOrderFile(path.join(CDNOW, 'cdnow_sample.csv'));
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
      const fromLedger = scoreProfile(MODEL, profileSummary(lines, AS_OF)!);
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
