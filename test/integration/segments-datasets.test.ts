import * as path from 'node:path';
import { Logger } from '@aws-lambda-powertools/logger';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileObjectStore, memoryCustomerStore, type MemoryCustomerStore } from '../../functions/adapters/memory-stores.ts';
import { ingestObject } from '../../functions/ingest-pipeline/ingest-object.ts';
import { builtinSegments, RFM_MAP } from '../../functions/core/segments/builtin.ts';
import { resegmentEveryone } from '../../functions/segmentation/resegment-everyone.ts';
import { PROJECT_ROOT } from '../../lib/project-root.ts';

/**
 * The built-in segments on real data sets, each checked against DuckDB computing the same
 * definition straight from the raw CSV: an independent oracle for the whole path
 * (parse → clean → aggregate → population statistics → evaluate → assign).
 */
const DATA = path.join(PROJECT_ROOT, '..', 'shared', 'data');
const logger = new Logger({ serviceName: 'test', logLevel: 'SILENT' });
const definitions = builtinSegments();

async function load(files: { key: string; file: string; mapping?: object }[], now: Date): Promise<MemoryCustomerStore> {
  const store = memoryCustomerStore();
  const objects = fileObjectStore(Object.fromEntries(files.map((f) => [f.key, path.join(DATA, f.file)])));
  for (const f of files) {
    if (f.mapping) await objects.put(f.key.replace(/\.csv$/, '.mapping.json'), JSON.stringify(f.mapping), 'application/json');
    const outcome = await ingestObject({ objects, store, logger, definitions: [], now, maxRejectedShare: 0.2 }, f.key, 'etag');
    if (outcome.status !== 'applied') throw new Error(`${f.key}: ${JSON.stringify(outcome)}`);
  }
  await resegmentEveryone(store, definitions, now);
  return store;
}

const membersOf = (store: MemoryCustomerStore, segment: string) =>
  store.customerIds().filter((id) => store.memberships(id).some((m) => m.segment === segment)).sort();

let duck: DuckDBConnection;
const ids = async (sql: string): Promise<string[]> => (await duck.runAndReadAll(sql)).getRowObjectsJson().map((r) => String(r.id)).sort();

beforeAll(async () => {
  duck = await (await DuckDBInstance.create(':memory:')).connect();
});
afterAll(() => duck?.closeSync());

/**
 * Per-customer order aggregates in SQL, as strata defines them: an order is discounted when any of
 * its lines is; shares are rounded to 4 places, revenue to cents.
 */
const customerSql = (lines: string, now: string) => `
  with l as (${lines}),
  o as (select c, o, min(d) d, sum(s) amount, sum(round(p, 2)) profit, bool_or(disc > 0) discounted from l group by c, o having sum(s) >= 0),
  days as (select distinct c, d::date pday from o),
  gaps as (select c, date_diff('day', lag(pday) over (partition by c order by pday), pday) gap from days),
  med as (select c, median(gap) median_gap from gaps where gap is not null group by c),
  cat as (select c, max(cshare) top_share from (select c, cat, sum(s) / sum(sum(s)) over (partition by c) cshare from l where s > 0 and cat is not null group by c, cat) group by c),
  cu as (
    select o.c, count(*) orders, count(distinct o.d::date) purchase_days, round(sum(amount), 2) revenue,
      round(count(*) filter (where discounted) / count(*), 4) dso,
      round(coalesce(sum(amount) filter (where discounted), 0) / sum(amount), 4) dsr,
      date_diff('day', max(o.d)::date, DATE '${now}') since_last, date_diff('day', min(o.d)::date, DATE '${now}') since_first,
      any_value(med.median_gap) median_gap, round(any_value(cat.top_share), 4) top_share,
      round(sum(profit) / sum(amount), 4) margin
    from o left join med using (c) left join cat using (c) group by o.c
  )`;

const lifecycleSql = (base: string) => `${base},
  lc as (select c, case
    when since_first <= 30 then 'new'
    when since_last >= 365 then 'churned'
    when since_last <= greatest(90, coalesce(3 * median_gap, 90)) then 'active'
    else 'lapsed' end stage from cu)`;

const rfmSql = (base: string) => `${base},
  scored as (select c,
    1 + floor(5 * (rank() over (order by since_last desc) - 1) / count(*) over ()) r,
    1 + floor(5 * (rank() over (order by orders) - 1) / count(*) over ()) f from cu)`;

const percentileSql = (column: string, p: number) =>
  `(select ${column} from (select ${column}, row_number() over (order by ${column}) rn, count(*) over () n from cu where ${column} is not null) where rn = greatest(1, ceil(${p} * n / 100)))`;

/** A percentile of a share as the population statistics keep it: in whole hundredths (Math.round of × 100). */
const sharePercentileSql = (column: string, p: number) => `(floor(${percentileSql(column, p)} * 100 + 0.5) / 100)`;

/**
 * The built-in discount rules (README "Segments"), for files without returns (no negative
 * quantities in Superstore or The Complete Journey, so returnShare is 0 and its branch never holds).
 */
const discountAbusersWhere = `orders >= 3 and dsr >= ${sharePercentileSql('dsr', 80)} and dsr >= 0.5 and (margin is null or margin <= ${sharePercentileSql('margin', 50)})`;
const cherryPickersWhere = `orders >= 2 and dso >= ${sharePercentileSql('dso', 90)} and dso >= 0.75 and (margin is null or margin <= ${sharePercentileSql('margin', 25)})`;

