import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { aggregateOrders, type OrderAggregates } from '../../functions/core/profile.ts';
import { builtinSegments } from '../../functions/core/segments/builtin.ts';
import { evaluateAll, orderDefinitions } from '../../functions/core/segments/catalog.ts';
import { addBatchToStats, factColumns, loadProfiles, valueAt, type Column, type FactColumns } from '../../functions/core/segments/columns.ts';
import { parseSegmentDefinition, type Condition, type SegmentDefinition } from '../../functions/core/segments/definition.ts';
import { evaluateBatch, evaluateColumns, isMember } from '../../functions/core/segments/evaluate-columns.ts';
import { lookupFact, type Facts } from '../../functions/core/segments/fact-path.ts';
import { buildFacts, type CustomerFactsInput, type Ledgers } from '../../functions/core/segments/facts.ts';
import {
  addToStats,
  emptyStats,
  EMPTY_POPULATION,
  fieldStatsOf,
  finalizeStats,
  populationOf,
  statsFields,
  type PopulationStats,
} from '../../functions/core/segments/population.ts';
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
 * Everything the per-customer path does for a population (buildFacts, histograms, the interpreter
 * that explains) next to the column path the product runs, decision by decision.
 */
function bothPaths(inputs: readonly CustomerFactsInput[], definitions: readonly SegmentDefinition[], ledgers: readonly Ledgers[] = []) {
  const unscored = inputs.map((input) => buildFacts(input, NOW, EMPTY_POPULATION));
  const partial = emptyStats(statsFields(definitions));
  for (const facts of unscored) addToStats(partial, facts);
  const population = finalizeStats(partial);
  const scored = inputs.map((input) => buildFacts(input, NOW, population));
  const noLedgers: Ledgers = { events: [], orderLines: [] };
  const interpreted = scored.map((facts, i) => [...evaluateAll(definitions, facts, { now: NOW, population, ledgers: ledgers[i] ?? noLedgers }).values()].map((e) => e.matched));

  const columns = factColumns(loadProfiles(inputs, definitions), NOW);
  const members = evaluateColumns(definitions, columns, NOW, (i) => ledgers[i]);
  const byColumns = inputs.map((_, i) => members.map((m) => isMember(m, i)));
  return { population, scored, interpreted, columns, byColumns };
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
  ])('gives the built-in catalogue the interpreted decisions for %i generated profiles', (count, seed) => {
    const { inputs, ledgers } = generated(count, seed);
    const { population, interpreted, columns, byColumns } = bothPaths(inputs, BUILTIN, ledgers);
    expect(columns.population).toEqual(population);
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
      const expected = inputs.map((input) =>
        [...evaluateAll(BUILTIN, buildFacts(input, at, population), { now: at, population, ledgers: { events: [], orderLines: [] } }).values()].map((e) => e.matched),
      );
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
    const { population, scored, interpreted, columns, byColumns } = bothPaths(inputs, BUILTIN);
    expect(columns.population).toEqual(population);
    expect(differences(BUILTIN, interpreted, byColumns)).toEqual([]);
    const score = columns.column('rfm.score');
    expect(scored.map((facts) => lookupFact(facts, 'rfm.score'))).toEqual(inputs.map((_, i) => valueAt(score, i)));
  });

  it('decides user definitions of every operator like the interpreter', () => {
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
    const { interpreted, byColumns } = bothPaths(inputs, definitions, ledgers);
    expect(differences(definitions, interpreted, byColumns)).toEqual([]);
  });

  it('gives the CDNOW sample the decisions and RFM scores of the per-customer path', async () => {
    const { lines } = await readOrderFile(path.join(CDNOW, 'cdnow_sample.csv'), { now: NOW });
    const byCustomer = new Map<string, typeof lines>();
    for (const line of lines) byCustomer.set(line.customerId, [...(byCustomer.get(line.customerId) ?? []), line]);
    const inputs = [...byCustomer].map(([customerId, ledger]) => ({ customerId, orders: aggregateOrders(ledger) }));
    const { scored, interpreted, columns, byColumns } = bothPaths(inputs, BUILTIN);
    expect(inputs.length).toBeGreaterThan(2000);
    expect(differences(BUILTIN, interpreted, byColumns)).toEqual([]);
    for (const field of ['rfm.r', 'rfm.f', 'rfm.m']) {
      const column = columns.column(field);
      expect(
        scored.map((facts) => lookupFact(facts, field)),
        field,
      ).toEqual(inputs.map((_, i) => valueAt(column, i)));
    }
  });
});

