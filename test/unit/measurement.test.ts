import { describe, expect, it } from 'vitest';
import { differenceOfProportions, welchDifferenceOfMeans } from '../../functions/core/report/stats.ts';
import { attribute, type LedgerFeedback, type LedgerOrder, type LedgerSend } from '../../functions/core/report/attribution.ts';
import { rfmGrid, segmentFlows, segmentValue, sizesOverTime, snapshotsFromTransitions, type Transition } from '../../functions/core/report/segment-performance.ts';

describe('95% intervals', () => {
  // Newcombe (1998), Statistics in Medicine 17:873-890, Table II, method 10 (hybrid score).
  it.each([
    [56, 70, 48, 80, 0.0524, 0.3339],
    [9, 10, 3, 10, 0.1705, 0.8090],
    [6, 7, 2, 7, 0.0582, 0.8062],
    [5, 56, 0, 29, -0.0381, 0.1926],
    [0, 10, 0, 20, -0.1611, 0.2775],
    [10, 10, 0, 20, 0.6791, 1.0],
  ])('difference of proportions %i/%i − %i/%i: Newcombe\'s hybrid score interval [%f, %f]', (x1, n1, x2, n2, low, high) => {
    const i = differenceOfProportions(x1, n1, x2, n2)!;
    expect(i.difference).toBeCloseTo(x1 / n1 - x2 / n2, 10);
    expect(i.low).toBeCloseTo(low, 4);
    expect(i.high).toBeCloseTo(high, 4);
  });

  it('does not collapse to a point when nobody converted in either group', () => {
    const i = differenceOfProportions(0, 200, 0, 20)!;
    expect(i.difference).toBe(0);
    expect(i.low).toBeLessThan(-0.1);
    expect(i.high).toBeGreaterThan(0.01);
  });

  it('covers the true difference about 95% of the time for small groups and rare conversions', () => {
    // A seeded simulation: 2,000 trials of 0.02 against 0.01 in groups of 150 and 40.
    let seed = 7;
    const random = () => ((seed = (seed * 48271) % 2147483647) / 2147483647);
    const draw = (p: number, n: number) => Array.from({ length: n }, () => (random() < p ? 1 : 0)).reduce<number>((a, b) => a + b, 0);
    let covered = 0;
    const trials = 2000;
    for (let t = 0; t < trials; t++) {
      const i = differenceOfProportions(draw(0.02, 150), 150, draw(0.01, 40), 40)!;
      if (i.low <= 0.01 && 0.01 <= i.high) covered++;
    }
    expect(covered / trials).toBeGreaterThan(0.93);
  });

  it('Welch: equal sizes and variances give df = 2(n − 1) = 8, t(0.975, 8) = 2.306', () => {
    // means 4 and 6, sample variances 30 and 30: se = √(30/5 + 30/5) = √12 = 3.4641; half-width 2.306 × 3.4641 = 7.988
    const i = welchDifferenceOfMeans([0, 0, 0, 10, 10], [10, 10, 10, 0, 0])!;
    expect(i.difference).toBe(-2);
    expect(i.low).toBeCloseTo(-2 - 7.988, 2);
    expect(i.high).toBeCloseTo(-2 + 7.988, 2);
  });

  it('has no interval for an empty or single-member group', () => {
    expect(differenceOfProportions(1, 10, 0, 0)).toBeUndefined();
    expect(welchDifferenceOfMeans([1, 2], [3])).toBeUndefined();
  });

  it('is a point when neither group varies', () => {
    expect(welchDifferenceOfMeans([0, 0, 0], [0, 0])).toEqual({ difference: 0, low: 0, high: 0, level: 0.95 });
  });
});

