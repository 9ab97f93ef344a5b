import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalStack, type LocalStack } from '../../functions/local/local-stack.ts';
import { s3Client, dynamoDocumentClient } from '../../functions/adapters/aws-clients.ts';
import { s3ObjectStore } from '../../functions/adapters/object-store.ts';
import { dynamoCustomerStore } from '../../functions/adapters/customer-store.ts';
import { PROJECT_ROOT } from '../../lib/project-root.ts';
import { externalIdHash } from '../../functions/core/privacy.ts';

/** A file larger than the chunk size, uploaded to the embedded stack: the ingest function fans out to itself. */
// The first 1,500 orders of the CDNOW sample keep the test quick on the emulators.
const LINES = fs.readFileSync(path.join(PROJECT_ROOT, '..', 'shared', 'data', 'cdnow', 'cdnow_sample.csv'), 'utf-8').split('\n').slice(0, 1501);
const CDNOW = Buffer.from(LINES.join('\n') + '\n');
const CUSTOMERS = new Set(LINES.slice(1).map((line) => line.split(',')[1])).size;
const MAPPING = { kind: 'orders', columns: { customerId: 'sample_id', orderedAt: 'date', amount: 'dollar_value', quantity: 'number_of_cds' } };

describe('chunked ingest on the embedded stack', () => {
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-chunks-'));
  let stack: LocalStack;

  beforeAll(async () => {
    // Read by the ingest handler's configuration at its cold start, in this process.
    process.env.INGEST_CHUNK_BYTES = '12000';
    stack = await startLocalStack({ stateDir, asOf: '1998-07-01' });
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
    delete process.env.INGEST_CHUNK_BYTES;
    fs.rmSync(stateDir, { recursive: true, force: true });
  });

  it('splits the file into four chunks run through the same handler, and loads every order once', async () => {
    await stack.upload('incoming/orders/cdnow.mapping.json', JSON.stringify(MAPPING));
    await stack.upload('incoming/orders/cdnow.csv', CDNOW);
    await stack.settled();
    expect(stack.deadLetters).toEqual([]);
    const report = JSON.parse((await s3ObjectStore(s3Client(), stack.bucketName).readText('quarantine/orders/cdnow.csv.report.json')) ?? '{}') as Record<string, unknown>;
    expect(CDNOW.length).toBeGreaterThan(3 * 12_000);
    expect(report).toMatchObject({ status: 'applied', accepted: 1500, rejected: 0, customers: CUSTOMERS, chunks: 4 });
    const store = dynamoCustomerStore(dynamoDocumentClient(), stack.tableName);
    // In the sample, customer 1 has four orders and customer 4 one.
    expect((await store.loadCustomer('1')).orders).toHaveLength(4);
    expect((await store.loadCustomer('1')).profile?.orders?.orders).toBe(4);
    expect((await store.loadCustomer('4')).orders).toHaveLength(1);
  }, 240_000);

  it('merges a customers file\'s records sharing a loyalty number in DynamoDB, and forgetting the customer frees the number', async () => {
    await stack.upload('incoming/customers/loyalty.csv', 'customer_id,loyalty_id,first_name\n1,LY-7,Ann\n4, ly 7 ,\n');
    await stack.settled();
    const store = dynamoCustomerStore(dynamoDocumentClient(), stack.tableName);
    const ann = await store.loadCustomer('1');
    expect(ann.profile?.contact).toMatchObject({ externalId: 'ly7', firstName: 'Ann' });
    expect(ann.orders).toHaveLength(5);
    expect((await store.exportCustomer('1')).filter((i) => String(i.sk).startsWith('MERGE#'))).toMatchObject([{ aliasId: '4', reason: 'same external id' }]);
    expect((await store.resolveAliases(['4'])).get('4')).toBe('1');
    await store.forgetCustomer('1', new Date('1998-07-01T00:00:00Z'));
    expect(await store.externalIdOwners([externalIdHash('ly7')])).toEqual(new Map());
  }, 120_000);
});