// Hand-made facts and conditions, at another evaluation time than the generated profiles above.
const AT = new Date('2026-06-30T12:00:00Z');
const NO_LEDGERS: Ledgers = { events: [], orderLines: [] };
const defineCustom = (name: string, condition: unknown): SegmentDefinition => parseSegmentDefinition({ name, title: name, kind: 'custom', condition }, 'test');

/** Decisions of the interpreter (the path that explains), in catalog order. */
const interpreted = (ordered: readonly SegmentDefinition[], facts: Facts, population: PopulationStats, ledgers = NO_LEDGERS) =>
  [...evaluateAll(ordered, facts, { now: AT, population, ledgers }).values()].map((r) => r.matched);

/**
 * Hand-made facts as the columns the evaluator reads, each value as lookupFact gives it: a number
 * column while every customer has a number or nothing, plain values otherwise (as columns.ts builds them).
 */
function columnsOf(facts: readonly Facts[], population: PopulationStats): FactColumns {
  const column = (path: string): Column => {
    const values = facts.map((f) => lookupFact(f, path));
    if (!values.every((v) => v === undefined || typeof v === 'number')) return { kind: 'value', values };
    return {
      kind: 'number',
      values: Float64Array.from(values, (v) => (v === undefined ? Number.NaN : (v as number))),
      present: Uint8Array.from(values, (v) => (v === undefined ? 0 : 1)),
    };
  };
  return { size: facts.length, population, column };
}

/** What the column evaluator decides for each customer, customer by customer (decisions in catalog order). */
const decisions = (ordered: readonly SegmentDefinition[], columns: FactColumns, ledgersOf?: (i: number) => Ledgers | undefined): boolean[][] => {
  const members = evaluateColumns(ordered, columns, AT, ledgersOf);
  return Array.from({ length: columns.size }, (_, i) => members.map((m) => isMember(m, i)));
};

// Facts of every kind a condition may meet: numbers, strings, lists, missing parents, nulls, a
// boolean, an empty object, and values where a number and a string of the same digits differ.
const FACTS: Record<string, Facts> = {
  full: {
    customerId: 'full',
    contact: { country: 'US', signedUpAt: '2026-06-10T00:00:00Z', vip: true, nickname: null },
    demographics: { ageBand: '25-34', gender: 'female', incomeBand: 'middle', country: 'US', interests: ['music', 'books'] },
    orders: { orders: 4, purchaseDays: 3, revenue: 250.5, medianGapDays: 40, daysSinceLastOrder: 100, daysSinceFirstOrder: 400, topCategory: 'Books', topCategoryShare: 0.7 },
    rfm: { r: 4, f: 5, m: 3, score: '453' },
    model: { pAlive: 0.3, clv12m: 900 },
  },
  sparse: { customerId: 'sparse', contact: {}, demographics: {}, orders: { orders: 1, purchaseDays: 1, revenue: 0, daysSinceLastOrder: 5, daysSinceFirstOrder: 5 } },
  strings: {
    customerId: 'strings',
    contact: { country: 'DE', signedUpAt: 'not a date' },
    demographics: { country: 'de', interests: 'music and books' },
    orders: { orders: '4', revenue: '250.5', medianGapDays: '40', daysSinceLastOrder: 100, topCategory: 'Music' },
    rfm: { r: '4', f: 5 },
  },
  bare: { customerId: 'bare', contact: {}, demographics: {} },
};

