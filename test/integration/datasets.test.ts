import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse } from 'csv-parse/sync';
import { Logger } from '@aws-lambda-powertools/logger';
import { describe, expect, it } from 'vitest';
import { fileObjectStore, memoryCustomerStore } from '../../functions/adapters/memory-stores.ts';
import { ingestObject, type IngestOutcome, type IngestReport } from '../../functions/ingest-pipeline/ingest-object.ts';
import { BUILTIN_SEGMENTS } from '../../functions/core/segments/builtin.ts';
import { PROJECT_ROOT } from '../../lib/project-root.ts';

/** The real data sets of ../shared/data, through the real ingest logic, on the in-memory store. */
const DATA = path.join(PROJECT_ROOT, '..', 'shared', 'data');
const NOW = new Date('2020-01-01T00:00:00Z');
const logger = new Logger({ serviceName: 'test', logLevel: 'SILENT' });

type Rows = Record<string, string>[];
const readCsv = (file: string): Rows => parse(fs.readFileSync(path.join(DATA, file)), { columns: true, bom: true }) as Rows;

async function ingest(files: { key: string; file: string; mapping?: object }[], store = memoryCustomerStore()) {
  const objects = fileObjectStore(Object.fromEntries(files.map((f) => [f.key, path.join(DATA, f.file)])));
  const outcomes: IngestOutcome[] = [];
  for (const f of files) {
    if (f.mapping) await objects.put(f.key.replace(/\.csv$/, '.mapping.json'), JSON.stringify(f.mapping), 'application/json');
    outcomes.push(await ingestObject({ objects, store, logger, definitions: BUILTIN_SEGMENTS, now: NOW, maxRejectedShare: 0.2 }, f.key, 'etag-1'));
  }
  return { store, objects, outcomes };
}

const reportOf = (outcome: IngestOutcome | undefined): IngestReport => {
  if (outcome?.status !== 'applied') throw new Error(`expected an applied file, got ${JSON.stringify(outcome)}`);
  return outcome.report;
};

async function profiles(store: ReturnType<typeof memoryCustomerStore>) {
  return Promise.all(store.customerIds().map(async (id) => ({ id, ...(await store.loadCustomer(id)) })));
}

describe('CDNOW master', () => {
  it('loads 69,659 orders of 23,570 customers, keeping same-day repeat purchases', async () => {
    const { store, outcomes } = await ingest([{ key: 'incoming/orders/cdnow_master.csv', file: 'cdnow/cdnow_master.csv' }]);
    const report = reportOf(outcomes[0]);
    expect(report).toMatchObject({ accepted: 69_659, rejected: 0, customers: 23_570 });
    expect(report.mapping.columns).toEqual({ customerId: 'customer_id', orderedAt: 'date', amount: 'dollar_value', quantity: 'number_of_cds' });
    const all = await profiles(store);
    expect(all.reduce((n, p) => n + (p.profile?.orders?.orders ?? 0), 0)).toBe(69_659);
    const rows = readCsv('cdnow/cdnow_master.csv');
    const revenue = rows.reduce((sum, r) => sum + Number(r.dollar_value), 0);
    expect(all.reduce((sum, p) => sum + (p.profile?.orders?.revenue ?? 0), 0)).toBeCloseTo(revenue, 1);
  }, 120_000);

  it('makes no write at all when the same file is ingested again', async () => {
    const { store } = await ingest([{ key: 'incoming/orders/cdnow_sample.csv', file: 'cdnow/cdnow_sample.csv', mapping: { kind: 'orders', columns: { customerId: 'sample_id', orderedAt: 'date', amount: 'dollar_value', quantity: 'number_of_cds' } } }]);
    const writes = store.writes();
    const { outcomes } = await ingest([{ key: 'incoming/orders/cdnow_sample.csv', file: 'cdnow/cdnow_sample.csv' }], store);
    expect(outcomes[0]).toEqual({ status: 'already-applied', file: 'incoming/orders/cdnow_sample.csv' });
    expect(store.writes()).toBe(writes);
  });

  it('ends in the same state when two files hold the same orders', async () => {
    const mapping = { kind: 'orders', columns: { customerId: 'sample_id', orderedAt: 'date', amount: 'dollar_value', quantity: 'number_of_cds' } };
    const once = await ingest([{ key: 'incoming/orders/a.csv', file: 'cdnow/cdnow_sample.csv', mapping }]);
    const twice = await ingest([
      { key: 'incoming/orders/a.csv', file: 'cdnow/cdnow_sample.csv', mapping },
      { key: 'incoming/orders/b.csv', file: 'cdnow/cdnow_sample.csv', mapping },
    ]);
    const view = async (store: ReturnType<typeof memoryCustomerStore>) => (await profiles(store)).map((p) => [p.id, p.profile?.orders, p.orders.length]);
    expect(await view(twice.store)).toEqual(await view(once.store));
  });
});

