import { describe, expect, it } from 'vitest';
import { aggregateOrders } from '../../functions/core/profile.ts';
import type { OrderLine } from '../../functions/core/records.ts';
import { parseSegmentDefinition, type SegmentDefinition } from '../../functions/core/segments/definition.ts';
import { evaluateSegment } from '../../functions/core/segments/evaluate.ts';
import { diffMemberships } from '../../functions/core/segments/assign.ts';
import { BUILTIN_SEGMENTS } from '../../functions/core/segments/builtin.ts';
import { chunk, parseCampaign, templateName, toBulkEntries, type Campaign } from '../../functions/core/campaign.ts';
import { stableJson } from '../../functions/core/stable-json.ts';
import { emailHash } from '../../functions/core/privacy.ts';

const line = (orderId: string, orderedAt: string, amount: number, extra: Partial<OrderLine> = {}): OrderLine => ({ customerId: '1', orderId, lineId: '1', orderedAt, amount, ...extra });

describe('aggregateOrders', () => {
  it('is undefined without orders', () => {
    expect(aggregateOrders([])).toBeUndefined();
  });

  it('counts orders, purchase days, revenue and the median gap between purchase days', () => {
    const aggregates = aggregateOrders([
      line('a', '2024-01-01T10:00:00Z', 10),
      line('b', '2024-01-01T18:00:00Z', 5),
      line('c', '2024-01-11T00:00:00Z', 20, { discount: 2, category: 'jazz', channel: 'web' }),
      line('d', '2024-02-10T00:00:00Z', 15, { category: 'rock', channel: 'store' }),
    ]);
    expect(aggregates).toEqual({
      orders: 4,
      purchaseDays: 3,
      revenue: 50,
      averageOrderValue: 12.5,
      firstOrderAt: '2024-01-01T10:00:00Z',
      lastOrderAt: '2024-02-10T00:00:00Z',
      medianGapDays: 20,
      cancelledOrders: 0,
      discountShareOfOrders: 0.25,
      discountShareOfRevenue: 0.4,
      categoryMix: { jazz: 0.5714, rock: 0.4286 },
      channels: ['store', 'web'],
    });
  });

  it('sums the lines of one order and nets cancellations against revenue', () => {
    const aggregates = aggregateOrders([
      line('a', '2024-01-01T00:00:00Z', 10, { lineId: '1' }),
      line('a', '2024-01-01T00:00:00Z', 5, { lineId: '2' }),
      line('Ca', '2024-01-03T00:00:00Z', -5, { cancelled: true }),
    ]);
    expect(aggregates).toMatchObject({ orders: 1, revenue: 10, averageOrderValue: 15, cancelledOrders: 1 });
  });

  it('keeps a zero-value order as an order', () => {
    expect(aggregateOrders([line('a', '2024-01-01T00:00:00Z', 0)])).toMatchObject({ orders: 1, revenue: 0 });
  });
});

const vip: SegmentDefinition = parseSegmentDefinition(
  {
    name: 'vip',
    title: 'VIP',
    kind: 'value',
    condition: {
      type: 'all',
      conditions: [
        { type: 'compare', field: 'orders.orders', op: 'gte', value: 5 },
        { type: 'any', conditions: [{ type: 'compare', field: 'orders.revenue', op: 'gt', value: 500 }, { type: 'compare', field: 'contact.country', op: 'in', value: ['US', 'CA'] }] },
        { type: 'not', condition: { type: 'compare', field: 'contact.consent', op: 'eq', value: false } },
      ],
    },
  },
  'vip.json',
);

describe('segment definitions', () => {
  it.each([
    [{ name: 'Bad Name', title: 't', kind: 'custom', condition: { type: 'compare', field: 'x', op: 'eq', value: 1 } }, /name: lower-case letters/],
    [{ name: 'a', title: 't', kind: 'custom', condition: { type: 'compare', field: 'x', op: 'in', value: 1 } }, /array value/],
    [{ name: 'a', title: 't', kind: 'custom', condition: { type: 'compare', field: 'x', op: 'gt' } }, /value is required/],
    [{ name: 'a', title: 't', kind: 'custom', condition: { type: 'all', conditions: [] } }, /condition/],
  ])('refuses %j', (json, message) => {
    expect(() => parseSegmentDefinition(json, 's.json')).toThrow(message);
  });

  it.each([
    [{ orders: { orders: 6, revenue: 600 }, contact: {} }, true],
    [{ orders: { orders: 6, revenue: 100 }, contact: { country: 'CA' } }, true],
    [{ orders: { orders: 6, revenue: 100 }, contact: { country: 'DE' } }, false],
    [{ orders: { orders: 4, revenue: 900 }, contact: {} }, false],
    [{ orders: { orders: 6, revenue: 600 }, contact: { consent: false } }, false],
    [{ contact: {} }, false],
  ])('%j in VIP: %s', (facts, matched) => {
    expect(evaluateSegment(vip, facts).matched).toBe(matched);
  });

  it('never reads inherited properties as facts', () => {
    const definition = parseSegmentDefinition({ name: 'x', title: 'x', kind: 'custom', condition: { type: 'compare', field: 'contact.constructor', op: 'exists' } }, 'x.json');
    expect(evaluateSegment(definition, { contact: {} }).matched).toBe(false);
  });

  it('explains a match with the fields, rules and values seen', () => {
    expect(evaluateSegment(vip, { orders: { orders: 6, revenue: 100 }, contact: { country: 'CA' } }).why).toEqual([
      { field: 'orders.orders', op: 'gte', expected: 5, actual: 6 },
      { field: 'contact.country', op: 'in', expected: ['US', 'CA'], actual: 'CA' },
      { field: '(not)', op: 'not', actual: 'inner condition did not match' },
    ]);
  });

  it.each([
    [{ orders: { purchaseDays: 1 } }, true],
    [{ orders: { purchaseDays: 2 } }, false],
    [{}, false],
  ])('first-time-buyers for %j: %s', (facts, matched) => {
    const definition = BUILTIN_SEGMENTS.find((d) => d.name === 'first-time-buyers')!;
    expect(evaluateSegment(definition, facts).matched).toBe(matched);
  });
});

