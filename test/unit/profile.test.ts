import { describe, expect, it } from 'vitest';
import { aggregateOrders, type OrderAggregates } from '../../functions/core/profile.ts';
import type { OrderLine } from '../../functions/core/records.ts';

function line(orderId: string, orderedAt: string, amount: number, extra: Partial<OrderLine> = {}): OrderLine {
  return { customerId: 'c1', orderId, lineId: '1', orderedAt, amount, ...extra };
}

type Summary = Pick<OrderAggregates, 'orders' | 'purchaseDays' | 'revenue' | 'firstOrderAt' | 'lastOrderAt' | 'medianGapDays'>;

function summary(aggregates: OrderAggregates | undefined): Summary | undefined {
  if (aggregates === undefined) return undefined;
  const { orders, purchaseDays, revenue, firstOrderAt, lastOrderAt, medianGapDays } = aggregates;
  return { orders, purchaseDays, revenue, firstOrderAt, lastOrderAt, medianGapDays };
}

describe('aggregateOrders', () => {
  it.each<{ readonly label: string; readonly lines: readonly OrderLine[]; readonly expected: Summary | undefined }>([
    { label: 'no lines → no aggregates', lines: [], expected: undefined },
    {
      label: 'only cancellations → no aggregates',
      lines: [line('C1', '2024-01-01T00:00:00.000Z', -10, { cancelled: true })],
      expected: undefined,
    },
    {
      label: 'one order: one purchase day, no gap',
      lines: [line('a', '2024-01-05T10:00:00.000Z', 19.99)],
      expected: { orders: 1, purchaseDays: 1, revenue: 19.99, firstOrderAt: '2024-01-05T10:00:00.000Z', lastOrderAt: '2024-01-05T10:00:00.000Z', medianGapDays: undefined },
    },
    {
      label: 'two orders on one day: one purchase day, no gap',
      lines: [line('a', '2024-01-05T10:00:00.000Z', 10), line('b', '2024-01-05T23:59:59.000Z', 5)],
      expected: { orders: 2, purchaseDays: 1, revenue: 15, firstOrderAt: '2024-01-05T10:00:00.000Z', lastOrderAt: '2024-01-05T23:59:59.000Z', medianGapDays: undefined },
    },
    {
      label: 'lines of one order count as one order, dated by its earliest line',
      lines: [line('a', '2024-01-05T12:00:00.000Z', 10, { lineId: '2' }), line('a', '2024-01-05T11:00:00.000Z', 2.5, { lineId: '1' })],
      expected: { orders: 1, purchaseDays: 1, revenue: 12.5, firstOrderAt: '2024-01-05T11:00:00.000Z', lastOrderAt: '2024-01-05T11:00:00.000Z', medianGapDays: undefined },
    },
    {
      label: 'orders given out of order: first and last by date, odd number of gaps',
      lines: [
        line('c', '2024-03-01T00:00:00.000Z', 1),
        line('a', '2024-01-01T00:00:00.000Z', 1),
        line('b', '2024-01-11T00:00:00.000Z', 1),
        line('d', '2024-03-04T00:00:00.000Z', 1),
      ],
      expected: { orders: 4, purchaseDays: 4, revenue: 4, firstOrderAt: '2024-01-01T00:00:00.000Z', lastOrderAt: '2024-03-04T00:00:00.000Z', medianGapDays: 10 },
    },
    {
      label: 'the median gap is over distinct purchase days, averaging an even number of gaps',
      lines: [
        line('a', '2024-01-01T08:00:00.000Z', 1),
        line('b', '2024-01-01T20:00:00.000Z', 1),
        line('c', '2024-01-02T00:00:00.000Z', 1),
        line('d', '2024-01-05T00:00:00.000Z', 1),
      ],
      expected: { orders: 4, purchaseDays: 3, revenue: 4, firstOrderAt: '2024-01-01T08:00:00.000Z', lastOrderAt: '2024-01-05T00:00:00.000Z', medianGapDays: 2 },
    },
    {
      label: 'revenue is rounded to cents despite binary noise',
      lines: [line('a', '2024-01-01T00:00:00.000Z', 0.1), line('b', '2024-01-02T00:00:00.000Z', 0.2), line('c', '2024-01-03T00:00:00.000Z', 0.7)],
      expected: { orders: 3, purchaseDays: 3, revenue: 1, firstOrderAt: '2024-01-01T00:00:00.000Z', lastOrderAt: '2024-01-03T00:00:00.000Z', medianGapDays: 1 },
    },
    {
      label: 'cancellations reduce revenue but are not orders',
      lines: [line('a', '2024-01-01T00:00:00.000Z', 30), line('C9', '2024-01-04T00:00:00.000Z', -12.5, { cancelled: true })],
      expected: { orders: 1, purchaseDays: 1, revenue: 17.5, firstOrderAt: '2024-01-01T00:00:00.000Z', lastOrderAt: '2024-01-01T00:00:00.000Z', medianGapDays: undefined },
    },
    {
      label: 'revenue never goes below zero',
      lines: [line('a', '2024-01-01T00:00:00.000Z', 5), line('C9', '2024-01-04T00:00:00.000Z', -50, { cancelled: true })],
      expected: { orders: 1, purchaseDays: 1, revenue: 0, firstOrderAt: '2024-01-01T00:00:00.000Z', lastOrderAt: '2024-01-01T00:00:00.000Z', medianGapDays: undefined },
    },
  ])('$label', ({ lines, expected }) => {
    // Act
    const aggregates = aggregateOrders(lines);

    // Assess
    expect(summary(aggregates)).toEqual(expected);
  });

  it('counts cancelled orders, discounts, categories and channels', () => {
    // Prepare
    const lines = [
      line('a', '2024-01-01T00:00:00.000Z', 30, { category: 'jazz', channel: 'web', discount: 3 }),
      line('b', '2024-01-10T00:00:00.000Z', 10, { category: 'rock', channel: 'store' }),
      line('c', '2024-01-20T00:00:00.000Z', 60, { category: 'jazz', channel: 'web' }),
      line('C1', '2024-01-21T00:00:00.000Z', -5, { cancelled: true }),
      line('C1', '2024-01-21T00:00:00.000Z', -5, { cancelled: true, lineId: '2' }),
    ];

    // Act
    const aggregates = aggregateOrders(lines);

    // Assess
    expect(aggregates).toEqual({
      orders: 3,
      purchaseDays: 3,
      revenue: 90,
      averageOrderValue: 33.33,
      firstOrderAt: '2024-01-01T00:00:00.000Z',
      lastOrderAt: '2024-01-20T00:00:00.000Z',
      medianGapDays: 9.5,
      // The spend model's input: days after the first, (10 + 60) / 2.
      repeatDaySpend: 35,
      cancelledOrders: 1,
      discountShareOfOrders: 0.3333,
      discountShareOfRevenue: 0.3,
      categoryMix: { jazz: 0.9, rock: 0.1 },
      channels: ['store', 'web'],
    });
  });
});
