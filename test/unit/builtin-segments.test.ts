import { describe, expect, it } from 'vitest';
import { aggregateOrders } from '../../functions/core/profile.ts';
import type { CustomerEvent, CustomerRecord, OrderLine } from '../../functions/core/records.ts';
import { builtinSegments, DEFAULT_BUILTIN_CONFIG, parseBuiltinConfig, RFM_MAP } from '../../functions/core/segments/builtin.ts';
import { evaluateAll, orderDefinitions } from '../../functions/core/segments/catalog.ts';
import { loadProfiles } from '../../functions/core/segments/columns.ts';
import { evaluateBatch, isMember } from '../../functions/core/segments/evaluate-columns.ts';
import { buildFacts, type ModelFacts } from '../../functions/core/segments/facts.ts';
import { populationOf } from '../../functions/core/segments/population.ts';
import { refreshCustomers } from '../../functions/segmentation/refresh-customers.ts';
import { memoryCustomerStore } from '../../functions/adapters/memory-stores.ts';

const NOW = new Date('2026-06-30T12:00:00Z');
const DAY = 86_400_000;
const ago = (days: number, from = NOW) => new Date(from.getTime() - days * DAY).toISOString();

interface Customer {
  readonly id: string;
  readonly lines: OrderLine[];
  readonly contact?: Omit<CustomerRecord, 'customerId'>;
  readonly events?: Pick<CustomerEvent, 'type' | 'occurredAt' | 'properties'>[];
  readonly model?: ModelFacts;
}

let lineNo = 0;
const order = (daysAgo: number, amount: number, extra: Partial<OrderLine> = {}): OrderLine => ({
  customerId: 'x',
  orderId: `o${++lineNo}`,
  lineId: '1',
  orderedAt: ago(daysAgo),
  amount,
  ...extra,
});
const model = (m: Partial<ModelFacts>): ModelFacts => ({ pAlive: 0.8, expectedPurchases30d: 0.5, expectedPurchases90d: 1.5, expectedSpend: 30, clv12m: 100, pastPurchases30d: 0.6, ...m });

const customers: Customer[] = [
  { id: 'vip', lines: [order(300, 900), order(200, 1100), order(120, 1000), order(60, 1000), order(20, 1000)] },
  { id: 'new-one-timer', lines: [order(10, 25)] },
  { id: 'old-one-timer', lines: [order(200, 25)] },
  { id: 'coupon-only', lines: [order(100, 20, { discount: 5 }), order(70, 20, { discount: 5 }), order(40, 20, { discount: 2 }), order(15, 20, { discount: 1 })] },
  { id: 'returner', lines: [order(100, 40), order(90, 40), order(80, 40), order(70, 40), order(95, -40, { cancelled: true }), order(75, -40, { cancelled: true })] },
  { id: 'gone', lines: [order(500, 30), order(400, 30)] },
  { id: 'charmed', lines: [order(150, 30), order(40, 30)], events: [{ type: 'review', occurredAt: ago(50), properties: { rating: '5' } }] },
  { id: 'fading', lines: [order(100, 30), order(90, 30), order(80, 30)] },
  { id: 'fading-modelled', lines: [order(100, 30), order(90, 30), order(80, 30)], model: model({ pAlive: 0.3 }) },
  { id: 'dead-modelled', lines: [order(100, 30), order(90, 30), order(80, 30)], model: model({ pAlive: 0.05 }) },
  { id: 'slowing', lines: [order(60, 30), order(40, 30), order(20, 30)], model: model({ expectedPurchases30d: 0.05, pAlive: 0.6 }) },
  // Expected far below their past rate only because the model shrinks a heavy buyer towards the mean.
  { id: 'heavy-steady', lines: [order(50, 30), order(40, 30), order(30, 30), order(20, 30), order(10, 30)], model: model({ expectedPurchases30d: 0.5, pastPurchases30d: 3, pAlive: 0.99 }) },
  { id: 'bookworm', lines: [order(60, 80, { category: 'Books' }), order(30, 10, { category: 'Music' }), order(20, 10, { category: 'Books' })] },
  { id: 'reader', lines: [order(5, 10)], events: [{ type: 'email_open', occurredAt: ago(5) }] },
  {
    id: 'ignorer',
    lines: [order(300, 10)],
    events: [20, 40, 60].map((d) => ({ type: 'email_delivery', occurredAt: ago(d) })),
  },
  { id: 'person-a', lines: [order(35, 10)], contact: { birthDate: '1990-07-01', gender: 'F', incomeBand: '35-49K', country: 'us', interests: ['Music'] } },
  { id: 'person-b', lines: [], contact: { ageBand: '65+', gender: 'male', incomeBand: 'Under 15K', country: 'DE' } },
  { id: 'person-c', lines: [], contact: { ageBand: '19-24', incomeBand: '250K+' } },
];