describe('diffMemberships', () => {
  const now = new Date('2024-03-01T00:00:00Z');
  const firstTimers = BUILTIN_SEGMENTS.filter((d) => d.name === 'first-time-buyers');

  it('enters a customer with the reason and a transition at the evaluation time', () => {
    const changes = diffMemberships('1', { orders: { purchaseDays: 1 } }, firstTimers, [], now);
    const why = [{ field: 'orders.purchaseDays', op: 'eq', expected: 1, actual: 1 }];
    expect(changes).toEqual({
      enter: [{ segment: 'first-time-buyers', since: '2024-03-01T00:00:00.000Z', why }],
      exit: [],
      transitions: [{ customerId: '1', segment: 'first-time-buyers', change: 'enter', at: '2024-03-01T00:00:00.000Z', why }],
    });
  });

  it('changes nothing when the membership still holds', () => {
    const current = [{ segment: 'first-time-buyers', since: '2024-01-01T00:00:00.000Z', why: [] }];
    expect(diffMemberships('1', { orders: { purchaseDays: 1 } }, firstTimers, current, now)).toEqual({ enter: [], exit: [], transitions: [] });
  });

  it('exits a customer who bought again', () => {
    const current = [{ segment: 'first-time-buyers', since: '2024-01-01T00:00:00.000Z', why: [] }];
    const changes = diffMemberships('1', { orders: { purchaseDays: 2 } }, firstTimers, current, now);
    expect(changes.exit).toEqual(current);
    expect(changes.transitions).toMatchObject([{ change: 'exit', at: '2024-03-01T00:00:00.000Z' }]);
  });
});

describe('campaigns', () => {
  const campaign: Campaign = parseCampaign(
    { name: 'hello', segment: 'first-time-buyers', template: { subject: 'Hi {{firstName}}', html: '<p>Hi</p>', text: 'Hi' }, defaults: { firstName: 'there', code: 'X' } },
    'c.json',
  );

  it.each([
    [0, []],
    [50, [50]],
    [51, [50, 1]],
    [120, [50, 50, 20]],
  ])('chunks %i recipients into calls of %j', (n, sizes) => {
    expect(chunk(Array.from({ length: n }, (_, i) => i), 50).map((c) => c.length)).toEqual(sizes);
  });

  it('refuses a chunk size that is not a positive integer', () => {
    expect(() => chunk([1], 0)).toThrow(RangeError);
  });

  it('personalizes with the profile and falls back to the defaults', () => {
    expect(toBulkEntries(campaign, [{ customerId: '1', email: 'a@b.co', firstName: 'Ada' }, { customerId: '2', email: 'c@d.co' }])).toEqual([
      { customerId: '1', email: 'a@b.co', templateData: JSON.stringify({ firstName: 'Ada', code: 'X' }) },
      { customerId: '2', email: 'c@d.co', templateData: JSON.stringify({ firstName: 'there', code: 'X' }) },
    ]);
    expect(templateName(campaign)).toBe('strata-hello');
  });

  it('refuses a campaign without a text part', () => {
    expect(() => parseCampaign({ name: 'x', segment: 's', template: { subject: 's', html: 'h' } }, 'c.json')).toThrow(/template\.text/);
  });
});

describe('small helpers', () => {
  it('compares values regardless of key order', () => {
    expect(stableJson({ b: 1, a: { d: 2, c: [3, { f: 1, e: 2 }] } })).toBe(stableJson({ a: { c: [3, { e: 2, f: 1 }], d: 2 }, b: 1 }));
  });

  it('hashes normalized addresses as ad platforms expect', () => {
    expect(emailHash(' Ada@Example.com ')).toBe(emailHash('ada@example.com'));
    expect(emailHash('ada@example.com')).toMatch(/^[0-9a-f]{64}$/);
  });
});
