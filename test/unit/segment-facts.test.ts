import { afterEach, describe, expect, it, vi } from 'vitest';
import { buildFacts, epochDay } from '../../functions/core/segments/facts.ts';
import { addToStats, emptyStats, finalizeStats } from '../../functions/core/segments/population.ts';

const NOW = new Date('2026-06-30T12:00:00Z');
const DAY = 86_400_000;

describe('day numbers without Date.parse', () => {
  const parsed = (at: string) => Math.floor(Date.parse(at.length === 10 ? `${at}T00:00:00Z` : at) / DAY);
  /** epochDay's answer, and whether it had to ask Date.parse. */
  const dayOf = (at: string) => {
    const parse = vi.spyOn(Date, 'parse');
    const day = epochDay(at);
    const calls = parse.mock.calls.length;
    parse.mockRestore();
    return { day, parsed: calls > 0 };
  };
  afterEach(() => vi.restoreAllMocks());

  it('agree with Date.parse on every day of 1899–2101, as dates and as UTC timestamps with and without milliseconds', () => {
    const days: [at: string, day: number][] = [];
    const parse = vi.spyOn(Date, 'parse');
    for (let t = Date.UTC(1899, 0, 1, 7, 13, 5, 250); t < Date.UTC(2102, 0, 1); t += DAY + 3_600_007) {
      const iso = new Date(t).toISOString();
      for (const at of [iso, iso.slice(0, 10), `${iso.slice(0, 19)}Z`]) days.push([at, epochDay(at)]);
    }
    const slow = parse.mock.calls.length;
    parse.mockRestore();
    expect(slow).toBe(0);
    expect(days.filter(([at, day]) => day !== parsed(at)).map(([at]) => at)).toEqual([]);
    expect(days.length).toBeGreaterThan(200_000);
  });

  it.each([
    ['2024-02-29', 19_782],
    ['2000-02-29T23:59:59.999Z', 11_016],
    ['1969-12-31T23:59:59Z', -1],
    ['1970-01-01', 0],
  ])('%s is day %d', (at, day) => {
    expect(dayOf(at)).toEqual({ day, parsed: false });
    expect(epochDay(at)).toBe(day);
  });

  it.each(['2021-02-29', '1900-02-29', '2020-13-01', '2020-01-00', '2020-01-01T24:00:00Z', '2020-01-01T23:59:60Z', '2020-01-01T10:00:00.000+02:00', '2020-01-01 10:00:00Z', '2020-1-01', 'abcd-ef-gh', ''])(
    'leaves %j to Date.parse, and epochDay still answers as it does',
    (at) => {
      expect(dayOf(at).parsed).toBe(true);
      expect(Object.is(epochDay(at), parsed(at))).toBe(true);
    },
  );
});

describe('facts keep their shape', () => {
  it('order facts keep the aggregates first, then the derived facts, and the top category only when there is one', () => {
    const orders = { orders: 2, purchaseDays: 2, revenue: 30, averageOrderValue: 15, firstOrderAt: '2026-06-01T10:00:00Z', lastOrderAt: '2026-06-20T10:00:00.000Z', cancelledOrders: 1, discountShareOfOrders: 0.5, discountShareOfRevenue: 0.25 };
    const facts = buildFacts({ customerId: 'c', orders: { ...orders, categoryMix: { Jazz: 0.75, Rock: 0.25 } } }, NOW, { fields: {} }) as Record<string, Record<string, unknown>>;
    expect(Object.keys(facts)).toEqual(['customerId', 'contact', 'demographics', 'orders', 'rfm']);
    expect(facts.orders).toEqual({ ...orders, categoryMix: { Jazz: 0.75, Rock: 0.25 }, lastOrderDay: 20_624, daysSinceLastOrder: 10, daysSinceFirstOrder: 29, returnShare: 0.3333, topCategory: 'Jazz', topCategoryShare: 0.75 });
    expect(Object.keys(facts.orders as object).slice(-6)).toEqual(['lastOrderDay', 'daysSinceLastOrder', 'daysSinceFirstOrder', 'returnShare', 'topCategory', 'topCategoryShare']);
    const plain = buildFacts({ customerId: 'c', orders, events: { total: 0, countByType: {}, lastByType: {}, firstAt: '', lastAt: '' } }, NOW, { fields: {} }) as Record<string, Record<string, unknown>>;
    expect(Object.keys(plain)).toEqual(['customerId', 'contact', 'demographics', 'orders', 'rfm', 'events']);
    expect(plain.orders).not.toHaveProperty('topCategory');
  });

  it('copies aggregates as a spread would: an own "__proto__" from JSON stays an own property and sets no prototype', () => {
    const orders = JSON.parse(
      '{"orders":1,"purchaseDays":1,"revenue":5,"averageOrderValue":5,"firstOrderAt":"2026-06-01","lastOrderAt":"2026-06-01","cancelledOrders":0,"discountShareOfOrders":0,"discountShareOfRevenue":0,"__proto__":{"polluted":true}}',
    );
    const facts = buildFacts({ customerId: 'c', orders }, NOW, { fields: {} }) as Record<string, Record<string, unknown>>;
    const copied = facts.orders as Record<string, unknown>;
    expect(Object.hasOwn(copied, '__proto__')).toBe(true);
    expect(Object.getPrototypeOf(copied)).toBe(Object.prototype);
    expect(copied.polluted).toBeUndefined();
    expect(copied.daysSinceLastOrder).toBe(29);
  });

  it('RFM scores read as the three digits', () => {
    const partial = emptyStats(['orders.lastOrderDay', 'orders.orders', 'orders.revenue']);
    const profiles = [1, 2, 3, 4, 5].map((k) => ({
      customerId: `c${k}`,
      orders: { orders: k, purchaseDays: k, revenue: 10 * k, averageOrderValue: 10, firstOrderAt: '2026-01-01', lastOrderAt: `2026-06-0${k}`, cancelledOrders: 0, discountShareOfOrders: 0, discountShareOfRevenue: 0 },
    }));
    for (const p of profiles) addToStats(partial, buildFacts(p, NOW, { fields: {} }));
    const population = finalizeStats(partial);
    expect(profiles.map((p) => (buildFacts(p, NOW, population).rfm as { score: string }).score)).toEqual(['111', '222', '333', '444', '555']);
  });

  it('histograms key values by whole cents, and the statistics read them back as values', () => {
    const partial = emptyStats(['x']);
    for (const x of [0.1 + 0.2, 12.345, -0, 0, 1e21, 1234.5, 1234.5, 7, -3.5]) addToStats(partial, { x });
    expect(partial.fields.x).toEqual({ '30': 1, '1235': 1, '0': 2, '1e+23': 1, '123450': 2, '700': 1, '-350': 1 });
    const { quantiles } = finalizeStats(JSON.parse(JSON.stringify(partial)) as typeof partial).fields.x ?? { quantiles: [] };
    expect([quantiles[0], quantiles[20], quantiles[30], quantiles[40], quantiles[60], quantiles[70], quantiles[80], quantiles[100]]).toEqual([-3.5, 0, 0, 0.3, 12.35, 1234.5, 1234.5, Math.round(1e21 * 100) / 100]);
  });
});
