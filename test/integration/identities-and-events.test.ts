import { Readable } from 'node:stream';
import { Logger } from '@aws-lambda-powertools/logger';
import { describe, expect, it } from 'vitest';
import { memoryCustomerStore, memoryWriter } from '../../functions/adapters/memory-stores.ts';
import type { ObjectStore } from '../../functions/adapters/ports/objects.ts';
import { ingestObject } from '../../functions/ingest-pipeline/ingest-object.ts';
import { BUILTIN_SEGMENTS } from '../../functions/core/segments/builtin.ts';

const logger = new Logger({ serviceName: 'test', logLevel: 'SILENT' });
const NOW = new Date('2024-06-01T00:00:00Z');

function objects(files: Record<string, string>): ObjectStore {
  return {
    openStream: async (key) => Readable.from([Buffer.from(files[key] ?? '')]),
    readText: async () => undefined,
    put: async () => undefined,
    createWriter: () => memoryWriter(() => undefined),
    list: async () => [],
  };
}

describe('identity merge: one person, one profile', () => {
  it('merges customers sharing a normalized e-mail, moves their orders and records the merge', async () => {
    const store = memoryCustomerStore();
    const files = {
      'incoming/orders/o1.csv': 'customer_id,date,amount\n2,2024-01-01,10.00\n',
      'incoming/customers/c.csv': 'customer_id,email,first_name,country\n1,ada@example.com,Ada,\n2, ADA@Example.com ,,GB\n3,bob@example.com,Bob,US\n',
      'incoming/orders/o2.csv': 'customer_id,date,amount\n2,2024-02-01,20.00\n1,2024-03-01,5.00\n',
    };
    const deps = { objects: objects(files), store, logger, definitions: BUILTIN_SEGMENTS, now: NOW, maxRejectedShare: 0.2 };
    await ingestObject(deps, 'incoming/orders/o1.csv', 'e');
    const customers = await ingestObject(deps, 'incoming/customers/c.csv', 'e');
    await ingestObject(deps, 'incoming/orders/o2.csv', 'e');

    expect(customers).toMatchObject({ status: 'applied', report: { merges: [{ aliasId: '2', canonicalId: '1', reason: 'same e-mail' }] } });
    expect(store.merges()).toEqual([{ aliasId: '2', canonicalId: '1', reason: 'same e-mail' }]);
    const ada = await store.loadCustomer('1');
    expect(ada.profile?.contact).toEqual({ email: 'ada@example.com', firstName: 'Ada', country: 'GB' });
    expect(ada.profile?.orders).toMatchObject({ orders: 3, revenue: 35 });
    expect((await store.loadCustomer('2')).profile).toBeUndefined();
    expect((await store.loadCustomer('3')).profile?.contact?.firstName).toBe('Bob');
  });

  it('merges customers sharing a normalized external id, within a file and against stored customers, the id deciding over the e-mail', async () => {
    const store = memoryCustomerStore();
    const files = {
      'incoming/orders/o1.csv': 'customer_id,date,amount\n1,2024-01-01,10.00\n2,2024-01-02,20.00\n3,2024-01-03,30.00\n4,2024-01-04,40.00\n',
      // 2 carries 1's loyalty number written differently; 3 has no loyalty number and a new address.
      'incoming/customers/a.csv': 'customer_id,loyalty_id,email,first_name\n1,LY-0042,ada@example.com,Ada\n2, ly 0042 ,,\n3,,cy@example.com,Cy\n',
      // A later file: 9 holds the same card as 1, and 4 holds cy's address but 1's card: the card decides.
      'incoming/customers/b.csv': 'customer_id,loyalty_id,email\n9,LY.0042,\n4,ly_0042,cy@example.com\n',
    };
    const deps = { objects: objects(files), store, logger, definitions: BUILTIN_SEGMENTS, now: NOW, maxRejectedShare: 0.2 };
    await ingestObject(deps, 'incoming/orders/o1.csv', 'e');
    const first = await ingestObject(deps, 'incoming/customers/a.csv', 'e');
    const second = await ingestObject(deps, 'incoming/customers/b.csv', 'e');

    expect(first).toMatchObject({ status: 'applied', report: { merges: [{ aliasId: '2', canonicalId: '1', reason: 'same external id' }] } });
    expect(second).toMatchObject({
      status: 'applied',
      report: {
        merges: [
          { aliasId: '9', canonicalId: '1', reason: 'same external id' },
          { aliasId: '4', canonicalId: '1', reason: 'same external id' },
        ],
      },
    });
    expect(store.merges().map((m) => `${m.aliasId}->${m.canonicalId} (${m.reason})`)).toEqual([
      '2->1 (same external id)',
      '9->1 (same external id)',
      '4->1 (same external id)',
    ]);
    const ada = await store.loadCustomer('1');
    expect(ada.profile?.contact).toMatchObject({ externalId: 'ly0042', email: 'ada@example.com', firstName: 'Ada' });
    expect(ada.profile?.orders).toMatchObject({ orders: 3, revenue: 70 });
    expect((await store.loadCustomer('3')).profile?.orders).toMatchObject({ orders: 1, revenue: 30 });
    for (const alias of ['2', '4', '9']) expect((await store.loadCustomer(alias)).profile).toBeUndefined();
  });
});

describe('events', () => {
  it('ingests engagement events from JSONL and CSV into counts and last times per type, idempotently', async () => {
    const store = memoryCustomerStore();
    const files = {
      'incoming/events/opens.jsonl': [
        '{"customer_id":"1","type":"Email Open","timestamp":"2024-05-01T10:00:00Z","properties":{"campaign":"welcome"}}',
        '{"customer_id":"1","type":"email_open","timestamp":"2024-05-03T10:00:00Z"}',
        '{"customer_id":"1","type":"email_click","timestamp":"2024-05-03T10:01:00Z"}',
        '{"customer_id":"2","type":"email_open","timestamp":"2030-01-01T00:00:00Z"}',
        '{"customer_id":"2","type":"email_open","timestamp":"2024-05-02T00:00:00Z"}',
      ].join('\n'),
      'incoming/events/views.csv': 'customer_id,event,date,category\n1,product_view,2024-05-04,jazz\n',
    };
    const deps = { objects: objects(files), store, logger, definitions: BUILTIN_SEGMENTS, now: NOW, maxRejectedShare: 0.5 };
    const opens = await ingestObject(deps, 'incoming/events/opens.jsonl', 'e');
    await ingestObject(deps, 'incoming/events/views.csv', 'e');
    expect(opens).toMatchObject({ status: 'applied', report: { accepted: 4, rejected: 1, rejectedByReason: { 'event time in the future': 1 } } });

    const one = await store.loadCustomer('1');
    expect(one.profile?.events).toEqual({
      total: 4,
      countByType: { email_open: 2, email_click: 1, product_view: 1 },
      lastByType: { email_open: '2024-05-03T10:00:00.000Z', email_click: '2024-05-03T10:01:00.000Z', product_view: '2024-05-04T00:00:00.000Z' },
      firstAt: '2024-05-01T10:00:00.000Z',
      lastAt: '2024-05-04T00:00:00.000Z',
    });
    expect(one.events.find((e) => e.type === 'product_view')?.properties).toEqual({ category: 'jazz' });
    expect(one.events.find((e) => e.occurredAt === '2024-05-01T10:00:00.000Z')?.properties).toEqual({ campaign: 'welcome' });

    const writes = store.writes();
    await ingestObject(deps, 'incoming/events/opens.jsonl', 'e');
    expect(store.writes()).toBe(writes);
  });
});
