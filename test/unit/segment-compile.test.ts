import { describe, expect, it } from 'vitest';
import { builtinSegments } from '../../functions/core/segments/builtin.ts';
import { evaluateAll, orderDefinitions } from '../../functions/core/segments/catalog.ts';
import { compileCatalog } from '../../functions/core/segments/compile.ts';
import { parseSegmentDefinition, type Condition, type SegmentDefinition } from '../../functions/core/segments/definition.ts';
import { buildFacts, type Facts, type Ledgers } from '../../functions/core/segments/facts.ts';
import { addToStats, emptyStats, finalizeStats, populationOf, type PopulationStats } from '../../functions/core/segments/population.ts';

const NOW = new Date('2026-06-30T12:00:00Z');
const DAY = 86_400_000;
const NO_LEDGERS: Ledgers = { events: [], orderLines: [] };
const define = (name: string, condition: unknown): SegmentDefinition => parseSegmentDefinition({ name, title: name, kind: 'custom', condition }, 'test');

/** Decisions of the interpreter (the path that explains), in catalog order. */
const interpreted = (ordered: readonly SegmentDefinition[], facts: Facts, population: PopulationStats, ledgers = NO_LEDGERS) =>
  [...evaluateAll(ordered, facts, { now: NOW, population, ledgers }).values()].map((r) => r.matched);

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

// Each condition's decision for each facts, written out: the compiled catalog must give these, and
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
const CUSTOM = orderDefinitions(names.map((label) => define(slug(label), CONDITIONS[label])));
// Half the customers' revenue is at most 125: the median is a threshold "full" passes and "sparse" does not.
const POPULATION = (() => {
  const partial = emptyStats(['model.nothing', 'orders.revenue']);
  for (let i = 1; i <= 100; i++) addToStats(partial, { orders: { revenue: i * 2.5 } });
  return finalizeStats(partial);
})();

describe('the compiled catalog decides as the interpreter, condition by condition', () => {
  const catalog = compileCatalog(CUSTOM, NOW, POPULATION);
  it.each(names)('%s', (label) => {
    const at = CUSTOM.findIndex((d) => d.name === slug(label));
    const facts = [FACTS.full, FACTS.sparse, FACTS.strings, FACTS.bare] as Facts[];
    expect(facts.map((f) => catalog.evaluate(f, NO_LEDGERS)[at])).toEqual(EXPECTED[label]);
    expect(facts.map((f) => interpreted(CUSTOM, f, POPULATION)[at])).toEqual(EXPECTED[label]);
  });

  it('decides events from the ledgers when there are any', () => {
    const ledgers: Ledgers = { events: [{ type: 'email_open', occurredAt: new Date(NOW.getTime() - 3 * DAY).toISOString() }], orderLines: [] };
    const at = CUSTOM.findIndex((d) => d.name === slug('an event'));
    expect(catalog.evaluate(FACTS.full as Facts, ledgers)[at]).toBe(true);
    expect(catalog.evaluate(FACTS.full as Facts, ledgers)).toEqual(interpreted(CUSTOM, FACTS.full as Facts, POPULATION, ledgers));
  });

  it('is reusable: one customer after another gives each their own answer', () => {
    const facts = Object.values(FACTS);
    const once = facts.map((f) => catalog.evaluate(f, NO_LEDGERS));
    const again = [...facts].reverse().map((f) => catalog.evaluate(f, NO_LEDGERS)).reverse();
    expect(again).toEqual(once);
  });
});

describe('the built-in catalogue, compiled and interpreted, on hand-made profiles', () => {
  const definitions = orderDefinitions(builtinSegments());
  const ago = (days: number) => new Date(NOW.getTime() - days * DAY).toISOString();
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
    { customerId: 'modelled', orders: aggregates(4, 500, 300, 60), model: { pAlive: 0.3, expectedPurchases30d: 0.05, expectedPurchases90d: 0.2, expectedSpend: 40, clv12m: 2000 } },
    { customerId: 'dying', orders: aggregates(4, 100, 300, 60), model: { pAlive: 0.05, expectedPurchases30d: 0.01, expectedPurchases90d: 0.03, expectedSpend: 10, clv12m: 5 } },
    { customerId: 'person', contact: { birthDate: '1990-07-01', gender: 'F', incomeBand: '35-49K', country: 'us', interests: ['Music', 'Sports'] } },
    { customerId: 'abroad', contact: { ageBand: '65+', gender: 'male', incomeBand: 'Under 15K', country: 'DE' }, orders: aggregates(2, 70, 50, 40) },
    { customerId: 'nobody' },
  ];
  const plain = inputs.map((input) => buildFacts(input, NOW, { fields: {} }));
  const population = populationOf(plain, definitions);
  const catalog = compileCatalog(definitions, NOW, population);

  it.each(inputs.map((input) => input.customerId))('%s', (id) => {
    const facts = buildFacts(inputs.find((i) => i.customerId === id) as (typeof inputs)[number], NOW, population);
    expect(catalog.evaluate(facts, NO_LEDGERS)).toEqual(interpreted(definitions, facts, population));
  });

  it('puts the hand-made profiles where their names say', () => {
    const member = (id: string) => {
      const facts = buildFacts(inputs.find((i) => i.customerId === id) as (typeof inputs)[number], NOW, population);
      const matched = catalog.evaluate(facts, NO_LEDGERS);
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