function evaluateCustomers(config = DEFAULT_BUILTIN_CONFIG) {
  const definitions = orderDefinitions(builtinSegments(config));
  const factsOf = (c: Customer, population = { fields: {} }) =>
    buildFacts({ customerId: c.id, contact: c.contact, orders: aggregateOrders(c.lines), model: c.model }, NOW, population);
  const population = populationOf(customers.map((c) => factsOf(c)), definitions);
  return new Map(
    customers.map((c) => {
      const results = evaluateAll(definitions, factsOf(c, population), { now: NOW, population, ledgers: { events: c.events ?? [], orderLines: c.lines } });
      return [c.id, new Set([...results].filter(([, r]) => r.matched).map(([name]) => name))];
    }),
  );
}

describe('built-in segments on hand-made profiles', () => {
  const members = evaluateCustomers();
  it.each<[string, string[], string[]]>([
    ['vip', ['vip', 'high-value', 'active'], ['first-time-buyers', 'discount-abusers']],
    ['new-one-timer', ['new', 'first-time-buyers'], ['active', 'vip', 'churn-risk']],
    ['old-one-timer', ['lapsed', 'first-time-buyers'], ['new', 'active', 'churned']],
    ['coupon-only', ['discount-abusers', 'cherry-pickers', 'active'], ['vip']],
    ['returner', ['discount-abusers', 'active'], ['cherry-pickers']],
    ['gone', ['churned'], ['lapsed', 'active', 'churn-risk']],
    ['charmed', ['charmed'], ['first-time-buyers']],
    ['fading', ['churn-risk', 'active'], ['churned', 'lapsed']],
    ['fading-modelled', ['churn-risk'], ['churned']],
    ['dead-modelled', ['churned'], ['churn-risk', 'lapsed']],
    ['slowing', ['active', 'likely-to-lapse'], ['churn-risk']],
    ['heavy-steady', ['active'], ['likely-to-lapse', 'churn-risk']],
    ['bookworm', ['category-loyalists'], ['discount-abusers']],
    ['reader', ['engaged', 'new'], ['unengaged']],
    ['ignorer', ['unengaged'], ['engaged']],
    ['person-a', ['age-35-44', 'gender-female', 'income-middle', 'location-home', 'interest-music', 'active'], ['location-abroad']],
    ['person-b', ['age-65-plus', 'gender-male', 'income-low', 'location-abroad'], ['new', 'active', 'lapsed', 'churned', 'location-home']],
    ['person-c', ['age-18-24', 'income-high'], ['gender-female', 'gender-male']],
  ])('%s is in %j and not in %j', (id, inside, outside) => {
    const segments = members.get(id) ?? new Set();
    for (const s of inside) expect(segments, `${id} should be in ${s}`).toContain(s);
    for (const s of outside) expect(segments, `${id} should not be in ${s}`).not.toContain(s);
  });

  it('every customer with an order is in exactly one lifecycle segment and one RFM map cell', () => {
    for (const c of customers) {
      const segments = [...(members.get(c.id) ?? [])];
      const lifecycle = segments.filter((s) => ['new', 'active', 'lapsed', 'churned'].includes(s));
      const rfm = segments.filter((s) => RFM_MAP.some((cell) => cell.name === s));
      const expected = c.lines.some((l) => !l.cancelled) ? 1 : 0;
      expect(lifecycle, c.id).toHaveLength(expected);
      expect(rfm, c.id).toHaveLength(expected);
    }
  });

  it('the column evaluator (the hot path) decides exactly as the interpreter that explains', () => {
    const definitions = orderDefinitions(builtinSegments());
    const inputs = customers.map((c) => ({ customerId: c.id, contact: c.contact, orders: aggregateOrders(c.lines), model: c.model }));
    const ledgers = customers.map((c) => ({ events: c.events ?? [], orderLines: c.lines }));
    const population = populationOf(
      inputs.map((input) => buildFacts(input, NOW, { fields: {} })),
      definitions,
    );
    const members = evaluateBatch(definitions, loadProfiles(inputs, definitions), NOW, population, (i) => ledgers[i]);
    customers.forEach((c, i) => {
      const facts = buildFacts(inputs[i] as (typeof inputs)[number], NOW, population);
      const interpreted = [...evaluateAll(definitions, facts, { now: NOW, population, ledgers: ledgers[i] as (typeof ledgers)[number] }).values()].map((r) => r.matched);
      expect(members.map((m) => isMember(m, i)), c.id).toEqual(interpreted);
    });
  });

  it('the RFM map covers each of the 25 (R, F) cells exactly once', () => {
    const cells = RFM_MAP.flatMap((s) => s.cells.flatMap(([r, fs]) => fs.map((f) => `${r}${f}`)));
    expect(cells.sort()).toEqual([1, 2, 3, 4, 5].flatMap((r) => [1, 2, 3, 4, 5].map((f) => `${r}${f}`)).sort());
  });

  it('thresholds are configuration: a 7-day New window moves the 10-day-old buyer to Active', () => {
    const members7 = evaluateCustomers(parseBuiltinConfig({ newWithinDays: 7 }, 'test'));
    expect(members7.get('new-one-timer')).toContain('active');
    expect(members7.get('new-one-timer')).not.toContain('new');
  });
});

