import { describe, expect, it } from 'vitest';
import { evaluateSegment, type Reason } from '../../functions/core/segments/evaluate.ts';
import { evaluateAll, orderDefinitions } from '../../functions/core/segments/catalog.ts';
import { parseSegmentDefinition, type Condition, type SegmentDefinition } from '../../functions/core/segments/definition.ts';
import { finalizeStats, emptyStats, addToStats } from '../../functions/core/segments/population.ts';
import type { Ledgers } from '../../functions/core/segments/facts.ts';
import { InputError } from '../../functions/core/errors.ts';

const NOW = new Date('2026-06-30T12:00:00Z');
const define = (condition: unknown, name = 'test'): SegmentDefinition => parseSegmentDefinition({ name, title: name, kind: 'custom', condition }, 'test');
const facts = {
  customerId: 'c1',
  contact: { country: 'US', interests: ['music', 'books'], signedUpAt: '2026-06-10T00:00:00Z' },
  orders: { orders: 4, revenue: 250.5, medianGapDays: 40, daysSinceLastOrder: 100, topCategory: 'Books' },
};

describe('compare conditions', () => {
  it.each<[string, Condition, boolean]>([
    ['eq', { type: 'compare', field: 'contact.country', op: 'eq', value: 'US' }, true],
    ['neq', { type: 'compare', field: 'contact.country', op: 'neq', value: 'US' }, false],
    ['gt on numbers', { type: 'compare', field: 'orders.revenue', op: 'gt', value: 250 }, true],
    ['lte on numbers', { type: 'compare', field: 'orders.orders', op: 'lte', value: 3 }, false],
    ['in', { type: 'compare', field: 'contact.country', op: 'in', value: ['CA', 'US'] }, true],
    ['contains on a list', { type: 'compare', field: 'contact.interests', op: 'contains', value: 'books' }, true],
    ['exists', { type: 'compare', field: 'orders.medianGapDays', op: 'exists' }, true],
    ['missing', { type: 'compare', field: 'model.pAlive', op: 'missing' }, true],
    ['a missing fact never compares', { type: 'compare', field: 'model.pAlive', op: 'lt', value: 1 }, false],
    ['a number never equals a string', { type: 'compare', field: 'orders.orders', op: 'eq', value: '4' }, false],
    ['withinDays relative to now', { type: 'compare', field: 'contact.signedUpAt', op: 'withinDays', value: 30 }, true],
    ['olderThanDays relative to now', { type: 'compare', field: 'contact.signedUpAt', op: 'olderThanDays', value: 30 }, false],
    ['another fact scaled: 100 ≤ max(90, 3 × 40)', { type: 'compare', field: 'orders.daysSinceLastOrder', op: 'lte', value: { field: 'orders.medianGapDays', multiply: 3, atLeast: 90 } }, true],
    ['ifMissing when the other fact is absent: 100 ≤ 90', { type: 'compare', field: 'orders.daysSinceLastOrder', op: 'lte', value: { field: 'orders.nothing', multiply: 3, ifMissing: 90 } }, false],
    ['the prototype is not a fact', { type: 'compare', field: 'contact.constructor', op: 'exists' }, false],
  ])('%s', (_label, condition, expected) => {
    expect(evaluateSegment(define(condition), facts, { now: NOW }).matched).toBe(expected);
  });

  it('compares against a percentile of the population and explains the threshold it used', () => {
    const partial = emptyStats(['orders.revenue']);
    for (let i = 1; i <= 100; i++) addToStats(partial, { orders: { revenue: i * 10 } });
    const population = finalizeStats(partial);
    const result = evaluateSegment(define({ type: 'compare', field: 'orders.revenue', op: 'gte', value: { percentile: 25 } }), facts, { now: NOW, population });
    expect(result).toEqual({ matched: true, why: [{ field: 'orders.revenue', op: 'gte', expected: { percentile: 25, value: 250 }, actual: 250.5 }] });
    // No statistics yet: a percentile condition matches nobody rather than everybody.
    expect(evaluateSegment(define({ type: 'compare', field: 'orders.revenue', op: 'gte', value: { percentile: 25 } }), facts, { now: NOW }).matched).toBe(false);
  });
});

