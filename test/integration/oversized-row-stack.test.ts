import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalStack, type LocalStack } from '../../functions/local/local-stack.ts';
import { dynamoDocumentClient, s3Client } from '../../functions/adapters/aws-clients.ts';
import { dynamoCustomerStore } from '../../functions/adapters/customer-store.ts';
import { s3ObjectStore } from '../../functions/adapters/object-store.ts';

/**
 * One row of 400 KB-1 MB among ordinary ones, on the embedded stack: DynamoDB refuses an item over
 * 400 KB, so without a check before writing the file failed after its first 25 ledger items were
 * written (orders without a profile). The row is quarantined instead and the file applied without it.
 */
const KEY = 'incoming/orders/one-huge-row.csv';
const ROWS = Array.from({ length: 60 }, (_, i) => `H${i},1998-0${1 + (i % 6)}-1${i % 10},${i + 1}.00,${i === 40 ? 'x'.repeat(700 * 1024) : 'jazz'}`);
const BODY = `customer_id,date,amount,category\n${ROWS.join('\n')}\n`;

describe('a row too large for one DynamoDB item, on the embedded stack', () => {
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-huge-row-'));
  let stack: LocalStack;

  beforeAll(async () => {
    stack = await startLocalStack({ stateDir, asOf: '1998-07-01', logLevel: 'SILENT' });
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
    fs.rmSync(stateDir, { recursive: true, force: true });
  });

  it('is quarantined with its reason and the rest of the file is applied, every customer with a profile', async () => {
    await stack.upload(KEY, BODY);
    await stack.settled();
    expect(stack.deadLetters).toEqual([]);
    const objects = s3ObjectStore(s3Client(), stack.bucketName);
    const report = JSON.parse((await objects.readText('quarantine/orders/one-huge-row.csv.report.json')) ?? '{}') as Record<string, unknown>;
    expect(report).toMatchObject({ status: 'applied', accepted: 59, rejected: 1, rejectedByReason: { 'row too large for one item': 1 } });
    const rejected = (await objects.readText('quarantine/orders/one-huge-row.csv.rejected.csv')) ?? '';
    expect(rejected.startsWith('line,reason,customer_id,date,amount,category\n42,row too large for one item,H40,')).toBe(true);

    const store = dynamoCustomerStore(dynamoDocumentClient(), stack.tableName);
    for (let i = 0; i < 60; i++) {
      const { profile, orders } = await store.loadCustomer(`H${i}`);
      if (i === 40) expect({ profile, orders }).toEqual({ profile: undefined, orders: [] });
      else expect(profile?.orders, `H${i}`).toMatchObject({ orders: 1, revenue: i + 1 });
    }
  }, 120_000);
});