const CONDITIONS: Record<string, Condition> = {
  eq: { type: 'compare', field: 'contact.country', op: 'eq', value: 'US' },
  'eq number': { type: 'compare', field: 'orders.orders', op: 'eq', value: 4 },
  'eq boolean': { type: 'compare', field: 'contact.vip', op: 'eq', value: true },
  neq: { type: 'compare', field: 'contact.country', op: 'neq', value: 'US' },
  'neq number': { type: 'compare', field: 'rfm.r', op: 'neq', value: 4 },
  gt: { type: 'compare', field: 'orders.revenue', op: 'gt', value: 250 },
  gte: { type: 'compare', field: 'orders.orders', op: 'gte', value: 4 },
  lt: { type: 'compare', field: 'model.pAlive', op: 'lt', value: 0.5 },
  lte: { type: 'compare', field: 'orders.daysSinceLastOrder', op: 'lte', value: 100 },
  'gt on strings': { type: 'compare', field: 'orders.topCategory', op: 'gt', value: 'C' },
  'lte on strings': { type: 'compare', field: 'contact.country', op: 'lte', value: 'FR' },
  'gte against a boolean': { type: 'compare', field: 'contact.vip', op: 'gte', value: true },
  in: { type: 'compare', field: 'rfm.f', op: 'in', value: [4, 5] },
  'in strings': { type: 'compare', field: 'demographics.country', op: 'in', value: ['CA', 'US'] },
  'contains on a list': { type: 'compare', field: 'demographics.interests', op: 'contains', value: 'books' },
  'contains on a string': { type: 'compare', field: 'demographics.interests', op: 'contains', value: 'books' },
  exists: { type: 'compare', field: 'orders.medianGapDays', op: 'exists' },
  'exists on null': { type: 'compare', field: 'contact.nickname', op: 'exists' },
  missing: { type: 'compare', field: 'model.pAlive', op: 'missing' },
  'missing on null': { type: 'compare', field: 'contact.nickname', op: 'missing' },
  withinDays: { type: 'compare', field: 'contact.signedUpAt', op: 'withinDays', value: 30 },
  olderThanDays: { type: 'compare', field: 'contact.signedUpAt', op: 'olderThanDays', value: 10 },
  'field operand': { type: 'compare', field: 'orders.daysSinceLastOrder', op: 'lte', value: { field: 'orders.medianGapDays', multiply: 3, atLeast: 90, ifMissing: 60 } },
  'field operand without atLeast': { type: 'compare', field: 'orders.daysSinceLastOrder', op: 'gt', value: { field: 'orders.medianGapDays', multiply: 2 } },
  percentile: { type: 'compare', field: 'orders.revenue', op: 'gte', value: { percentile: 50 } },
  'percentile of a field nobody has': { type: 'compare', field: 'model.nothing', op: 'lt', value: { percentile: 50 } },
  'the prototype is not a fact': { type: 'compare', field: 'contact.constructor', op: 'exists' },
  'nor below a value': { type: 'compare', field: 'orders.orders.toFixed', op: 'exists' },
  'a parent that is a string': { type: 'compare', field: 'contact.country.length', op: 'exists' },
  'a list has its own length': { type: 'compare', field: 'demographics.interests.length', op: 'eq', value: 2 },
  'a top-level fact': { type: 'compare', field: 'customerId', op: 'eq', value: 'full' },
  all: { type: 'all', conditions: [{ type: 'compare', field: 'rfm.r', op: 'eq', value: 4 }, { type: 'compare', field: 'rfm.f', op: 'in', value: [4, 5] }] },
  'all of four': {
    type: 'all',
    conditions: [
      { type: 'compare', field: 'rfm.r', op: 'gte', value: 1 },
      { type: 'compare', field: 'rfm.f', op: 'gte', value: 1 },
      { type: 'compare', field: 'orders.orders', op: 'gte', value: 1 },
      { type: 'compare', field: 'customerId', op: 'exists' },
    ],
  },
  any: { type: 'any', conditions: [{ type: 'compare', field: 'model.pAlive', op: 'lt', value: 0.1 }, { type: 'compare', field: 'orders.daysSinceLastOrder', op: 'gte', value: 100 }] },
  'any of three': {
    type: 'any',
    conditions: [
      { type: 'compare', field: 'contact.country', op: 'eq', value: 'FR' },
      { type: 'compare', field: 'contact.country', op: 'eq', value: 'DE' },
      { type: 'compare', field: 'orders.orders', op: 'eq', value: 1 },
    ],
  },
  not: { type: 'not', condition: { type: 'compare', field: 'model.pAlive', op: 'exists' } },
  'a segment': { type: 'segment', name: 'c-eq' },
  'not a segment': { type: 'not', condition: { type: 'segment', name: 'c-percentile' } },
  'an event nobody needs': { type: 'event', name: 'email_open', withinDays: 30, minCount: 0, maxCount: 0 },
  'an event': { type: 'event', name: 'email_open', withinDays: 30, minCount: 1 },
};

