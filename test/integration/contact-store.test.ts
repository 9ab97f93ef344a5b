import type { AddressInfo, Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import dynalite from 'dynalite';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { dynamoCustomerStore } from '../../functions/adapters/customer-store.ts';
import type { CustomerStore } from '../../functions/adapters/ports/customers.ts';
import { memoryCustomerStore } from '../../functions/adapters/memory-stores.ts';
import type { StoredContact } from '../../functions/core/contact-merge.ts';

/**
 * The CONTACT item under files that each carry only some columns, on the DynamoDB store (real
 * dynalite) and the memory store, which must behave the same.
 */
const FILE1 = { source: 'incoming/customers/one.csv', revision: 'e1' };
const FILE2 = { source: 'incoming/customers/two.csv', revision: 'e2' };
const FILE3 = { source: 'incoming/customers/three.csv', revision: 'e3' };
const T1 = new Date('2026-01-01T00:00:00.000Z');
const T2 = new Date('2026-02-01T00:00:00.000Z');
const T3 = new Date('2026-03-01T00:00:00.000Z');
const T4 = new Date('2026-04-01T00:00:00.000Z');

let server: Server;
let client: DynamoDBDocumentClient;
let tables = 0;

beforeAll(async () => {
  server = dynalite({ createTableMs: 0, deleteTableMs: 0 }) as Server;
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', () => resolve()));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  client = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } }), {
    marshallOptions: { removeUndefinedValues: true },
  });
});

afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
});

async function freshDynamoStore(): Promise<CustomerStore & { contactItem(id: string): Promise<Record<string, unknown> | undefined> }> {
  const table = `customers-${++tables}`;
  await client.send(
    new CreateTableCommand({
      TableName: table,
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }],
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }, { AttributeName: 'sk', AttributeType: 'S' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  const store = dynamoCustomerStore(client, table);
  return Object.assign(store, {
    contactItem: async (id: string) => (await client.send(new GetCommand({ TableName: table, Key: { pk: `C#${id}`, sk: 'CONTACT' } }))).Item,
  });
}

const STORES: [string, () => Promise<CustomerStore>][] = [
  ['DynamoDB (dynalite)', freshDynamoStore],
  ['memory', async () => memoryCustomerStore()],
];

const contactOf = async (store: CustomerStore, id: string) => (await store.loadCustomer(id)).profile?.contact as StoredContact | undefined;

describe.each(STORES)('contacts merge field by field on the %s store', (_name, makeStore) => {
  it('keeps an opt-out and the names when a later file carries neither; an explicit opt-in in a later file undoes the opt-out', async () => {
    const store = await makeStore();
    await store.putContacts([{ customerId: 'c1', email: 'ada@example.com', firstName: 'Ada', lastName: 'Lovelace', consent: false }], T1, FILE1);
    await store.putContacts([{ customerId: 'c1', country: 'GB' }], T2, FILE2);
    expect(await contactOf(store, 'c1')).toMatchObject({
      email: 'ada@example.com', firstName: 'Ada', lastName: 'Lovelace', country: 'GB', consent: false,
      consentAt: T1.toISOString(), consentSource: FILE1.source,
    });
    await store.putContacts([{ customerId: 'c1', consent: true }], T3, FILE3);
    const optedIn = await contactOf(store, 'c1');
    expect(optedIn).toMatchObject({ consent: true, consentAt: T3.toISOString(), consentSource: FILE3.source, firstName: 'Ada' });
    expect(optedIn?.consentHistory?.map((h) => [h.consent, h.source])).toEqual([[false, FILE1.source], [true, FILE3.source]]);
  });

  it('writes nothing when the same file is applied again (a retry), even after a later file changed consent', async () => {
    const store = await makeStore();
    const file1 = [{ customerId: 'c1', email: 'ada@example.com', firstName: 'Ada', consent: false }];
    await store.putContacts(file1, T1, FILE1);
    await store.putContacts([{ customerId: 'c1', consent: true }], T2, FILE3);
    const before = await contactOf(store, 'c1');
    const item = 'contactItem' in store ? await (store as Awaited<ReturnType<typeof freshDynamoStore>>).contactItem('c1') : undefined;
    const writes = 'writes' in store ? (store as ReturnType<typeof memoryCustomerStore>).writes() : undefined;
    await store.putContacts(file1, T4, FILE1);
    expect(await contactOf(store, 'c1')).toEqual(before);
    if (item !== undefined) expect((await (store as Awaited<ReturnType<typeof freshDynamoStore>>).contactItem('c1'))?.updatedAt).toBe(item.updatedAt);
    if (writes !== undefined) expect((store as ReturnType<typeof memoryCustomerStore>).writes()).toBe(writes);
  });

  it('loses no field and no opt-out when two files write the same customers at once', async () => {
    const store = await makeStore();
    const ids = Array.from({ length: 60 }, (_, i) => `c${i}`);
    await store.putContacts(ids.map((customerId) => ({ customerId, email: `${customerId}@example.com` })), T1, FILE1);
    await Promise.all([
      store.putContacts(ids.map((customerId) => ({ customerId, firstName: `F${customerId}`, consent: false })), T2, FILE2),
      store.putContacts(ids.map((customerId) => ({ customerId, city: `City ${customerId}` })), T2, FILE3),
      store.putContacts(ids.map((customerId) => ({ customerId, lastName: `L${customerId}` })), T2, { source: 'incoming/customers/four.csv', revision: 'e4' }),
    ]);
    const contacts = await store.getContacts(ids);
    expect(contacts).toHaveLength(ids.length);
    for (const { customerId, contact } of contacts) {
      expect(contact).toMatchObject({ email: `${customerId}@example.com`, firstName: `F${customerId}`, city: `City ${customerId}`, lastName: `L${customerId}`, consent: false });
    }
  });

  it('merges two customers by the same rules: the canonical fields win, consent follows the latest change, an opt-out wins a tie', async () => {
    const store = await makeStore();
    await store.putContacts([{ customerId: 'keep', email: 'k@example.com', firstName: 'Kay', consent: true }], T1, FILE1);
    await store.putContacts([{ customerId: 'alias', email: 'a@example.com', firstName: 'Al', lastName: 'Ias', consent: false }], T2, FILE2);
    await store.putContacts([{ customerId: 'tie1', email: 't1@example.com', consent: false }], T3, FILE1);
    await store.putContacts([{ customerId: 'tie2', email: 't2@example.com', consent: true }], T3, FILE2);
    await store.mergeCustomer('alias', 'keep', 'same e-mail', T3);
    await store.mergeCustomer('tie1', 'tie2', 'same e-mail', T4);
    expect(await contactOf(store, 'keep')).toMatchObject({ email: 'k@example.com', firstName: 'Kay', lastName: 'Ias', consent: false, consentAt: T2.toISOString(), consentSource: FILE2.source });
    expect(await contactOf(store, 'tie2')).toMatchObject({ email: 't2@example.com', consent: false });
    expect((await contactOf(store, 'keep'))?.consentHistory).toHaveLength(2);
  });
});
