import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { aggregateOrders, type OrderAggregates } from '../../functions/core/profile.ts';
import { builtinSegments } from '../../functions/core/segments/builtin.ts';
import { evaluateAll, orderDefinitions } from '../../functions/core/segments/catalog.ts';
import { addBatchToStats, factColumns, loadProfiles, valueAt } from '../../functions/core/segments/columns.ts';
import { compileCatalog } from '../../functions/core/segments/compile.ts';
import { parseSegmentDefinition, type SegmentDefinition } from '../../functions/core/segments/definition.ts';
import { evaluateBatch, evaluateColumns, isMember } from '../../functions/core/segments/evaluate-columns.ts';
import { buildFacts, lookupFact, withPopulation, type CustomerFactsInput, type Ledgers } from '../../functions/core/segments/facts.ts';
import { addToStats, emptyStats, EMPTY_POPULATION, fieldStatsOf, finalizeStats, statsFields } from '../../functions/core/segments/population.ts';
import { readOrderFile } from '../../bin/commands/order-file.ts';
import { PROJECT_ROOT } from '../../lib/project-root.ts';

const NOW = new Date('1998-07-01T00:00:00Z');
const DAY = 86_400_000;
const CDNOW = path.join(PROJECT_ROOT, '..', 'shared', 'data', 'cdnow');