describe('Superstore: discounts, categories, value, lifecycle and RFM', () => {
  const NOW = '2018-01-01';
  const lines = `select "Customer ID" c, "Order ID" o, "Order Date" d, Sales s, Discount disc, Profit p, Category cat from read_csv('${DATA}/superstore/superstore.csv')`;
  let store: MemoryCustomerStore;
  beforeAll(async () => {
    store = await load([{ key: 'incoming/orders/superstore.csv', file: 'superstore/superstore.csv' }], new Date(`${NOW}T00:00:00Z`));
  }, 120_000);

  it.each([
    ['discount-abusers', discountAbusersWhere],
    ['cherry-pickers', cherryPickersWhere],
    ['category-loyalists', `orders >= 2 and top_share >= ${sharePercentileSql('top_share', 75)} and top_share >= 0.6`],
    ['first-time-buyers', 'purchase_days = 1'],
    ['vip', `purchase_days >= 3 and revenue >= ${percentileSql('revenue', 90)}`],
    ['high-value', `revenue >= ${percentileSql('revenue', 80)}`],
  ])('%s holds exactly the customers DuckDB finds', async (segment, where) => {
    const expected = await ids(`${customerSql(lines, NOW)} select c id from cu where ${where}`);
    expect(expected.length).toBeGreaterThan(0);
    expect(membersOf(store, segment)).toEqual(expected);
  });

  it.each(['new', 'active', 'lapsed', 'churned'])('lifecycle %s holds exactly the customers DuckDB finds', async (stage) => {
    expect(membersOf(store, stage)).toEqual(await ids(`${lifecycleSql(customerSql(lines, NOW))} select c id from lc where stage = '${stage}'`));
  });

  it.each(RFM_MAP.map((cell) => [cell.name, cell.cells] as const))('RFM cell %s holds exactly the customers DuckDB scores into it', async (name, cells) => {
    const where = cells.map(([r, fs]) => `(r = ${r} and f in (${fs.join(',')}))`).join(' or ');
    expect(membersOf(store, name)).toEqual(await ids(`${rfmSql(customerSql(lines, NOW))} select c id from scored where ${where}`));
  });
});

describe('The Complete Journey: demographics and coupons', () => {
  const NOW = '2018-01-02';
  it('age and income segments follow the declared bands of the 801 households', async () => {
    const store = await load(
      [
        { key: 'incoming/customers/demographics.csv', file: 'completejourney/demographics.csv' },
        { key: 'incoming/orders/transactions.csv', file: 'completejourney/transactions_sample.csv' },
      ],
      new Date(`${NOW}T00:00:00Z`),
    );
    const bands: Record<string, string> = { '19-24': 'age-18-24', '25-34': 'age-25-34', '35-44': 'age-35-44', '45-54': 'age-45-54', '55-64': 'age-55-64', '65+': 'age-65-plus' };
    const incomes: Record<string, string> = {
      'Under 15K': 'income-low', '15-24K': 'income-low', '25-34K': 'income-low',
      '35-49K': 'income-middle', '50-74K': 'income-middle', '75-99K': 'income-middle',
      '100-124K': 'income-high', '125-149K': 'income-high', '150-174K': 'income-high', '175-199K': 'income-high', '200-249K': 'income-high', '250K+': 'income-high',
    };
    const rows = (await duck.runAndReadAll(`select household_id::varchar id, age, income from read_csv('${DATA}/completejourney/demographics.csv')`)).getRowObjectsJson();
    expect(rows).toHaveLength(801);
    for (const segment of new Set([...Object.values(bands), ...Object.values(incomes)])) {
      const expected = rows.filter((r) => bands[String(r.age)] === segment || incomes[String(r.income)] === segment).map((r) => String(r.id)).sort();
      expect(membersOf(store, segment), segment).toEqual(expected);
    }
  }, 120_000);

  it('coupon-only buyers and coupon-heavy households, with coupon_disc as the discount', async () => {
    const mapping = { kind: 'orders', columns: { customerId: 'household_id', orderId: 'basket_id', orderedAt: 'transaction_timestamp', amount: 'sales_value', quantity: 'quantity', productId: 'product_id', discount: 'coupon_disc' } };
    const store = await load([{ key: 'incoming/orders/transactions.csv', file: 'completejourney/transactions_sample.csv', mapping }], new Date(`${NOW}T00:00:00Z`));
    const lines = `select household_id::varchar c, basket_id::varchar o, transaction_timestamp d, sales_value s, coupon_disc disc, null::double p, null::varchar cat from read_csv('${DATA}/completejourney/transactions_sample.csv')`;
    const abusers = await ids(`${customerSql(lines, NOW)} select c id from cu where ${discountAbusersWhere}`);
    const couponBuyers = await ids(`${customerSql(lines, NOW)} select c id from cu where dso > 0`);
    expect(couponBuyers.length).toBeGreaterThan(100);
    expect(membersOf(store, 'discount-abusers')).toEqual(abusers);
    expect(membersOf(store, 'cherry-pickers')).toEqual(await ids(`${customerSql(lines, NOW)} select c id from cu where ${cherryPickersWhere}`));
  }, 120_000);
});