// Each condition's decision for each facts, written out: the column evaluator must give these, and
// so must the interpreter (a regression in either shows here, not only a disagreement).
const EXPECTED: Record<string, readonly [full: boolean, sparse: boolean, strings: boolean, bare: boolean]> = {
  eq: [true, false, false, false],
  'eq number': [true, false, false, false],
  'eq boolean': [true, false, false, false],
  neq: [false, false, true, false],
  'neq number': [false, false, true, false],
  gt: [true, false, false, false],
  gte: [true, false, false, false],
  lt: [true, false, false, false],
  lte: [true, true, true, false],
  'gt on strings': [false, false, true, false],
  'lte on strings': [false, false, true, false],
  'gte against a boolean': [false, false, false, false],
  in: [true, false, true, false],
  'in strings': [true, false, false, false],
  'contains on a list': [true, false, true, false],
  'contains on a string': [true, false, true, false],
  exists: [true, false, true, false],
  'exists on null': [false, false, false, false],
  missing: [false, true, true, true],
  'missing on null': [true, true, true, true],
  withinDays: [true, false, false, false],
  olderThanDays: [true, false, false, false],
  'field operand': [true, true, false, false],
  'field operand without atLeast': [true, false, false, false],
  percentile: [true, false, false, false],
  'percentile of a field nobody has': [false, false, false, false],
  'the prototype is not a fact': [false, false, false, false],
  'nor below a value': [false, false, false, false],
  'a parent that is a string': [false, false, false, false],
  'a list has its own length': [true, false, false, false],
  'a top-level fact': [true, false, false, false],
  all: [true, false, false, false],
  'all of four': [true, false, false, false],
  any: [true, false, true, false],
  'any of three': [false, true, true, false],
  not: [false, true, true, true],
  'a segment': [true, false, false, false],
  'not a segment': [false, true, true, true],
  'an event nobody needs': [true, true, true, true],
  'an event': [false, false, false, false],
};

const names = Object.keys(CONDITIONS);
const slug = (label: string) => `c-${label.replace(/[^a-z0-9]+/g, '-')}`;
const CUSTOM = orderDefinitions(names.map((label) => defineCustom(slug(label), CONDITIONS[label])));
// Half the customers' revenue is at most 125: the median is a threshold "full" passes and "sparse" does not.
const POPULATION = (() => {
  const partial = emptyStats(['model.nothing', 'orders.revenue']);
  for (let i = 1; i <= 100; i++) addToStats(partial, { orders: { revenue: i * 2.5 } });
  return finalizeStats(partial);
})();

describe('the column evaluator decides as the interpreter, condition by condition', () => {
  const facts = [FACTS.full, FACTS.sparse, FACTS.strings, FACTS.bare] as Facts[];
  // Together, a string among numbers makes a column plain values; alone, a customer's numbers stay
  // a number column: both kinds of column meet every condition.
  const together = decisions(CUSTOM, columnsOf(facts, POPULATION));
  const alone = facts.map((f) => decisions(CUSTOM, columnsOf([f], POPULATION))[0] ?? []);
  it.each(names)('%s', (label) => {
    const at = CUSTOM.findIndex((d) => d.name === slug(label));
    expect(together.map((decided) => decided[at])).toEqual(EXPECTED[label]);
    expect(alone.map((decided) => decided[at])).toEqual(EXPECTED[label]);
    expect(facts.map((f) => interpreted(CUSTOM, f, POPULATION)[at])).toEqual(EXPECTED[label]);
  });

  it('decides events from the ledgers when there are any', () => {
    const ledgers: Ledgers = { events: [{ type: 'email_open', occurredAt: new Date(AT.getTime() - 3 * DAY).toISOString() }], orderLines: [] };
    const at = CUSTOM.findIndex((d) => d.name === slug('an event'));
    const [decided] = decisions(CUSTOM, columnsOf([FACTS.full as Facts], POPULATION), () => ledgers);
    expect(decided?.[at]).toBe(true);
    expect(decided).toEqual(interpreted(CUSTOM, FACTS.full as Facts, POPULATION, ledgers));
  });

  it('gives each customer their own answer: the same customers in the other order get the same answers', () => {
    const all = Object.values(FACTS);
    const once = decisions(CUSTOM, columnsOf(all, POPULATION));
    const again = decisions(CUSTOM, columnsOf([...all].reverse(), POPULATION)).reverse();
    expect(again).toEqual(once);
  });
});

