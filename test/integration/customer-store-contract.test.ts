import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dynamoCustomerStore } from '../../functions/adapters/customer-store.ts';
import { memoryCustomerStore } from '../../functions/adapters/memory-stores.ts';
import type { CustomerStore, FileRecord } from '../../functions/adapters/ports/customers.ts';
import type { StoredContact } from '../../functions/core/contact-merge.ts';
import { customerIdHash, emailHash, externalIdHash } from '../../functions/core/privacy.ts';
import { aggregateOrders } from '../../functions/core/profile.ts';
import type { CustomerEvent, Order } from '../../functions/core/records.ts';
import type { Membership, Transition } from '../../functions/core/segments/assign.ts';
import type { PopulationStats } from '../../functions/core/segments/population.ts';
import { startDynaliteTables, type DynaliteTables } from './dynalite-table.ts';

/**
 * One contract for both customer stores: the DynamoDB adapter on dynalite and the in-memory one run
 * through the same cases, port by port, so the two cannot drift. DynamoDB is the truth.
 */
const FILE1 = { source: 'incoming/customers/one.csv', revision: 'e1' };
const FILE2 = { source: 'incoming/customers/two.csv', revision: 'e2' };
const FILE3 = { source: 'incoming/customers/three.csv', revision: 'e3' };
const T1 = new Date('2026-01-01T00:00:00.000Z');
const T2 = new Date('2026-02-01T00:00:00.000Z');
const T3 = new Date('2026-03-01T00:00:00.000Z');
const T4 = new Date('2026-04-01T00:00:00.000Z');

interface Subject {
  readonly store: CustomerStore;
  /** Changes whenever the CONTACT of this customer is written (its updatedAt, or the write count in memory). */
  contactWrites(customerId: string): Promise<unknown>;
}

let tables: DynaliteTables;
beforeAll(async () => {
  tables = await startDynaliteTables();
});
afterAll(async () => {
  await tables?.stop();
});

const STORES: [string, () => Promise<Subject>][] = [
  [
    'DynamoDB (dynalite)',
    async () => {
      const table = await tables.table('customers');
      return {
        store: dynamoCustomerStore(tables.client, table),
        contactWrites: async (id) => (await tables.client.send(new GetCommand({ TableName: table, Key: { pk: `C#${id}`, sk: 'CONTACT' } }))).Item?.updatedAt,
      };
    },
  ],
  [
    'memory',
    async () => {
      const store = memoryCustomerStore();
      return { store, contactWrites: async () => store.writes() };
    },
  ],
];

const order = (customerId: string, orderId: string, amount: number, orderedAt = '2026-01-05T10:00:00.000Z'): Order => ({ customerId, orderId, lineId: '1', orderedAt, amount, currency: 'EUR' });
const event = (customerId: string, eventId: string, type = 'email_open'): CustomerEvent => ({ customerId, eventId, type, occurredAt: '2026-01-06T10:00:00.000Z' });
const membership = (segment: string, since = T1.toISOString()): Membership => ({ segment, since, why: [{ field: 'orders.orders', op: 'gte', expected: 1, actual: 2 }] });
const transition = (customerId: string, segment: string, change: 'enter' | 'exit', at = T1.toISOString()): Transition => ({ customerId, segment, change, at, why: [] });
const file = (key: string, etag: string): FileRecord => ({ key, etag, status: 'applied', report: { accepted: 3, rejected: 0 }, appliedAt: T1.toISOString(), mappingVersion: 'v1' });
const population: PopulationStats = { fields: { 'orders.revenue': { count: 3, quantiles: [1, 2, 3] } } };

async function all<T>(pages: AsyncGenerator<T[]>): Promise<T[]> {
  const items: T[] = [];
  for await (const page of pages) items.push(...page);
  return items;
}

const byId = <T extends { customerId: string }>(items: readonly T[]) => [...items].sort((a, b) => a.customerId.localeCompare(b.customerId));