describe('arrival order', () => {
  it('ends in the same state whichever file arrives first, customers or orders, early or late orders', async () => {
    const files = [
      { key: 'incoming/customers/demographics.csv', file: 'completejourney/demographics.csv' },
      { key: 'incoming/orders/transactions.csv', file: 'completejourney/transactions_sample.csv' },
    ];
    const forward = await ingest(files);
    const backward = await ingest([...files].reverse());
    // Memberships are a set: the store lists them in the order they were entered, which arrival order changes.
    const view = async (store: ReturnType<typeof memoryCustomerStore>) =>
      (await profiles(store)).sort((a, b) => a.id.localeCompare(b.id)).map((p) => [p.id, p.profile?.contact, p.profile?.orders, p.memberships.map((m) => m.segment).sort()]);
    expect(await view(backward.store)).toEqual(await view(forward.store));
  }, 180_000);
});

describe('Online Retail (dirty)', () => {
  const file = { key: 'incoming/orders/online_retail.csv', file: 'online_retail/online_retail_sample_20k.csv' };
  const rows = readCsv(file.file);
  const blank = rows.filter((r) => r.CustomerID === 'NA' || r.CustomerID === '').length;

  it('rejects the file whole by default: a quarter of its rows have no customer id', async () => {
    const { outcomes } = await ingest([file]);
    expect(outcomes[0]).toMatchObject({ status: 'rejected', report: { accepted: 20_000 - blank, rejected: blank } });
  });

  it('quarantines the blank CustomerID rows with their reason and nets cancellations when the limit allows', async () => {
    const { store, objects, outcomes } = await ingest([{ ...file, mapping: { kind: 'orders', columns: { customerId: 'CustomerID', orderId: 'InvoiceNo', orderedAt: 'InvoiceDate', unitPrice: 'UnitPrice', quantity: 'Quantity', productId: 'StockCode' }, timezone: 'Europe/London', maxRejectedShare: 0.3 } }]);
    const report = reportOf(outcomes[0]);
    expect(blank).toBe(5_078);
    expect(report.rejectedByReason).toEqual({ 'missing customer id': 5_078 });
    expect(objects.written.get('quarantine/orders/online_retail.csv.rejected.csv')?.trim().split('\n')).toHaveLength(5_078 + 1);

    // Exact duplicate rows of an invoice are dropped (7 in this sample): the oracle drops them too.
    const known = [...new Map(rows.filter((r) => r.CustomerID !== 'NA').map((r) => [JSON.stringify(r), r])).values()];
    const expected = new Map<string, { revenue: number; orders: Set<string>; cancelled: Set<string> }>();
    for (const r of known) {
      const e = expected.get(r.CustomerID!) ?? { revenue: 0, orders: new Set(), cancelled: new Set() };
      e.revenue += Math.round(Number(r.UnitPrice) * Number(r.Quantity) * 100) / 100;
      (r.InvoiceNo!.startsWith('C') ? e.cancelled : e.orders).add(r.InvoiceNo!);
      expected.set(r.CustomerID!, e);
    }
    expect([...expected.values()].reduce((n, e) => n + e.cancelled.size, 0)).toBeGreaterThan(0);
    for (const p of await profiles(store)) {
      const e = expected.get(p.id)!;
      const aggregates = p.profile?.orders;
      expect(aggregates?.revenue ?? 0).toBeCloseTo(Math.max(0, e.revenue), 1);
      expect(aggregates?.orders ?? 0).toBe(e.orders.size);
      expect(aggregates?.cancelledOrders ?? e.cancelled.size).toBe(e.cancelled.size);
    }
    // 2011-06-16 14:45 in London is 13:45 UTC (summer time).
    const line = (await store.loadCustomer('12621')).orders.find((o) => o.orderId === '557055');
    expect(line?.orderedAt).toBe('2011-06-16T13:45:00.000Z');
  });
});

