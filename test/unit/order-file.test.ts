import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Logger } from '@aws-lambda-powertools/logger';
import { afterAll, describe, expect, it } from 'vitest';
import { memoryCustomerStore, memoryRangedStore } from '../../functions/adapters/memory-stores.ts';
import { ingestObject } from '../../functions/ingest-pipeline/ingest-object.ts';
import { rfmOfFile } from '../../bin/commands/rfm.ts';
import { modelFit, modelScore } from '../../bin/commands/models.ts';
import { clustersCommand } from '../../bin/commands/segment-models.ts';
import { readOrderFile } from '../../bin/commands/order-file.ts';

const NOW = new Date('2024-06-01T00:00:00Z');
const DAY = '2024-06-01';

// Identical lines are two purchases (CDNOW has them); an order dated after the clock is quarantined.
const FILE = [
  'customer_id,date,amount',
  'A,2024-01-05,10.00',
  'A,2024-01-05,10.00',
  'A,2024-02-10,5.00',
  'A,2099-01-01,40.00',
  'B,2024-03-01,7.50',
  'B,2024-03-01,7.50',
  'B,2024-04-02,1.25',
  'C,2024-04-01,3.00',
  'D,2030-07-01,99.00',
  'E,2024-05-20,12.00',
  'E,2024-05-20,12.00',
  'E,2024-05-20,12.00',
].join('\n');

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-order-file-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function write(name: string, body: string): string {
  const file = path.join(tmp, name);
  fs.writeFileSync(file, body);
  return file;
}

/** What the ingest Lambda's code keeps of the same file: each customer's revenue and purchase days. */
async function ingested(body: string) {
  const store = memoryCustomerStore();
  const key = 'incoming/orders/orders.csv';
  const logger = new Logger({ serviceName: 'test', logLevel: 'SILENT' });
  const outcome = await ingestObject({ objects: memoryRangedStore({ [key]: body }), store, logger, definitions: [], now: NOW, maxRejectedShare: 0.2 }, key, 'e1');
  const totals = new Map<string, { revenue: number; orders: number; purchaseDays: number }>();
  for (const id of store.customerIds()) {
    const orders = (await store.loadCustomer(id)).profile?.orders;
    if (orders !== undefined) totals.set(id, { revenue: orders.revenue, orders: orders.orders, purchaseDays: orders.purchaseDays });
  }
  return { outcome, totals };
}

describe('one reader of order files: rfm and model fit see what ingest accepts', () => {
  it('exact duplicate lines count twice and a future-dated order is left out, in rfm, model fit and ingest alike', async () => {
    const file = write('orders.csv', FILE);
    // Prepare
    const { outcome, totals } = await ingested(FILE);
    expect(outcome).toMatchObject({ status: 'applied', report: { accepted: 10, rejected: 2, rejectedByReason: { 'order date in the future': 2 } } });
    expect([...totals.keys()].sort()).toEqual(['A', 'B', 'C', 'E']);

    // Act
    const rfm = await rfmOfFile(file, { asOf: NOW });
    const fit = await modelFit({ orders: file }, DAY, NOW);
    const scores = await modelScore({ orders: file }, DAY, { horizonWeeks: 4 }, NOW);
    const read = await readOrderFile(file, { now: NOW });

    // Assess: the same customers everywhere, with ingest's totals.
    expect(rfm.map((r) => r.customerId).sort()).toEqual([...totals.keys()].sort());
    expect(scores.map((s) => s.customerId).sort()).toEqual([...totals.keys()].sort());
    expect(fit.customers).toBe(totals.size);
    for (const row of rfm) expect(row.monetary).toBeCloseTo(totals.get(row.customerId)?.revenue ?? Number.NaN, 10);
    expect(Object.fromEntries(rfm.map((r) => [r.customerId, r.monetary]))).toEqual({ A: 25, B: 16.25, C: 3, E: 36 });
    expect(Object.fromEntries(scores.map((s) => [s.customerId, s.x]))).toEqual(Object.fromEntries([...totals].map(([id, t]) => [id, t.purchaseDays - 1])));
    expect(fit.repeatPurchases).toBe([...totals.values()].reduce((sum, t) => sum + t.purchaseDays - 1, 0));
    expect(read.rejectedByReason).toEqual({ 'order date in the future': 2 });
    expect(read.lines).toHaveLength(10);
  });

  it('clusters count identical lines as separate orders, as ingest does', async () => {
    const file = write('orders-for-clusters.csv', FILE);
    const { totals } = await ingested(FILE);
    const read = await readOrderFile(file, { now: NOW });
    const ids = new Map<string, Set<string>>();
    for (const line of read.lines) ids.set(line.customerId, (ids.get(line.customerId) ?? new Set()).add(line.orderId));
    expect(Object.fromEntries([...ids].map(([id, orders]) => [id, orders.size]))).toEqual(Object.fromEntries([...totals].map(([id, t]) => [id, t.orders])));
    const clusters = await clustersCommand({ orders: file, asOf: DAY }, { k: 2 }, NOW);
    expect(clusters.assignments.map((a) => a.customerId).sort()).toEqual([...totals.keys()].sort());
  });

  it('a file more than a fifth of whose rows are bad is refused whole, as ingest refuses it', async () => {
    const body = 'customer_id,date,amount\nA,2024-01-05,10.00\nB,2099-01-01,5.00\n';
    const file = write('mostly-future.csv', body);
    expect((await ingested(body)).outcome).toMatchObject({ status: 'rejected' });
    await expect(modelFit({ orders: file }, DAY, NOW)).rejects.toThrow(/mostly-future\.csv was rejected: 1 of 2 rows are bad, more than the 20% allowed/);
    await expect(rfmOfFile(file, { asOf: NOW })).rejects.toThrow(/was rejected/);
  });

  it('a mapping beside the file is read, as ingest reads the one beside an object', async () => {
    const file = write('renamed.tsv', 'who\twhen\thow much\nZ\t2024-01-01\t4.00\n');
    write('renamed.mapping.json', JSON.stringify({ kind: 'orders', columns: { customerId: 'who', orderedAt: 'when', amount: 'how much' } }));
    expect((await readOrderFile(file, { now: NOW })).lines).toMatchObject([{ customerId: 'Z', amount: 4 }]);
    expect((await rfmOfFile(file, { asOf: NOW })).map((r) => [r.customerId, r.monetary])).toEqual([['Z', 4]]);
  });
});