describe.each(STORES)('the customer store contract on the %s store', (_name, fresh) => {
  describe('files and chunks', () => {
    it('knows an applied file by key and ETag, and lists every applied version of a key', async () => {
      // Prepare
      const { store } = await fresh();

      // Act
      const before = await store.getFile('incoming/orders/a.csv', 'e1');
      await store.putFile(file('incoming/orders/a.csv', 'e1'));
      await store.putFile(file('incoming/orders/a.csv', 'e2'));
      await store.putFile(file('incoming/orders/ab.csv', 'e1'));

      // Assess
      expect(before).toBeUndefined();
      expect(await store.getFile('incoming/orders/a.csv', 'e1')).toEqual(file('incoming/orders/a.csv', 'e1'));
      expect(await store.getFile('incoming/orders/a.csv', 'e3')).toBeUndefined();
      expect((await store.fileVersions('incoming/orders/a.csv')).map((f) => f.etag).sort()).toEqual(['e1', 'e2']);
      expect(await store.fileVersions('incoming/orders/none.csv')).toEqual([]);
    });

    it('keeps the first state of a chunk and lists one phase of one upload in chunk order', async () => {
      // Prepare
      const { store } = await fresh();
      const key = 'incoming/orders/big.csv';

      // Act
      await store.putChunkState(key, 'e1', 'written', 12, { rows: 5 });
      await store.putChunkState(key, 'e1', 'written', 2, { rows: 7 });
      await store.putChunkState(key, 'e1', 'written', 2, { rows: 1 });
      await store.putChunkState(key, 'e1', 'refreshed', 0, { rows: 9 });
      await store.putChunkState(key, 'e2', 'written', 0, { rows: 3 });

      // Assess
      expect(await store.listChunkStates(key, 'e1', 'written')).toEqual([
        { rows: 7, chunk: 2, phase: 'written' },
        { rows: 5, chunk: 12, phase: 'written' },
      ]);
      expect(await store.listChunkStates(key, 'e1', 'refreshed')).toEqual([{ rows: 9, chunk: 0, phase: 'refreshed' }]);
      expect(await store.listChunkStates(key, 'e3', 'written')).toEqual([]);
    });
  });

  describe('ingest ledger', () => {
    it('counts an order line written twice (in one batch and again later) once, and so an event', async () => {
      // Prepare
      const { store } = await fresh();
      const first = order('c1', 'o1', 20);
      const second = order('c1', 'o2', 30, '2026-01-07T10:00:00.000Z');

      // Act
      await store.putOrders([first, first, second], 'incoming/orders/a.csv');
      await store.putOrders([first], 'incoming/orders/b.csv');
      await store.putEvents([event('c1', 'ev1'), event('c1', 'ev1')], 'incoming/events/a.jsonl');
      await store.putEvents([event('c1', 'ev1'), event('c1', 'ev2', 'review')], 'incoming/events/b.jsonl');
      const state = await store.loadCustomer('c1');

      // Assess
      expect([...state.orders].sort((a, b) => a.orderId.localeCompare(b.orderId))).toEqual([first, second]);
      expect([...state.events].sort((a, b) => a.eventId.localeCompare(b.eventId))).toEqual([event('c1', 'ev1'), event('c1', 'ev2', 'review')]);
      expect(aggregateOrders(state.orders)?.orders).toBe(2);
    });
  });

  describe('contacts merge field by field', () => {
    it('keeps an opt-out and the names when a later file carries neither; an explicit opt-in in a later file undoes the opt-out', async () => {
      const { store } = await fresh();
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
      const { store, contactWrites } = await fresh();
      const file1 = [{ customerId: 'c1', email: 'ada@example.com', firstName: 'Ada', consent: false }];
      await store.putContacts(file1, T1, FILE1);
      await store.putContacts([{ customerId: 'c1', consent: true }], T2, FILE3);
      const before = await contactOf(store, 'c1');
      const written = await contactWrites('c1');
      await store.putContacts(file1, T4, FILE1);
      expect(await contactOf(store, 'c1')).toEqual(before);
      expect(await contactWrites('c1')).toEqual(written);
    });

    it('loses no field and no opt-out when two files write the same customers at once', async () => {
      const { store } = await fresh();
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
      const { store } = await fresh();
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

  describe('profiles and memberships', () => {
    it('knows nothing of a customer never written', async () => {
      const { store } = await fresh();
      const state = await store.loadCustomer('nobody');
      expect(state.profile).toBeUndefined();
      expect([state.orders, state.events, state.memberships]).toEqual([[], [], []]);
      expect(await store.getContacts(['nobody'])).toEqual([]);
    });

    it('writes aggregates, entered and exited memberships with their transitions, and reads them back', async () => {
      // Prepare
      const { store } = await fresh();
      await store.putContacts([{ customerId: 'c1', email: 'c1@example.com' }], T1, FILE1);
      await store.putOrders([order('c1', 'o1', 20)], 'incoming/orders/a.csv');
      const aggregates = { orders: aggregateOrders([order('c1', 'o1', 20)]), events: undefined };

      // Act
      const written = await store.applyRefresh(
        [
          { customerId: 'c1', aggregates, changes: { enter: [membership('buyers'), membership('new')], exit: [], transitions: [transition('c1', 'buyers', 'enter'), transition('c1', 'new', 'enter')] } },
          { customerId: 'c2', aggregates: { orders: undefined, events: undefined } },
        ],
        T2,
      );
      const entered = await store.loadCustomer('c1');
      const exitWrites = await store.applyRefresh([{ customerId: 'c1', changes: { enter: [], exit: [membership('new')], transitions: [transition('c1', 'new', 'exit', T2.toISOString())] } }], T3);
      const exited = await store.loadCustomer('c1');

      // Assess
      expect(written).toBe(6);
      expect(exitWrites).toBe(2);
      expect(entered.profile).toEqual({ customerId: 'c1', contact: (await contactOf(store, 'c1')) as StoredContact, orders: aggregates.orders, updatedAt: T2.toISOString() });
      expect([...entered.memberships].sort((a, b) => a.segment.localeCompare(b.segment))).toEqual([membership('buyers'), membership('new')]);
      expect(exited.memberships).toEqual([membership('buyers')]);
      expect((await store.loadCustomer('c2')).profile).toEqual({ customerId: 'c2', updatedAt: T2.toISOString() });
    });

    it('reads back a customer\'s transitions oldest first, and no SES feedback where none was stored', async () => {
      // Prepare
      const { store } = await fresh();
      const entered = transition('c1', 'new', 'enter', T1.toISOString());
      const left = transition('c1', 'new', 'exit', T3.toISOString());
      const other = transition('c1', 'buyers', 'enter', T2.toISOString());

      // Act
      await store.applyRefresh([{ customerId: 'c1', changes: { enter: [membership('new')], exit: [], transitions: [entered] } }], T1);
      await store.applyRefresh([{ customerId: 'c1', changes: { enter: [], exit: [membership('new')], transitions: [left] } }], T3);
      await store.applyRefresh([{ customerId: 'c1', changes: { enter: [membership('buyers')], exit: [], transitions: [other] } }], T2);
      await store.applyRefresh([{ customerId: 'c2', changes: { enter: [membership('new')], exit: [], transitions: [transition('c2', 'new', 'enter')] } }], T1);
      const state = await store.loadCustomer('c1');

      // Assess
      expect(state.transitions).toEqual([entered, other, left]);
      expect(state.feedback).toEqual([]);
    });

    it('lists and counts the members of a segment through the segment index', async () => {
      // Prepare
      const { store } = await fresh();
      const ids = Array.from({ length: 30 }, (_, i) => `m${String(i).padStart(2, '0')}`);
      await store.applyRefresh(
        ids.map((customerId, i) => ({ customerId, changes: { enter: [membership(i % 3 === 0 ? 'vip' : 'regular')], exit: [], transitions: [] } })),
        T1,
      );

      // Act
      const vip = await all(store.listSegmentMembers('vip'));
      const counts = { vip: await store.countSegmentMembers('vip'), regular: await store.countSegmentMembers('regular'), none: await store.countSegmentMembers('none') };

      // Assess
      expect(vip.sort()).toEqual(ids.filter((_, i) => i % 3 === 0));
      expect(await all(store.listSegmentMembers('none'))).toEqual([]);
      expect(counts).toEqual({ vip: 10, regular: 20, none: 0 });
    });
  });

  describe('identity and privacy', () => {
    it('merges an alias into its canonical customer: ledgers, address and external id follow, the alias points to it', async () => {
      // Prepare
      const { store } = await fresh();
      await store.putContacts([{ customerId: 'keep', email: 'keep@example.com' }], T1, FILE1);
      await store.putContacts([{ customerId: 'alias', email: 'alias@example.com', externalId: 'X-1' }], T1, FILE1);
      await store.putOrders([order('alias', 'o1', 10)], 'incoming/orders/a.csv');
      await store.putOrders([order('keep', 'o2', 15)], 'incoming/orders/a.csv');
      await store.putEvents([event('alias', 'ev1')], 'incoming/events/a.jsonl');

      // Act
      await store.mergeCustomer('alias', 'keep', 'same external id', T2);
      const kept = await store.loadCustomer('keep');
      const alias = await store.loadCustomer('alias');

      // Assess
      expect(await store.resolveAliases(['alias', 'keep', 'other'])).toEqual(new Map([['alias', 'keep']]));
      expect(kept.orders.map((o) => [o.orderId, o.customerId]).sort()).toEqual([['o1', 'keep'], ['o2', 'keep']]);
      expect(kept.events.map((e) => [e.eventId, e.customerId])).toEqual([['ev1', 'keep']]);
      expect([alias.profile, alias.orders, alias.events]).toEqual([undefined, [], []]);
      expect(await store.findByEmail('alias@example.com')).toEqual(['keep']);
      expect(await store.emailOwners([emailHash('alias@example.com'), emailHash('keep@example.com')])).toEqual(
        new Map([[emailHash('alias@example.com'), 'keep'], [emailHash('keep@example.com'), 'keep']]),
      );
      expect(await store.externalIdOwners([externalIdHash('X-1')])).toEqual(new Map([[externalIdHash('X-1'), 'keep']]));
    });

    it('keeps the links of addresses and external ids a customer had, and a file that does not carry an address does not take its link back', async () => {
      // Prepare
      const { store } = await fresh();
      await store.putContacts([{ customerId: 'c1', email: 'shared@example.com', externalId: 'X-1' }], T1, FILE1);
      await store.putContacts([{ customerId: 'c1', externalId: 'X-2' }], T2, FILE2);
      await store.putContacts([{ customerId: 'c2', email: 'shared@example.com' }], T2, FILE2);

      // Act
      await store.putContacts([{ customerId: 'c1', country: 'GB' }], T3, FILE3);

      // Assess
      expect(await store.externalIdOwners([externalIdHash('X-1'), externalIdHash('X-2')])).toEqual(new Map([[externalIdHash('X-1'), 'c1'], [externalIdHash('X-2'), 'c1']]));
      expect(await store.findByEmail('shared@example.com')).toEqual(['c2']);
    });

    it('leaves an alias no transitions after a merge, and an erased customer none after forget', async () => {
      const { store } = await fresh();
      await store.putContacts([{ customerId: 'keep', email: 'keep@example.com', externalId: 'K-1' }, { customerId: 'alias', email: 'alias@example.com', externalId: 'A-1' }], T1, FILE1);
      await store.applyRefresh(['keep', 'alias'].map((id) => ({ customerId: id, changes: { enter: [membership('new')], exit: [], transitions: [transition(id, 'new', 'enter')] } })), T1);
      await store.mergeCustomer('alias', 'keep', 'same person', T2);
      expect((await store.loadCustomer('alias')).transitions ?? []).toEqual([]);
      expect(await store.externalIdOwners([externalIdHash('A-1'), externalIdHash('K-1')])).toEqual(new Map([[externalIdHash('A-1'), 'keep'], [externalIdHash('K-1'), 'keep']]));
      await store.forgetCustomer('keep', T3);
      expect((await store.loadCustomer('keep')).transitions ?? []).toEqual([]);
      expect(await store.externalIdOwners([externalIdHash('K-1')])).toEqual(new Map());
    });

    it('finds the owners of addresses and external ids, and nobody for unknown ones', async () => {
      const { store } = await fresh();
      await store.putContacts([{ customerId: 'c1', email: 'one@example.com', externalId: 'E-1' }, { customerId: 'c2', email: 'two@example.com' }], T1, FILE1);
      expect(await store.findByEmail('one@example.com')).toEqual(['c1']);
      expect(await store.findByEmail('nobody@example.com')).toEqual([]);
      expect(await store.emailOwners([emailHash('two@example.com'), emailHash('two@example.com'), emailHash('nobody@example.com')])).toEqual(new Map([[emailHash('two@example.com'), 'c2']]));
      expect(await store.externalIdOwners([externalIdHash('E-1'), externalIdHash('E-2')])).toEqual(new Map([[externalIdHash('E-1'), 'c1']]));
      expect(await store.emailOwners([])).toEqual(new Map());
    });

    it('forgets a customer and every id merged into it, and keeps only their suppression', async () => {
      // Prepare
      const { store } = await fresh();
      await store.putContacts([{ customerId: 'c1', email: 'old@example.com' }], T1, FILE1);
      await store.putContacts([{ customerId: 'c1', email: 'new@example.com' }], T2, FILE2);
      await store.putContacts([{ customerId: 'merged', email: 'merged@example.com' }], T1, FILE1);
      await store.putOrders([order('c1', 'o1', 10), order('merged', 'o2', 5)], 'incoming/orders/a.csv');
      await store.mergeCustomer('merged', 'c1', 'same person', T2);
      await store.putContacts([{ customerId: 'other', email: 'other@example.com' }], T1, FILE1);
      const exported = await store.exportCustomer('c1');

      // Act
      const erasure = await store.forgetCustomer('c1', T3);

      // Assess
      const hashes = ['old@example.com', 'new@example.com', 'merged@example.com'].map(emailHash);
      expect(exported.length).toBeGreaterThan(0);
      expect(erasure).toMatchObject({ customerId: 'c1', mergedIds: ['merged'] });
      expect(erasure.itemsDeleted).toBeGreaterThan(0);
      expect([...erasure.addressHashes].sort()).toEqual([...hashes].sort());
      expect(await store.exportCustomer('c1')).toEqual([]);
      expect((await store.loadCustomer('c1')).profile).toBeUndefined();
      expect(await store.erasedIds(['c1', 'merged', 'other'])).toEqual(new Set(['c1', 'merged']));
      expect(await store.suppressedHashes([...hashes, emailHash('other@example.com')])).toEqual(new Set(hashes));
      expect(await store.findByEmail('new@example.com')).toEqual([]);
      expect(await store.findByEmail('other@example.com')).toEqual(['other']);
      expect(await store.suppressions('c1')).toEqual([{ scope: 'id', hash: customerIdHash('c1'), reason: 'erased', at: T3.toISOString() }]);
    });

    it('suppresses addresses and ids, a later reason replacing an earlier one but never an erasure', async () => {
      // Prepare
      const { store } = await fresh();
      await store.putContacts([{ customerId: 'c1', email: 'before@example.com' }], T1, FILE1);
      await store.putContacts([{ customerId: 'c1', email: 'now@example.com' }], T2, FILE2);
      const [before, now, erased] = ['before@example.com', 'now@example.com', 'erased@example.com'].map(emailHash) as [string, string, string];

      // Act
      await store.suppress(before, 'unsubscribed', T1);
      await store.suppress(before, 'bounced', T2);
      await store.suppress(now, 'complained', T2);
      await store.suppress(erased, 'erased', T1);
      await store.suppress(erased, 'bounced', T2);
      await store.suppressCustomer('c1', 'unsubscribed', T3);
      await store.suppressCustomer('gone', 'erased', T1);
      await store.suppressCustomer('gone', 'unsubscribed', T2);

      // Assess
      expect(await store.suppressedHashes([before, now, erased, emailHash('nobody@example.com')])).toEqual(new Set([before, now, erased]));
      expect(await store.erasedIds(['c1', 'gone'])).toEqual(new Set(['gone']));
      const entries = await store.suppressions('c1');
      expect([...entries].sort((a, b) => `${a.scope}${a.hash}`.localeCompare(`${b.scope}${b.hash}`))).toEqual(
        [
          { scope: 'address', hash: before, reason: 'bounced', at: T2.toISOString(), current: false },
          { scope: 'address', hash: now, reason: 'complained', at: T2.toISOString(), current: true },
          { scope: 'id', hash: customerIdHash('c1'), reason: 'unsubscribed', at: T3.toISOString() },
        ].sort((a, b) => `${a.scope}${a.hash}`.localeCompare(`${b.scope}${b.hash}`)),
      );
      expect(await store.suppressions('gone')).toEqual([{ scope: 'id', hash: customerIdHash('gone'), reason: 'erased', at: T1.toISOString() }]);
    });
  });

  describe('population and snapshots', () => {
    it('stores the population statistics and one size snapshot per day, a day written again replaced', async () => {
      const { store } = await fresh();
      expect(await store.getPopulation()).toBeUndefined();
      await store.putPopulation(population, T1);
      await store.putSegmentSnapshot('2026-01-02', { vip: 3 });
      await store.putSegmentSnapshot('2026-01-01', { vip: 1, regular: 4 });
      await store.putSegmentSnapshot('2026-01-02', { vip: 5 });
      expect(await store.getPopulation()).toEqual(population);
      expect(await store.listSegmentSnapshots()).toEqual([
        { date: '2026-01-01', sizes: { vip: 1, regular: 4 } },
        { date: '2026-01-02', sizes: { vip: 5 } },
      ]);
    });

    it('scans every profile (id and aggregates, no contact), whole or in parallel parts that share none', async () => {
      // Prepare
      const { store } = await fresh();
      const ids = Array.from({ length: 40 }, (_, i) => `p${String(i).padStart(2, '0')}`);
      await store.putContacts(ids.map((customerId) => ({ customerId, email: `${customerId}@example.com` })), T1, FILE1);
      await store.putContacts([{ customerId: 'contact-only', email: 'contact-only@example.com' }], T1, FILE1);
      await store.applyRefresh(ids.map((customerId, i) => ({ customerId, aggregates: { orders: aggregateOrders([order(customerId, 'o1', i + 1)]), events: undefined } })), T2);

      // Act
      const whole = await all(store.scanProfiles());
      const parts = await Promise.all([0, 1, 2, 3].map((segment) => all(store.scanProfiles({ segment, totalSegments: 4 }))));

      // Assess
      expect(byId(whole)).toEqual(ids.map((customerId, i) => ({ customerId, orders: aggregateOrders([order(customerId, 'o1', i + 1)]), updatedAt: T2.toISOString() })));
      expect(parts.flat().map((p) => p.customerId).sort()).toEqual(ids);
      expect(byId(parts.flat())).toEqual(byId(whole));
    });
  });
});

async function contactOf(store: CustomerStore, id: string): Promise<StoredContact | undefined> {
  return (await store.loadCustomer(id)).profile?.contact;
}
