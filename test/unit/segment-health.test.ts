import { describe, expect, it } from 'vitest';
import { describeHealth, segmentHealth, type HealthInput } from '../../functions/core/segments/health.ts';

/** Ten customers c0…c9 with revenue 10 × (i + 1): 550 in all, 55 on average. */
const revenue = new Map(Array.from({ length: 10 }, (_, i) => [`c${i}`, 10 * (i + 1)] as const));
const ids = (...n: number[]) => n.map((i) => `c${i}`);

const input: HealthInput = {
  segments: ['most', 'top', 'top-again', 'nobody', 'bottom'],
  members: new Map([
    ['most', ids(0, 1, 2, 3, 4, 5, 6)],
    ['top', ids(7, 8, 9)],
    ['top-again', ids(7, 8, 9)],
    ['bottom', ids(0, 1)],
  ]),
  revenue,
  snapshots: ['2026-01-06', '2026-01-01', '2026-01-03', '2026-01-02', '2026-01-05', '2026-01-04'].map((date, i) => ({ date, sizes: { top: i, most: 7 } })),
};

describe('segment health', () => {
  const report = segmentHealth(input);
  const of = (name: string) => report.segments.find((s) => s.name === name)!;

  it('counts the population and its average revenue', () => {
    expect(report.customers).toBe(10);
    expect(report.averageRevenue).toBe(55);
  });

  it.each([
    // name, size, share, revenue per member, index against 55
    ['most', 7, 0.7, 40, 0.73],
    ['top', 3, 0.3, 90, 1.64],
    ['nobody', 0, 0, null, null],
    ['bottom', 2, 0.2, 15, 0.27],
  ])('%s: %d members, share %d, revenue per member %s, index %s', (name, size, share, perMember, index) => {
    const h = of(name);
    expect([h.size, h.share, h.revenuePerMember, h.revenueIndex]).toEqual([size, share, perMember, index]);
  });

  it('overlap is Jaccard, members in both over members in either, largest first', () => {
    // most ∩ bottom = {c0, c1}, most ∪ bottom = 7: 2/7.
    expect(of('bottom').overlaps).toEqual([{ segment: 'most', jaccard: 0.2857 }]);
    expect(of('most').overlaps).toEqual([{ segment: 'bottom', jaccard: 0.2857 }]);
    expect(of('top').overlaps).toEqual([{ segment: 'top-again', jaccard: 1 }]);
    expect(of('nobody').overlaps).toEqual([]);
  });

  it.each([
    ['most', ['holds more than half of all customers (70.0%)']],
    ['top', ['almost the same members as top-again (Jaccard 1.00)']],
    ['top-again', ['almost the same members as top (Jaccard 1.00)']],
    ['nobody', ['holds no one']],
    ['bottom', []],
  ])('%s is warned about %j', (name, warnings) => {
    expect(of(name).warnings).toEqual(warnings);
  });

  it('the trend is the last five runs by date, oldest first, and only where the segment was counted', () => {
    expect(of('top').trend).toEqual([
      { date: '2026-01-02', size: 3 },
      { date: '2026-01-03', size: 2 },
      { date: '2026-01-04', size: 5 },
      { date: '2026-01-05', size: 4 },
      { date: '2026-01-06', size: 0 },
    ]);
    expect(of('top').trendChange).toBe(-3);
    expect(of('bottom').trend).toEqual([]);
    expect(of('bottom').trendChange).toBeNull();
  });

  it('limits are parameters: at a Jaccard of 0.25 most and bottom are flagged too', () => {
    const loose = segmentHealth(input, { maxShare: 0.8, sameMembersJaccard: 0.25, trendRuns: 2, topOverlaps: 1 });
    const most = loose.segments.find((s) => s.name === 'most')!;
    expect(most.warnings).toEqual(['almost the same members as bottom (Jaccard 0.29)']);
    expect(most.trend.map((t) => t.date)).toEqual(['2026-01-05', '2026-01-06']);
  });

  it('a tiny overlap reads "< 0.01", not "0.00"', () => {
    const big = segmentHealth({
      segments: ['one', 'many'],
      members: new Map([['one', ['c0']], ['many', [...revenue.keys(), ...Array.from({ length: 500 }, (_, i) => `x${i}`)]]]),
      revenue,
      snapshots: [],
    });
    expect(describeHealth(big.segments[0]!)).toContain('overlap many < 0.01');
  });

  it('reads as one line', () => {
    expect(describeHealth(of('bottom'))).toBe('20.0% of customers; revenue per member 0.27× the average; overlap most 0.29; no runs yet');
  });
});
