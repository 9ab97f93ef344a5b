import { BatchWriteCommand, ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { dynamoCustomerStore } from '../../functions/adapters/customer-store.ts';
import type { CustomerStore } from '../../functions/adapters/ports/customers.ts';
import { memoryCustomerStore } from '../../functions/adapters/memory-stores.ts';
import { resegmentEveryone } from '../../functions/segmentation/resegment-everyone.ts';
import { chunk } from '../../functions/core/collections.ts';
import { aggregateEvents, aggregateOrders } from '../../functions/core/profile.ts';
import type { CustomerRecord, OrderLine } from '../../functions/core/records.ts';
import type { Transition } from '../../functions/core/segments/assign.ts';
import { assembleDefinitions } from '../../functions/core/segments/catalog.ts';

/** Customers 0..n-1: one to three orders, some on a single day, some on several. */
export function generatedCustomers(n: number, prefix = 'c'): { customers: CustomerRecord[]; orders: OrderLine[] } {
  const customers: CustomerRecord[] = [];
  const orders: OrderLine[] = [];
  for (let i = 0; i < n; i++) {
    const customerId = `${prefix}${String(i).padStart(4, '0')}`;
    customers.push({ customerId, country: 'US', consent: false });
    const count = 1 + (i % 3);
    for (let o = 0; o < count; o++) {
      // Every fifth customer buys all on one day: one purchase day however many orders.
      const day = i % 5 === 0 ? 10 : 1 + ((i * 7 + o * 11) % 27);
      orders.push({ customerId, orderId: `${customerId}-${o}`, lineId: '1', orderedAt: `1998-0${1 + (o % 5)}-${String(day).padStart(2, '0')}T12:00:00.000Z`, amount: 10 + ((i * 13 + o) % 90) });
    }
  }
  return { customers, orders };
}

export interface Customers {
  readonly customers: CustomerRecord[];
  readonly orders: OrderLine[];
}

/** Contact, ledger and PROFILE aggregates of each customer, as an ingest leaves them before any segment is evaluated. */
export async function seedCustomers(store: CustomerStore, data: Customers, now: Date): Promise<void> {
  await store.putContacts(data.customers, now, { source: 'test' });
  await store.putOrders(data.orders, 'test');
  const updates = data.customers.map((c) => ({
    customerId: c.customerId,
    aggregates: { orders: aggregateOrders(data.orders.filter((o) => o.customerId === c.customerId)), events: aggregateEvents([]) },
  }));
  await store.applyRefresh(updates, now);
}

export async function writeCustomers(client: DynamoDBDocumentClient, table: string, data: Customers, now: Date): Promise<void> {
  await seedCustomers(dynamoCustomerStore(client, table), data, now);
}

export async function scanAll(client: DynamoDBDocumentClient, table: string): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await client.send(new ScanCommand({ TableName: table, ExclusiveStartKey: startKey }));
    items.push(...(page.Items ?? []));
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return items;
}

export async function emptyTable(client: DynamoDBDocumentClient, table: string): Promise<void> {
  const items = await scanAll(client, table);
  for (const batch of chunk(items, 25)) {
    await client.send(new BatchWriteCommand({ RequestItems: { [table]: batch.map((i) => ({ DeleteRequest: { Key: { pk: i.pk, sk: i.sk } } })) } }));
  }
}

/** Memberships and transitions as stored: `customer segment` and `customer segment change at` lines, sorted. */
export async function storedOutcome(client: DynamoDBDocumentClient, table: string): Promise<{ memberships: string[]; transitions: string[] }> {
  const items = await scanAll(client, table);
  const customerItems = items.filter((i) => String(i.pk).startsWith('C#'));
  return {
    memberships: customerItems.filter((i) => String(i.sk).startsWith('SEG#')).map((i) => `${String(i.customerId)} ${String(i.segment)}`).sort(),
    transitions: customerItems.filter((i) => String(i.sk).startsWith('T#')).map((i) => `${String(i.customerId)} ${String(i.segment)} ${String(i.change)} ${String(i.at)}`).sort(),
  };
}

/**
 * What the runs must leave: the same data re-segmented in memory in one process (statistics pass,
 * then everyone), at the same times, with the definitions in force when config/segments/ is empty.
 */
export function referenceStore(): { store: CustomerStore; transitions: Transition[]; outcome(): Promise<{ memberships: string[]; transitions: string[] }>; evaluate(now: Date): Promise<void> } {
  const memory = memoryCustomerStore();
  const transitions: Transition[] = [];
  const store: CustomerStore = {
    ...memory,
    async applyRefresh(updates, now) {
      for (const u of updates) transitions.push(...(u.changes?.transitions ?? []));
      return memory.applyRefresh(updates, now);
    },
  };
  return {
    store,
    transitions,
    async evaluate(now) {
      await resegmentEveryone(store, assembleDefinitions(undefined, []), now);
    },
    async outcome() {
      const memberships: string[] = [];
      for (const id of memory.customerIds()) {
        for (const m of (await memory.loadCustomer(id)).memberships) memberships.push(`${id} ${m.segment}`);
      }
      return { memberships: memberships.sort(), transitions: transitions.map((t) => `${t.customerId} ${t.segment} ${t.change} ${t.at}`).sort() };
    },
  };
}
