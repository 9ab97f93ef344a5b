import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalStack, type LocalStack } from '../../functions/local/local-stack.ts';
import { dynamoDocumentClient, s3Client } from '../../functions/adapters/aws-clients.ts';
import { dynamoCustomerStore } from '../../functions/adapters/customer-store.ts';
import { s3ObjectStore } from '../../functions/adapters/object-store.ts';

/**
 * A truncated .gz uploaded to the embedded stack: its stream error used to be unhandled and took
 * the whole process (a running `local up`) down. Now the file is refused with a report and the
 * stack goes on ingesting the next upload.
 */
const ROWS = 'customer_id,date,amount\n' + Array.from({ length: 3000 }, (_, i) => `G${i},1998-01-05,10.00`).join('\n') + '\n';

describe('a truncated .gz on the embedded stack', () => {
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-gzip-'));
  let stack: LocalStack;

  beforeAll(async () => {
    stack = await startLocalStack({ stateDir, asOf: '1998-07-01', logLevel: 'SILENT' });
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
    fs.rmSync(stateDir, { recursive: true, force: true });
  });

  it('is refused with a reason in quarantine, writes nothing, and the next upload is ingested', async () => {
    const objects = s3ObjectStore(s3Client(), stack.bucketName);
    const store = dynamoCustomerStore(dynamoDocumentClient(), stack.tableName);
    const gz = gzipSync(ROWS);
    await stack.upload('incoming/orders/cut.csv.gz', gz.subarray(0, Math.floor(gz.length / 2)));
    await stack.settled();
    const report = JSON.parse((await objects.readText('quarantine/orders/cut.csv.gz.report.json')) ?? '{}') as { error?: string };
    expect(report.error).toMatch(/not a readable gzip file/);
    expect(stack.deadLetters).toHaveLength(0);
    expect((await store.loadCustomer('G0')).profile).toBeUndefined();

    await stack.upload('incoming/orders/whole.csv.gz', gz);
    await stack.settled();
    expect((await store.loadCustomer('G2999')).profile?.orders?.revenue).toBe(10);
  }, 120_000);
});