/** A small deterministic generator, so failures reproduce. */
function random(seed: number) {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

/**
 * Everything the per-customer path does for a population (buildFacts, histograms, the compiled
 * catalog, the interpreter) next to the column path, decision by decision.
 */
function bothPaths(inputs: readonly CustomerFactsInput[], definitions: readonly SegmentDefinition[], ledgers: readonly Ledgers[] = []) {
  const unscored = inputs.map((input) => buildFacts(input, NOW, EMPTY_POPULATION));
  const partial = emptyStats(statsFields(definitions));
  for (const facts of unscored) addToStats(partial, facts);
  const population = finalizeStats(partial);
  const catalog = compileCatalog(definitions, NOW, population);
  const scored = unscored.map((facts) => withPopulation(facts, population));
  const noLedgers: Ledgers = { events: [], orderLines: [] };
  const compiled = scored.map((facts, i) => catalog.evaluate(facts, ledgers[i] ?? noLedgers));
  const interpreted = scored.map((facts, i) => [...evaluateAll(definitions, facts, { now: NOW, population, ledgers: ledgers[i] ?? noLedgers }).values()].map((e) => e.matched));

  const columns = factColumns(loadProfiles(inputs, definitions), NOW);
  const members = evaluateColumns(definitions, columns, NOW, (i) => ledgers[i]);
  const byColumns = inputs.map((_, i) => members.map((m) => isMember(m, i)));
  return { population, scored, compiled, interpreted, columns, byColumns };
}

/** Differences as readable lines, so a failure names the customer, the segment and both answers. */
function differences(definitions: readonly SegmentDefinition[], expected: readonly boolean[][], actual: readonly boolean[][]): string[] {
  const found: string[] = [];
  expected.forEach((row, i) =>
    row.forEach((member, s) => {
      if (actual[i]?.[s] !== member) found.push(`customer ${i}, ${definitions[s]?.name}: expected ${member}, got ${actual[i]?.[s]}`);
    }),
  );
  return found.slice(0, 20);
}

const iso = (day: number, withTime: boolean) => new Date(day * DAY + (withTime ? 13 * 3_600_000 + 5 * 60_000 : 0)).toISOString().slice(0, withTime ? 24 : 10);

/** Profiles of every kind the built-in catalogue meets, with heavy ties so quantile boundaries are hit. */
function generated(count: number, seed: number): { inputs: CustomerFactsInput[]; ledgers: Ledgers[] } {
  const r = random(seed);
  const pick = <T>(values: readonly T[]): T => values[Math.floor(r() * values.length)] as T;
  const today = Math.floor(NOW.getTime() / DAY);
  const inputs: CustomerFactsInput[] = [];
  const ledgers: Ledgers[] = [];
  for (let i = 0; i < count; i++) {
    const kind = r();
    let orders: OrderAggregates | undefined;
    if (kind > 0.08) {
      const n = r() < 0.05 ? 0 : pick([1, 1, 1, 2, 2, 3, 5, 8, 13]);
      const last = today - pick([0, 1, 10, 29, 30, 31, 60, 89, 90, 91, 200, 364, 365, 366, 500, 900]);
      const first = last - (n > 1 ? pick([0, 10, 30, 100, 400]) : 0);
      const revenue = pick([0, 0, 9.99, 12, 12, 12.005, 25, 49.5, 100, 250.25, 1000, Math.round(r() * 50_000) / 100]);
      const withTime = r() < 0.5;
      const base: Record<string, unknown> = {
        orders: n,
        purchaseDays: Math.min(n, pick([0, 1, 2, 3, 4])),
        revenue,
        averageOrderValue: n > 0 ? revenue / n : 0,
        firstOrderAt: iso(first, withTime),
        lastOrderAt: iso(last, withTime),
        cancelledOrders: pick([0, 0, 0, 1, 2]),
        discountShareOfOrders: pick([0, 0, 0.25, 0.5, 1]),
        discountShareOfRevenue: pick([0, 0.2, 0.5, 0.7]),
      };
      if (r() < 0.6) base.medianGapDays = pick([0, 5, 20, 30, 45, 200]);
      if (r() < 0.3) base.categoryMix = pick([{ Rock: 0.7, Jazz: 0.3 }, { Jazz: 0.5, Rock: 0.5 }, { Pop: 0.6 }, {}]);
      if (r() < 0.03) base.orders = pick(['3', null, Number.NaN]);
      if (r() < 0.03) base.revenue = pick(['100', null, undefined]);
      if (r() < 0.02) base.lastOrderAt = pick(['1998-02-30', 'yesterday']);
      orders = base as unknown as OrderAggregates;
    }
    const input: { -readonly [K in keyof CustomerFactsInput]: CustomerFactsInput[K] } = { customerId: `c${i}` };
    if (orders !== undefined) input.orders = orders;
    if (r() < 0.4) {
      input.contact = {
        ...(r() < 0.5 ? { birthDate: pick(['1970-07-01', '1980-06-30', '2000-01-15', 'unknown', '1998-07-02']) } : {}),
        ...(r() < 0.5 ? { ageBand: pick(['19-24', '65+', '35-44', 'n/a']) } : {}),
        ...(r() < 0.5 ? { gender: pick(['F', 'male', 'x', '', 'Woman']) } : {}),
        ...(r() < 0.5 ? { incomeBand: pick(['Under 15K', '35-49K', '250K+', '100,000', 'none']) } : {}),
        ...(r() < 0.5 ? { country: pick(['us', ' US ', 'DE', 'fr']) } : {}),
        ...(r() < 0.3 ? { interests: pick([['Music', ' books '], [], ['sports', 'outdoors', 'technology']]) } : {}),
      };
    }
    if (r() < 0.3) {
      input.model = {
        pAlive: pick([0.05, 0.1, 0.3, 0.5, 0.9]),
        ...(r() < 0.7 ? { clv12m: pick([0, 10, 10, 55.5, 300, 1000]) } : {}),
        ...(r() < 0.7 ? { expectedPurchases30d: pick([0.01, 0.15, 0.5]) } : {}),
      } as unknown as NonNullable<CustomerFactsInput['model']>;
    }
    inputs.push(input);
    const at = (days: number) => new Date(NOW.getTime() - days * DAY).toISOString();
    ledgers.push(
      r() < 0.15
        ? {
            events: [
              { type: pick(['email_open', 'email_click', 'email_delivery']), occurredAt: at(pick([1, 20, 60])) },
              { type: 'email_delivery', occurredAt: at(5) },
              { type: 'email_delivery', occurredAt: at(6) },
              { type: 'review', occurredAt: at(40), properties: { rating: pick(['5', '2']) } },
            ],
            orderLines: [{ orderedAt: at(pick([10, 35])), amount: 20 }],
          }
        : { events: [], orderLines: [] },
    );
  }
  return { inputs, ledgers };
}

const BUILTIN = orderDefinitions(builtinSegments());

describe('segment evaluation over fact columns', () => {
  it.each([
    [1, 1],
    [7, 2],
    [50, 3],
    [400, 4],
    [3000, 5],
  ])('gives the built-in catalogue the compiled and interpreted decisions for %i generated profiles', (count, seed) => {
    const { inputs, ledgers } = generated(count, seed);
    const { population, compiled, interpreted, columns, byColumns } = bothPaths(inputs, BUILTIN, ledgers);
    expect(columns.population).toEqual(population);
    expect(differences(BUILTIN, compiled, byColumns)).toEqual([]);
    expect(differences(BUILTIN, interpreted, byColumns)).toEqual([]);
  });

  it.each([1, 7, 200, 333])(
    'gathers statistics and decides in batches of %i (what refreshCustomers runs) as the per-customer path does for everyone',
    (size) => {
      const { inputs, ledgers } = generated(1000, 31);
      const { population, interpreted } = bothPaths(inputs, BUILTIN, ledgers);
      const histograms = emptyStats(statsFields(BUILTIN));
      for (const input of inputs) addToStats(histograms, buildFacts(input, NOW, EMPTY_POPULATION));
      const partial = emptyStats(statsFields(BUILTIN));
      for (let from = 0; from < inputs.length; from += size) addBatchToStats(partial, loadProfiles(inputs.slice(from, from + size), BUILTIN), NOW);
      expect(partial).toEqual(histograms);
      expect(finalizeStats(partial)).toEqual(population);

      const byBatches: boolean[][] = [];
      for (let from = 0; from < inputs.length; from += size) {
        const batch = inputs.slice(from, from + size);
        const members = evaluateBatch(BUILTIN, loadProfiles(batch, BUILTIN), NOW, population, (i) => ledgers[from + i]);
        batch.forEach((_, i) => byBatches.push(members.map((m) => isMember(m, i))));
      }
      expect(byBatches).toHaveLength(inputs.length);
      expect(differences(BUILTIN, interpreted, byBatches)).toEqual([]);
    },
  );

  it('holds every fact the catalogue reads exactly as buildFacts does, RFM scores included', () => {
    const { inputs } = generated(2000, 11);
    const { scored, columns } = bothPaths(inputs, BUILTIN);
    const paths = [
      ...['orders', 'rfm', 'customerId', 'contact.country', 'model.pAlive', 'demographics.ageBand', 'demographics.interests', 'demographics.gender'],
      ...['orders.orders', 'orders.revenue', 'orders.lastOrderDay', 'orders.daysSinceLastOrder', 'orders.daysSinceFirstOrder', 'orders.medianGapDays'],
      ...['orders.returnShare', 'orders.topCategory', 'orders.topCategoryShare', 'orders.categoryMix.Rock', 'orders.constructor', 'orders.orders.toFixed'],
      ...['rfm.r', 'rfm.f', 'rfm.m', 'rfm.score', 'rfm.recencyDays', 'rfm.frequency', 'rfm.monetary', 'rfm.nothing'],
    ];
    for (const field of paths) {
      const column = columns.column(field);
      scored.forEach((facts, i) => {
        const expected = lookupFact(facts, field);
        const actual = valueAt(column, i);
        // Objects (the orders or rfm facts, lists) only need to be there; the rest must be the same value.
        if (typeof expected === 'object' && expected !== null && !Array.isArray(expected)) expect(typeof actual, `${field} of customer ${i}`).toBe('object');
        else expect(actual, `${field} of customer ${i}`).toEqual(expected);
      });
    }
  });

  it.each([
    ['days and counts (counted by cent)', (r: () => number) => Math.floor(r() * 600)],
    ['money with cents and half cents', (r: () => number) => Math.round(r() * 100_000) / 200],
    ['a range too wide to count (sorted)', (r: () => number) => (r() < 0.5 ? -1 : 1) * Math.round(r() * 1e9) / 100],
    ['odd values among numbers', (r: () => number) => [0, -0, 1e-9, -0.004, 0.005, Number.NaN, Infinity, 2.675][Math.floor(r() * 8)] as number],
  ])('gives the statistics of the histograms: %s', (_label, draw) => {
    const r = random(3);
    for (const n of [1, 2, 5, 99, 1000]) {
      const values: unknown[] = Array.from({ length: n }, () => draw(r));
      if (n > 5) values.push('12', null, undefined);
      const partial = emptyStats(['x']);
      for (const x of values) addToStats(partial, { x });
      expect(fieldStatsOf(values), `n=${n}`).toEqual(finalizeStats(partial).fields.x);
    }
  });

  it('evaluates profiles loaded once at other times as buildFacts does at those times', () => {
    const { inputs } = generated(800, 9);
    const loaded = loadProfiles(inputs, BUILTIN);
    for (const at of [new Date('1998-01-15T00:00:00Z'), new Date('1999-03-01T23:59:59Z')]) {
      const unscored = inputs.map((input) => buildFacts(input, at, EMPTY_POPULATION));
      const partial = emptyStats(statsFields(BUILTIN));
      for (const facts of unscored) addToStats(partial, facts);
      const population = finalizeStats(partial);
      const catalog = compileCatalog(BUILTIN, at, population);
      const expected = unscored.map((facts) => catalog.evaluate(withPopulation(facts, population), { events: [], orderLines: [] }));
      const members = evaluateColumns(BUILTIN, factColumns(loaded, at), at);
      expect(differences(BUILTIN, expected, inputs.map((_, i) => members.map((m) => isMember(m, i)))), at.toISOString()).toEqual([]);
    }
  });

  it('scores ties at the quintile boundaries as the histograms do', () => {
    // 10 customers on each of 5 revenue values: every boundary falls between or on ties.
    const inputs: CustomerFactsInput[] = Array.from({ length: 53 }, (_, i) => ({
      customerId: `t${i}`,
      orders: {
        orders: 1 + (i % 3),
        purchaseDays: 1,
        revenue: [10, 10.001, 20, 30, 30][i % 5] as number,
        averageOrderValue: 10,
        firstOrderAt: '1998-01-01',
        lastOrderAt: ['1998-01-01', '1998-03-01T10:00:00Z', '1998-06-30'][i % 3] as string,
        cancelledOrders: 0,
        discountShareOfOrders: 0,
        discountShareOfRevenue: 0,
      },
    }));
    const { population, scored, compiled, columns, byColumns } = bothPaths(inputs, BUILTIN);
    expect(columns.population).toEqual(population);
    expect(differences(BUILTIN, compiled, byColumns)).toEqual([]);
    const score = columns.column('rfm.score');
    expect(scored.map((facts) => lookupFact(facts, 'rfm.score'))).toEqual(inputs.map((_, i) => valueAt(score, i)));
  });

  it('decides user definitions of every operator like the compiled catalogue', () => {
    const define = (name: string, condition: unknown) => parseSegmentDefinition({ name, title: name, kind: 'custom', condition }, 'test');
    const definitions = orderDefinitions([
      ...BUILTIN,
      define('c-contains', { type: 'compare', field: 'demographics.interests', op: 'contains', value: 'music' }),
      define('c-in-country', { type: 'compare', field: 'demographics.country', op: 'in', value: ['US', 'DE'] }),
      define('c-neq-number', { type: 'compare', field: 'rfm.r', op: 'neq', value: 3 }),
      define('c-neq-string', { type: 'compare', field: 'orders.orders', op: 'neq', value: '3' }),
      define('c-lt-string', { type: 'compare', field: 'orders.revenue', op: 'lt', value: '5' }),
      define('c-gte-percentile-model', { type: 'compare', field: 'model.clv12m', op: 'gte', value: { percentile: 50 } }),
      define('c-percentile-rfm', { type: 'compare', field: 'rfm.monetary', op: 'lte', value: { percentile: 20 } }),
      define('c-field-eq', { type: 'compare', field: 'orders.orders', op: 'eq', value: { field: 'orders.purchaseDays' } }),
      define('c-field-gt', { type: 'compare', field: 'orders.revenue', op: 'gt', value: { field: 'model.clv12m', multiply: 0.5 } }),
      define('c-within', { type: 'compare', field: 'orders.lastOrderAt', op: 'withinDays', value: 60 }),
      define('c-customer', { type: 'compare', field: 'customerId', op: 'in', value: ['c1', 'c5'] }),
      define('c-orders-exist', { type: 'compare', field: 'orders', op: 'exists' }),
      define('c-not-any', { type: 'not', condition: { type: 'any', conditions: [{ type: 'segment', name: 'vip' }, { type: 'segment', name: 'c-within' }] } }),
      define('c-ref', { type: 'segment', name: 'c-not-any' }),
    ]);
    const { inputs, ledgers } = generated(1500, 21);
    const { compiled, interpreted, byColumns } = bothPaths(inputs, definitions, ledgers);
    expect(differences(definitions, compiled, byColumns)).toEqual([]);
    expect(differences(definitions, interpreted, byColumns)).toEqual([]);
  });

  it('gives the CDNOW sample the decisions and RFM scores of the per-customer path', async () => {
    const { lines } = await readOrderFile(path.join(CDNOW, 'cdnow_sample.csv'), { now: NOW });
    const byCustomer = new Map<string, typeof lines>();
    for (const line of lines) byCustomer.set(line.customerId, [...(byCustomer.get(line.customerId) ?? []), line]);
    const inputs = [...byCustomer].map(([customerId, ledger]) => ({ customerId, orders: aggregateOrders(ledger) }));
    const { scored, compiled, columns, byColumns } = bothPaths(inputs, BUILTIN);
    expect(inputs.length).toBeGreaterThan(2000);
    expect(differences(BUILTIN, compiled, byColumns)).toEqual([]);
    for (const field of ['rfm.r', 'rfm.f', 'rfm.m']) {
      const column = columns.column(field);
      expect(
        scored.map((facts) => lookupFact(facts, field)),
        field,
      ).toEqual(inputs.map((_, i) => valueAt(column, i)));
    }
  });
});
