import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalStack, type LocalStack } from '../../functions/local/local-stack.ts';
import { dynamoDocumentClient, s3Client } from '../../functions/adapters/aws-clients.ts';
import { dynamoCustomerStore } from '../../functions/adapters/customer-store.ts';
import { s3ObjectStore } from '../../functions/adapters/object-store.ts';
import type { IngestOutcome } from '../../functions/ingest-pipeline/ingest-object.ts';

/**
 * A poison file: every attempt to ingest it fails with an error no retry fixes on its own (here,
 * DynamoDB refusing every request that touches its customers). Lambda's asynchronous invocation
 * retries it twice and then dead-letters the event (the DLQ's alarm is pinned by the stack's infra
 * test); the file's report in quarantine/ says it failed and why. Once the cause is gone, redriving
 * the dead-lettered event applies the file exactly once.
 */
const KEY = 'incoming/orders/poison.csv';
const BODY = 'customer_id,date,amount\nP1,1998-01-05,10.00\nP2,1998-02-06,20.50\nP1,1998-03-07,5.25\n';
const FAILURE = 'ServiceUnavailable: injected for the customers of the poison file';

describe('a poison file on the embedded stack', () => {
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-poison-'));
  let stack: LocalStack;

  beforeAll(async () => {
    // The handler's error lines are expected here; the assertions read the outcome, not the log.
    stack = await startLocalStack({ stateDir, asOf: '1998-07-01', logLevel: 'SILENT', dynamoDbFaults: true });
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
    fs.rmSync(stateDir, { recursive: true, force: true });
  });

  const report = async () =>
    JSON.parse((await s3ObjectStore(s3Client(), stack.bucketName).readText('quarantine/orders/poison.csv.report.json')) ?? '{}') as Record<string, unknown>;
  const store = () => dynamoCustomerStore(dynamoDocumentClient(), stack.tableName);

  it('is tried three times, then dead-lettered with its error and reported failed in quarantine, writing nothing', async () => {
    // The ingest function's calls for the poison file's customers fail, between it and DynamoDB.
    stack.interceptDynamoDb(async (call, forward) => {
      if (JSON.stringify(call.input).includes('C#P')) throw new Error(FAILURE);
      return forward(call.input);
    });
    try {
      await stack.upload(KEY, BODY);
      await stack.settled();
    } finally {
      stack.interceptDynamoDb(undefined);
    }

    const attempts = stack.invocations.filter((i) => JSON.stringify(i.event).includes('poison.csv'));
    expect(attempts.map((a) => [a.attempt, a.error])).toEqual([0, 1, 2].map((n) => [n, `Error: ${FAILURE}`]));
    expect(stack.deadLetters).toHaveLength(1);
    expect(stack.deadLetters[0]).toMatchObject({ error: `Error: ${FAILURE}` });
    expect(JSON.stringify(stack.deadLetters[0]?.event)).toContain('incoming/orders/poison.csv');

    expect(await report()).toMatchObject({ file: KEY, status: 'failed', error: `Error: ${FAILURE}` });
    for (const id of ['P1', 'P2']) {
      const { profile, orders, memberships } = await store().loadCustomer(id);
      expect({ profile, orders, memberships }).toEqual({ profile: undefined, orders: [], memberships: [] });
    }
  }, 120_000);

  it('applies exactly once when the dead-lettered event is redriven after the cause is fixed, and a second redrive changes nothing', async () => {
    const event = stack.deadLetters[0]?.event;
    expect(event).toBeDefined();
    const [first] = await stack.invoke<IngestOutcome[]>('functions/ingest-pipeline/handler.ts', event);
    expect(first).toMatchObject({ status: 'applied' });
    expect(await report()).toMatchObject({ status: 'applied', accepted: 3, rejected: 0 });
    const [again] = await stack.invoke<IngestOutcome[]>('functions/ingest-pipeline/handler.ts', event);
    expect(again?.status).toBe('already-applied');

    const p1 = await store().loadCustomer('P1');
    expect(p1.orders.map((o) => o.amount).sort((a, b) => a - b)).toEqual([5.25, 10]);
    expect(p1.profile?.orders).toMatchObject({ orders: 2, revenue: 15.25 });
    expect((await store().loadCustomer('P2')).orders.map((o) => o.amount)).toEqual([20.5]);
  }, 120_000);
});
