import { describe, expect, it } from 'vitest';
import { parseSegmentDefinition } from '../../functions/core/segments/definition.ts';
import { InputError } from '../../functions/core/errors.ts';

const base = { name: 'my-segment', title: 'Mine', kind: 'custom' };
const compare = (extra: object) => ({ ...base, condition: { type: 'compare', field: 'orders.revenue', ...extra } });

describe('segment definitions are data, refused with a precise message when invalid', () => {
  it.each([
    ['a comparison', compare({ op: 'gte', value: 100 })],
    ['a percentile of the population', compare({ op: 'gte', value: { percentile: 90 } })],
    ['another fact, scaled', { ...base, condition: { type: 'compare', field: 'orders.daysSinceLastOrder', op: 'lte', value: { field: 'orders.medianGapDays', multiply: 3, atLeast: 90, ifMissing: 90 } } }],
    ['a time window on a date', { ...base, condition: { type: 'compare', field: 'contact.signedUpAt', op: 'withinDays', value: 30 } }],
    ['an event count in a window', { ...base, condition: { type: 'event', name: 'email_open', withinDays: 30 } }],
    ['views per category without buying', { ...base, condition: { type: 'event', name: 'product_view', withinDays: 30, minCount: 2, perProperty: 'category', unlessOrderedInCategory: true } }],
    ['a nested tree with a segment reference', { ...base, condition: { type: 'all', conditions: [{ type: 'segment', name: 'vip' }, { type: 'not', condition: { type: 'compare', field: 'contact.country', op: 'in', value: ['US', 'CA'] } }] } }],
  ])('accepts %s', (_label, json) => {
    expect(parseSegmentDefinition(json, 'test.json').name).toBe('my-segment');
  });

  it.each([
    ['an unknown operator', compare({ op: 'approximately', value: 1 }), 'condition.op'],
    ['a missing value', compare({ op: 'gt' }), 'condition.value: op "gt" needs a value'],
    ['"in" without a list', compare({ op: 'in', value: 3 }), 'op "in" takes an array of values'],
    ['a list for a single-value op', compare({ op: 'eq', value: [1, 2] }), 'takes a single value, not an array'],
    ['a value on "exists"', compare({ op: 'exists', value: 1 }), 'op "exists" takes no value'],
    ['a percentile above 100', compare({ op: 'gte', value: { percentile: 120 } }), 'condition.value'],
    ['negative days', { ...base, condition: { type: 'compare', field: 'contact.signedUpAt', op: 'withinDays', value: -3 } }, 'number of days'],
    ['a percentile with "contains"', compare({ op: 'contains', value: { percentile: 50 } }), 'cannot compare against a field or percentile'],
    ['maxCount below minCount', { ...base, condition: { type: 'event', name: 'x', minCount: 3, maxCount: 1 } }, 'condition.maxCount: maxCount must be ≥ minCount'],
    ['unlessOrderedInCategory alone', { ...base, condition: { type: 'event', name: 'x', unlessOrderedInCategory: true } }, 'needs perProperty'],
    ['a bad leaf deep in the tree', { ...base, condition: { type: 'all', conditions: [compare({ op: 'gt', value: 1 }).condition, { type: 'not', condition: { type: 'compare', field: 'a', op: 'gt' } }] } }, 'condition.conditions.1.condition.value: op "gt" needs a value'],
    ['an unknown condition type', { ...base, condition: { type: 'maybe' } }, 'condition.type'],
    ['an empty "all"', { ...base, condition: { type: 'all', conditions: [] } }, 'condition.conditions'],
    ['an unknown key', { ...base, extra: 1, condition: compare({ op: 'gt', value: 1 }).condition }, 'extra'],
    ['an upper-case name', { ...compare({ op: 'gt', value: 1 }), name: 'VIP' }, 'name: lower-case letters'],
    ['an empty path segment', { ...base, condition: { type: 'compare', field: 'orders..x', op: 'exists' } }, 'condition.field'],
  ])('refuses %s', (_label, json, message) => {
    expect(() => parseSegmentDefinition(json, 'bad.json')).toThrow(InputError);
    expect(() => parseSegmentDefinition(json, 'bad.json')).toThrow(message);
  });

  it('names the file in the error', () => {
    expect(() => parseSegmentDefinition({ ...base }, 'config/segments/x.json')).toThrow('invalid segment definition config/segments/x.json: condition');
  });
});