describe('Superstore (discounts)', () => {
  it('recognizes the columns, keeps 5,009 orders of 793 customers and measures discount shares', async () => {
    const { store, outcomes } = await ingest([{ key: 'incoming/orders/superstore.csv', file: 'superstore/superstore.csv' }]);
    const report = reportOf(outcomes[0]);
    expect(report).toMatchObject({ accepted: 9_994, rejected: 0, customers: 793 });
    expect(report.mapping.columns).toMatchObject({ customerId: 'Customer ID', orderId: 'Order ID', orderedAt: 'Order Date', amount: 'Sales', discount: 'Discount', category: 'Category' });
    const all = await profiles(store);
    expect(all.reduce((n, p) => n + (p.profile?.orders?.orders ?? 0), 0)).toBe(5_009);

    const rows = readCsv('superstore/superstore.csv');
    const byCustomer = new Map<string, Map<string, boolean>>();
    for (const r of rows) {
      const orders = byCustomer.get(r['Customer ID']!) ?? new Map<string, boolean>();
      orders.set(r['Order ID']!, (orders.get(r['Order ID']!) ?? false) || Number(r.Discount) > 0);
      byCustomer.set(r['Customer ID']!, orders);
    }
    for (const p of all) {
      const orders = [...byCustomer.get(p.id)!.values()];
      expect(p.profile?.orders?.discountShareOfOrders).toBeCloseTo(orders.filter(Boolean).length / orders.length, 3);
    }
    const mix = all[0]!.profile?.orders?.categoryMix ?? {};
    expect(Object.values(mix).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 2);
  });
});

describe('The Complete Journey (demographics joined to transactions)', () => {
  it('joins 801 households\' demographics to their baskets', async () => {
    const { store, outcomes } = await ingest([
      { key: 'incoming/customers/demographics.csv', file: 'completejourney/demographics.csv' },
      { key: 'incoming/orders/transactions.csv', file: 'completejourney/transactions_sample.csv' },
    ]);
    expect(reportOf(outcomes[0])).toMatchObject({ accepted: 801, rejected: 0, customers: 801 });
    const tx = reportOf(outcomes[1]);
    expect(tx).toMatchObject({ accepted: 75_000, rejected: 0, customers: 2_377 });
    expect(tx.mapping.columns).toMatchObject({ customerId: 'household_id', orderId: 'basket_id', amount: 'sales_value', discount: 'retail_disc' });

    const demographics = new Map(readCsv('completejourney/demographics.csv').map((r) => [r.household_id!, r]));
    const transactions = readCsv('completejourney/transactions_sample.csv');
    const buyers = new Set(transactions.map((r) => r.household_id!));
    const joined = (await profiles(store)).filter((p) => p.profile?.contact !== undefined && p.profile.orders !== undefined);
    expect(joined.length).toBe([...demographics.keys()].filter((id) => buyers.has(id)).length);
    for (const p of joined.slice(0, 50)) {
      expect(p.profile?.contact).toMatchObject({ ageBand: demographics.get(p.id)!.age, incomeBand: demographics.get(p.id)!.income });
      const baskets = new Set(transactions.filter((r) => r.household_id === p.id).map((r) => r.basket_id));
      expect(p.profile?.orders?.orders).toBe(baskets.size);
    }
  }, 60_000);
});