describe('event conditions count in windows relative to the evaluation time', () => {
  const ledgers: Ledgers = {
    events: [
      { type: 'email_open', occurredAt: '2026-06-20T09:00:00Z' },
      { type: 'email_open', occurredAt: '2026-03-01T09:00:00Z' },
      { type: 'product_view', occurredAt: '2026-06-25T09:00:00Z', properties: { category: 'Jazz' } },
      { type: 'product_view', occurredAt: '2026-06-26T09:00:00Z', properties: { category: 'Jazz' } },
      { type: 'product_view', occurredAt: '2026-06-26T10:00:00Z', properties: { category: 'Rock' } },
      { type: 'product_view', occurredAt: '2026-06-27T10:00:00Z', properties: { category: 'Rock' } },
      { type: 'review', occurredAt: '2026-05-01T10:00:00Z', properties: { rating: '5' } },
      { type: 'review', occurredAt: '2026-06-01T10:00:00Z', properties: { rating: '2' } },
      { type: 'email_open', occurredAt: '2026-07-05T09:00:00Z' },
    ],
    orderLines: [
      { orderedAt: '2026-06-28T10:00:00Z', category: 'Rock', amount: 20 },
      { orderedAt: '2026-05-10T10:00:00Z', category: 'Pop', amount: 12 },
    ],
  };
  it.each<[string, Condition, boolean, unknown]>([
    ['opened an e-mail in the last 30 days (a future event does not count)', { type: 'event', name: 'email_open', withinDays: 30, minCount: 1 }, true, 1],
    ['opened twice in the last 30 days', { type: 'event', name: 'email_open', withinDays: 30, minCount: 2 }, false, 1],
    ['opened twice ever (up to now)', { type: 'event', name: 'email_open', minCount: 2 }, true, 2],
    ['no clicks in 90 days', { type: 'event', name: 'email_click', withinDays: 90, minCount: 0, maxCount: 0 }, true, 0],
    ['a 4+ review followed by an order within 30 days', { type: 'event', name: 'review', where: { rating: { op: 'gte', value: 4 } }, minCount: 1, followedByOrderWithinDays: 30 }, true, 1],
    ['a 4+ review followed by an order within 5 days', { type: 'event', name: 'review', where: { rating: { op: 'gte', value: 4 } }, minCount: 1, followedByOrderWithinDays: 5 }, false, 0],
    ['viewed a category twice', { type: 'event', name: 'product_view', withinDays: 30, minCount: 2, perProperty: 'category' }, true, { Jazz: 2 }],
    ['viewed a category twice without buying it', { type: 'event', name: 'product_view', withinDays: 30, minCount: 2, perProperty: 'category', unlessOrderedInCategory: true }, true, { Jazz: 2 }],
    ['viewed a category three times', { type: 'event', name: 'product_view', withinDays: 30, minCount: 3, perProperty: 'category' }, false, { Jazz: 2, Rock: 2 }],
  ])('%s', (_label, condition, matched, actual) => {
    const result = evaluateSegment(define(condition), {}, { now: NOW, ledgers });
    expect(result.matched).toBe(matched);
    expect(result.why[0]?.actual).toEqual(actual);
  });

  it('a category bought in the window stops counting as "viewed without buying"', () => {
    const onlyRock: Ledgers = { events: ledgers.events.filter((e) => e.properties?.category !== 'Jazz'), orderLines: ledgers.orderLines };
    const condition: Condition = { type: 'event', name: 'product_view', withinDays: 30, minCount: 2, perProperty: 'category', unlessOrderedInCategory: true };
    expect(evaluateSegment(define(condition), {}, { now: NOW, ledgers: onlyRock }).matched).toBe(false);
  });
});

describe('why: every membership carries the conditions and values that matched', () => {
  it('all → every reason; any → the first that matched; not → the inner failure, negated', () => {
    const condition: Condition = {
      type: 'all',
      conditions: [
        { type: 'compare', field: 'orders.orders', op: 'gte', value: 3 },
        { type: 'any', conditions: [{ type: 'compare', field: 'contact.country', op: 'eq', value: 'CA' }, { type: 'compare', field: 'contact.country', op: 'eq', value: 'US' }] },
        { type: 'not', condition: { type: 'compare', field: 'orders.revenue', op: 'gt', value: 1000 } },
      ],
    };
    const result = evaluateSegment(define(condition), facts, { now: NOW });
    expect(result.matched).toBe(true);
    expect(result.why).toEqual<Reason[]>([
      { field: 'orders.orders', op: 'gte', expected: 3, actual: 4 },
      { field: 'contact.country', op: 'eq', expected: 'US', actual: 'US' },
      { field: 'orders.revenue', op: 'gt', expected: 1000, actual: 250.5, negated: true },
    ]);
  });

  it('a failed evaluation says which conditions failed', () => {
    const result = evaluateSegment(define({ type: 'all', conditions: [{ type: 'compare', field: 'orders.orders', op: 'gte', value: 3 }, { type: 'compare', field: 'orders.revenue', op: 'gte', value: 1000 }] }), facts, { now: NOW });
    expect(result).toEqual({ matched: false, why: [{ field: 'orders.revenue', op: 'gte', expected: 1000, actual: 250.5 }] });
  });
});

describe('segment references', () => {
  const big = define({ type: 'compare', field: 'orders.revenue', op: 'gte', value: 200 }, 'big');
  const bigInUs = define({ type: 'all', conditions: [{ type: 'segment', name: 'big' }, { type: 'compare', field: 'contact.country', op: 'eq', value: 'US' }] }, 'big-in-us');
  const notBig = define({ type: 'not', condition: { type: 'segment', name: 'big' } }, 'not-big');

  it('are evaluated after the segments they name, whatever the order given', () => {
    const ordered = orderDefinitions([bigInUs, notBig, big]);
    expect(ordered.map((d) => d.name)).toEqual(['big', 'big-in-us', 'not-big']);
    const results = evaluateAll(ordered, facts, { now: NOW, population: { fields: {} }, ledgers: { events: [], orderLines: [] } });
    expect(Object.fromEntries([...results].map(([name, r]) => [name, r.matched]))).toEqual({ big: true, 'big-in-us': true, 'not-big': false });
  });

  it.each([
    ['an unknown segment', [bigInUs], 'segment "big-in-us" refers to unknown segment "big"'],
    ['a cycle', [define({ type: 'segment', name: 'b' }, 'a'), define({ type: 'segment', name: 'a' }, 'b')], 'segment references form a cycle: a → b → a'],
    ['a duplicate name', [big, big], 'segment "big" is defined twice'],
  ])('refuse %s', (_label, definitions, message) => {
    expect(() => orderDefinitions(definitions)).toThrow(InputError);
    expect(() => orderDefinitions(definitions)).toThrow(message);
  });
});