describe('the built-in catalogue, by the column evaluator and interpreted, on hand-made profiles', () => {
  const definitions = orderDefinitions(builtinSegments());
  const ago = (days: number) => new Date(AT.getTime() - days * DAY).toISOString();
  const aggregates = (orders: number, revenue: number, firstDaysAgo: number, lastDaysAgo: number, extra: Record<string, unknown> = {}) => ({
    orders,
    purchaseDays: orders,
    revenue,
    averageOrderValue: revenue / orders,
    firstOrderAt: ago(firstDaysAgo),
    lastOrderAt: ago(lastDaysAgo),
    cancelledOrders: 0,
    discountShareOfOrders: 0,
    discountShareOfRevenue: 0,
    ...extra,
  });
  const inputs = [
    { customerId: 'new', orders: aggregates(1, 20, 5, 5) },
    { customerId: 'active', orders: aggregates(5, 900, 400, 20, { medianGapDays: 30 }) },
    { customerId: 'lapsed', orders: aggregates(3, 90, 300, 200, { medianGapDays: 40 }) },
    { customerId: 'churned', orders: aggregates(2, 40, 900, 800, { medianGapDays: 100 }) },
    { customerId: 'coupons', orders: aggregates(4, 80, 200, 30, { medianGapDays: 50, discountShareOfOrders: 1, discountShareOfRevenue: 1 }) },
    { customerId: 'returns', orders: aggregates(3, 60, 200, 30, { cancelledOrders: 3 }) },
    { customerId: 'loyalist', orders: aggregates(3, 300, 100, 10, { categoryMix: { Books: 0.8, Music: 0.2 } }) },
    { customerId: 'modelled', orders: aggregates(4, 500, 300, 60), model: { pAlive: 0.3, expectedPurchases30d: 0.05, expectedPurchases90d: 0.2, expectedSpend: 40, clv12m: 2000, pastPurchases30d: 0.4 } },
    { customerId: 'dying', orders: aggregates(4, 100, 300, 60), model: { pAlive: 0.05, expectedPurchases30d: 0.01, expectedPurchases90d: 0.03, expectedSpend: 10, clv12m: 5, pastPurchases30d: 0.4 } },
    { customerId: 'person', contact: { birthDate: '1990-07-01', gender: 'F', incomeBand: '35-49K', country: 'us', interests: ['Music', 'Sports'] } },
    { customerId: 'abroad', contact: { ageBand: '65+', gender: 'male', incomeBand: 'Under 15K', country: 'DE' }, orders: aggregates(2, 70, 50, 40) },
    { customerId: 'nobody' },
  ];
  const plain = inputs.map((input) => buildFacts(input, AT, { fields: {} }));
  const population = populationOf(plain, definitions);
  // What refreshCustomers runs: the batch in columns, scored against the given statistics.
  const members = evaluateBatch(definitions, loadProfiles(inputs, definitions), AT, population);
  const decidedFor = (id: string) => {
    const i = inputs.findIndex((input) => input.customerId === id);
    return members.map((m) => isMember(m, i));
  };

  it.each(inputs.map((input) => input.customerId))('%s', (id) => {
    const facts = buildFacts(inputs.find((i) => i.customerId === id) as (typeof inputs)[number], AT, population);
    expect(decidedFor(id)).toEqual(interpreted(definitions, facts, population));
  });

  it('puts the hand-made profiles where their names say', () => {
    const member = (id: string) => {
      const matched = decidedFor(id);
      return definitions.filter((_, i) => matched[i]).map((d) => d.name);
    };
    expect(member('new')).toContain('new');
    expect(member('active')).toContain('active');
    expect(member('lapsed')).toContain('lapsed');
    expect(member('churned')).toContain('churned');
    expect(member('coupons')).toEqual(expect.arrayContaining(['discount-abusers', 'cherry-pickers']));
    expect(member('returns')).toContain('discount-abusers');
    expect(member('loyalist')).toContain('category-loyalists');
    expect(member('modelled')).toEqual(expect.arrayContaining(['churn-risk', 'high-value']));
    expect(member('dying')).toContain('churned');
    expect(member('person')).toEqual(expect.arrayContaining(['age-35-44', 'gender-female', 'income-middle', 'location-home', 'interest-music', 'interest-sports']));
    expect(member('abroad')).toEqual(expect.arrayContaining(['age-65-plus', 'gender-male', 'income-low', 'location-abroad']));
    expect(member('nobody')).toEqual([]);
  });
});