describe('behavioural thresholds relative to the shop', () => {
  /** Ten customers of five 100-dollar orders, the first `discounted[i]` of them at a discount; profit 10 an order unless given. */
  function shop(discounted: readonly number[], profitOf: (i: number) => number | undefined = () => 10) {
    const definitions = orderDefinitions(builtinSegments());
    const inputs = discounted.map((k, i) => ({
      customerId: `c${i}`,
      orders: aggregateOrders(
        Array.from({ length: 5 }, (_, j): OrderLine => {
          const profit = profitOf(i);
          return { customerId: `c${i}`, orderId: `c${i}-${j}`, lineId: '1', orderedAt: ago(100 - j * 10), amount: 100, ...(j < k ? { discount: 0.2 } : {}), ...(profit === undefined ? {} : { profit }) };
        }),
      ),
    }));
    const population = populationOf(inputs.map((input) => buildFacts(input, NOW, { fields: {} })), definitions);
    const members = (segment: string) =>
      inputs
        .filter((input) => evaluateAll(definitions, buildFacts(input, NOW, population), { now: NOW, population, ledgers: { events: [], orderLines: [] } }).get(segment)?.matched)
        .map((input) => input.customerId);
    return { members };
  }
  const routine = [3, 3, 3, 3, 3, 3, 3, 4, 5, 5];

  it('where discounts are routine (every customer has ≥ 60% of revenue discounted) only the top of the shop are discount abusers', () => {
    // p80 of the discounted share of revenue is 0.8: c7 (0.8), c8 and c9 (1.0); the other seven are the shop's normal.
    expect(shop(routine).members('discount-abusers')).toEqual(['c7', 'c8', 'c9']);
  });

  it('with a profit column, a heavy discount user who still leaves a high margin is not an abuser', () => {
    expect(shop(routine, (i) => (i === 9 ? 50 : 10)).members('discount-abusers')).toEqual(['c7', 'c8']);
  });

  it('where nobody is discounted the percentile is 0, and the floor keeps the segment empty', () => {
    expect(shop(Array(10).fill(0)).members('discount-abusers')).toEqual([]);
    expect(shop(Array(10).fill(0)).members('cherry-pickers')).toEqual([]);
  });

  it('cherry pickers: every order discounted is not enough where most customers buy so; the top share and a bottom margin are', () => {
    const mostly = [5, 5, 5, 5, 5, 5, 5, 5, 5, 4];
    // Nine of ten buy only on discount: p90 is 1.0; of them only the lowest margins (≤ p25 = 0.05) are cherry pickers.
    expect(shop(mostly, (i) => (i < 3 ? 5 : 10)).members('cherry-pickers')).toEqual(['c0', 'c1', 'c2']);
  });
});

describe('time moves one customer New → Active → Lapsed → Churned', () => {
  it('records every enter and exit, writes nothing when re-run at the same time', async () => {
    const store = memoryCustomerStore();
    const first = new Date('2026-01-01T10:00:00Z');
    await store.putOrders(
      [
        { customerId: 'c1', orderId: 'a', lineId: '1', orderedAt: first.toISOString(), amount: 30 },
        { customerId: 'c1', orderId: 'b', lineId: '1', orderedAt: ago(-19, first), amount: 30 },
      ],
      'test',
    );
    const lifecycle = builtinSegments().filter((d) => d.kind === 'lifecycle');
    const clock = ['2026-01-25', '2026-03-01', '2026-06-01', '2027-01-25'];
    const seen: string[] = [];
    for (const day of clock) {
      const now = new Date(`${day}T06:00:00Z`);
      await refreshCustomers(store, ['c1'], lifecycle, now);
      seen.push(store.memberships('c1').map((m) => m.segment).join(','));
      const writes = store.writes();
      const again = await refreshCustomers(store, ['c1'], lifecycle, now);
      expect(again.writes, `re-run on ${day}`).toBe(0);
      expect(store.writes()).toBe(writes);
    }
    expect(seen).toEqual(['new', 'active', 'lapsed', 'churned']);
    expect(store.transitions().map((t) => `${t.at.slice(0, 10)} ${t.change} ${t.segment}${t.from ? ` from ${t.from}` : ''}${t.to ? ` to ${t.to}` : ''}`)).toEqual([
      '2026-01-25 enter new',
      '2026-03-01 exit new to active',
      '2026-03-01 enter active from new',
      '2026-06-01 exit active to lapsed',
      '2026-06-01 enter lapsed from active',
      '2027-01-25 exit lapsed to churned',
      '2027-01-25 enter churned from lapsed',
    ]);
    const churned = store.transitions().at(-1);
    expect(churned?.why).toContainEqual({ field: 'orders.daysSinceLastOrder', op: 'gte', expected: 365, actual: 370 });
  });
});
