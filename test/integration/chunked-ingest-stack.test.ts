import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalStack, type LocalStack } from '../../functions/local/local-stack.ts';
import { s3Client, dynamoDocumentClient } from '../../functions/adapters/aws-clients.ts';
import { s3ObjectStore } from '../../functions/adapters/object-store.ts';
import { dynamoCustomerStore } from '../../functions/adapters/customer-store.ts';
import { PROJECT_ROOT } from '../../lib/project-root.ts';

/** A file larger than the chunk size, uploaded to the embedded stack: the ingest function fans out to itself. */
const CDNOW = fs.readFileSync(path.join(PROJECT_ROOT, '..', 'shared', 'data', 'cdnow', 'cdnow_sample.csv'));
const MAPPING = { kind: 'orders', columns: { customerId: 'sample_id', orderedAt: 'date', amount: 'dollar_value', quantity: 'number_of_cds' } };

describe('chunked ingest on the embedded stack', () => {
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-chunks-'));
  let stack: LocalStack;

  beforeAll(async () => {
    // Read by the ingest handler's configuration at its cold start, in this process.
    process.env.INGEST_CHUNK_BYTES = '60000';
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
    expect(report).toMatchObject({ status: 'applied', accepted: 6919, rejected: 0, customers: 2357, chunks: 4 });
    const store = dynamoCustomerStore(dynamoDocumentClient(), stack.tableName);
    // In the sample, customer 1 has four orders and customer 4 one.
    expect((await store.loadCustomer('1')).orders).toHaveLength(4);
    expect((await store.loadCustomer('1')).profile?.orders?.orders).toBe(4);
    expect((await store.loadCustomer('4')).orders).toHaveLength(1);
  }, 240_000);
});