describe('attribution', () => {
  const at = '2026-03-01T00:00:00.000Z';
  const send = (customerId: string, status: string): LedgerSend => ({ customerId, campaign: 'winback', segment: 'lapsed', status, at });
  const sends = [send('a', 'SENT'), send('b', 'SENT'), send('c', 'SENT'), send('d', 'SENT'), send('e', 'HOLDOUT'), send('f', 'HOLDOUT'), send('g', 'FAILED')];
  const orders: LedgerOrder[] = [
    { customerId: 'a', orderedAt: '2026-03-03T12:00:00Z', amount: 50 },
    { customerId: 'a', orderedAt: '2026-03-20T12:00:00Z', amount: 100 }, // after the window
    { customerId: 'b', orderedAt: '2026-02-28T12:00:00Z', amount: 30 }, // before the send
    { customerId: 'c', orderedAt: '2026-03-08T00:00:00Z', amount: 20 }, // exactly 7 days: in
    { customerId: 'e', orderedAt: '2026-03-02T00:00:00Z', amount: 10 },
    { customerId: 'f', orderedAt: '2026-03-08T00:00:01Z', amount: 40 }, // one second late
    { customerId: 'g', orderedAt: '2026-03-02T00:00:00Z', amount: 99 }, // a failed send counts nowhere
  ];
  const fb = (customerId: string, kind: LedgerFeedback['kind']): LedgerFeedback => ({ customerId, campaign: 'winback', kind });
  const feedback = [fb('a', 'delivery'), fb('a', 'open'), fb('a', 'click'), fb('a', 'open'), fb('b', 'delivery'), fb('b', 'open'), fb('c', 'delivery'), fb('d', 'hard-bounce')];

  const [result] = attribute(sends, orders, feedback);

  it('credits orders in (send, send + 7 days] to the mailed group', () => {
    expect(result?.treatment).toEqual({
      recipients: 4, sent: 4, delivered: 3, opened: 2, clicked: 1, converted: 2, revenue: 70, conversionRate: 0.5, revenuePerRecipient: 17.5,
    });
  });

  it('measures the holdout the same way', () => {
    expect(result?.holdout).toEqual({
      recipients: 2, sent: 0, delivered: 0, opened: 0, clicked: 0, converted: 1, revenue: 10, conversionRate: 0.5, revenuePerRecipient: 5,
    });
  });

  it("gives the uplift in conversion with Newcombe's hybrid score interval", () => {
    // 2/4 − 1/2 = 0. Wilson: 2/4 → [0.150036, 0.849964], 1/2 → [0.094531, 0.905469];
    // half-widths √(0.349964² + 0.405469²) = 0.535610 on both sides.
    expect(result?.uplift.conversionRate?.difference).toBe(0);
    expect(result?.uplift.conversionRate?.low).toBeCloseTo(-0.53561, 4);
    expect(result?.uplift.conversionRate?.high).toBeCloseTo(0.53561, 4);
  });

  it('flags a campaign whose groups are too small to conclude from, and not one of 30 and more each', () => {
    expect(result?.tooSmall).toBe(true);
    const many = [
      ...Array.from({ length: 30 }, (_, i) => send(`m${i}`, 'SENT')),
      ...Array.from({ length: 29 }, (_, i) => send(`h${i}`, 'HOLDOUT')),
    ];
    expect(attribute(many, [], [])[0]?.tooSmall).toBe(true);
    expect(attribute([...many, send('h29', 'HOLDOUT')], [], [])[0]?.tooSmall).toBe(false);
  });

  it('gives the uplift in revenue per recipient with Welch\'s interval', () => {
    // mailed [50, 0, 20, 0]: mean 17.5, s² = 558.33; held out [10, 0]: mean 5, s² = 50
    // se = √(558.33/4 + 50/2) = 12.829; df = 3.80, so t lies between t(0.975, 4) = 2.776 and t(0.975, 3) = 3.182
    const i = result!.uplift.revenuePerRecipient!;
    expect(i.difference).toBe(12.5);
    const half = i.high - i.difference;
    expect(i.difference - i.low).toBeCloseTo(half, 10);
    expect(half).toBeGreaterThan(2.776 * 12.829);
    expect(half).toBeLessThan(3.182 * 12.829);
  });

  it('takes the window as a parameter', () => {
    const [wide] = attribute(sends, orders, feedback, 30);
    expect(wide?.treatment.revenue).toBe(170);
    expect(wide?.holdout.converted).toBe(2);
  });

  it('has no uplift without a holdout group', () => {
    const [alone] = attribute(sends.filter((s) => s.status !== 'HOLDOUT'), orders, feedback);
    expect(alone?.uplift).toEqual({ conversionRate: undefined, revenuePerRecipient: undefined });
  });
});

describe('segment performance', () => {
  const t = (customerId: string, segment: string, change: 'enter' | 'exit', at: string): Transition => ({ customerId, segment, change, at });
  const transitions = [
    t('1', 'new', 'enter', '2026-01-01T06:00:00Z'),
    t('2', 'new', 'enter', '2026-01-01T06:00:00Z'),
    t('1', 'new', 'exit', '2026-02-01T06:00:00Z'),
    t('1', 'active', 'enter', '2026-02-01T06:00:00Z'),
    t('2', 'new', 'exit', '2026-02-01T06:00:00Z'),
    t('2', 'lapsed', 'enter', '2026-02-01T06:00:00Z'),
    t('1', 'active', 'exit', '2026-03-01T06:00:00Z'),
  ];

  it('counts flows between segments within one evaluation', () => {
    expect(segmentFlows(transitions)).toEqual([
      { from: '(none)', to: 'new', customers: 2 },
      { from: 'active', to: '(none)', customers: 1 },
      { from: 'new', to: 'active', customers: 1 },
      { from: 'new', to: 'lapsed', customers: 1 },
    ]);
  });

  it('replays daily sizes from the transitions', () => {
    expect(sizesOverTime(snapshotsFromTransitions(transitions))).toEqual({
      dates: ['2026-01-01', '2026-02-01', '2026-03-01'],
      series: [
        { segment: 'active', sizes: [null, 1, 0] },
        { segment: 'lapsed', sizes: [null, 1, 1] },
        { segment: 'new', sizes: [2, 0, 0] },
      ],
    });
  });

  it('lines snapshots up by date, null where a segment has none', () => {
    expect(sizesOverTime([{ date: '2026-01-02', segment: 'vip', size: 3 }, { date: '2026-01-01', segment: 'new', size: 5 }])).toEqual({
      dates: ['2026-01-01', '2026-01-02'],
      series: [{ segment: 'new', sizes: [5, null] }, { segment: 'vip', sizes: [null, 3] }],
    });
  });

  it('sums revenue and predicted value per segment', () => {
    const customers = new Map([
      ['1', { customerId: '1', revenue: 100, clv12m: 40 }],
      ['2', { customerId: '2', revenue: 50 }],
      ['3', { customerId: '3', revenue: 10, clv12m: 20 }],
    ]);
    expect(segmentValue(new Map([['vip', ['1', '2']], ['new', ['3']], ['empty', []]]), customers)).toEqual([
      { segment: 'vip', members: 2, revenue: 150, revenuePerMember: 75, clv12m: 40, clvPerMember: 40 },
      { segment: 'new', members: 1, revenue: 10, revenuePerMember: 10, clv12m: 20, clvPerMember: 20 },
      { segment: 'empty', members: 0, revenue: 0, revenuePerMember: 0 },
    ]);
  });

  it('fills the R × F grid with customers and revenue', () => {
    const grid = rfmGrid([{ r: 5, f: 5, revenue: 500 }, { r: 3, f: 1, revenue: 10 }, { r: 3, f: 1, revenue: 20.005 }, { r: 0, f: 2, revenue: 1 }]);
    expect(grid.customers[4]?.[4]).toBe(1);
    expect(grid.customers[2]?.[0]).toBe(2);
    expect(grid.revenue[2]?.[0]).toBe(30.01);
    expect(grid.customers.flat().reduce((a, b) => a + b, 0)).toBe(3);
  });
});
