import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { batchGetAll } from '../../functions/adapters/dynamo-batch.ts';
import { dynamoFeedbackStore } from '../../functions/adapters/feedback-store.ts';
import { TABLE_KEYS } from '../../functions/adapters/table-schema.ts';
import { RetryableError } from '../../functions/core/errors.ts';
import { startEmulators, type Emulators } from '../../functions/local/emulators.ts';
import { LOCAL_CREDENTIALS } from '../../functions/local/local-stack.ts';

const TABLE = 'feedback-throttling';
const DAYS = ['1998-07-01', '1998-07-02', '1998-07-03', '1998-07-04', '1998-07-05', '1998-07-06', '1998-07-07'];

interface BatchGetArgs {
  readonly input: { readonly RequestItems: Record<string, { Keys: Record<string, unknown>[] }> };
}
interface BatchGetResult {
  readonly output: { readonly UnprocessedKeys?: Record<string, { Keys: Record<string, unknown>[] }> };
}

/**
 * DynamoDB under throttling, simulated on dynalite: while `throttledCalls` lasts, each BatchGetItem
 * reads only the first `keep` keys it is given and hands the rest back as UnprocessedKeys.
 */
function throttledClient(endpoint: string, throttle: { calls: number; keep: number; seen: number }): DynamoDBDocumentClient {
  const client = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: LOCAL_CREDENTIALS }));
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName !== 'BatchGetCommand' && context.commandName !== 'BatchGetItemCommand') return next(args);
      throttle.seen += 1;
      if (throttle.calls <= 0) return next(args);
      throttle.calls -= 1;
      const { input } = args as unknown as BatchGetArgs;
      const [table, { Keys }] = Object.entries(input.RequestItems)[0]!;
      const kept = Keys.slice(0, throttle.keep);
      // DynamoDB refuses an empty key list; a fully throttled call reads nothing and returns every key.
      if (kept.length === 0) return { response: {}, output: { Responses: { [table]: [] }, UnprocessedKeys: { [table]: { Keys } } } } as unknown as Awaited<ReturnType<typeof next>>;
      const result = (await next({ ...args, input: { ...input, RequestItems: { [table]: { Keys: kept } } } } as typeof args)) as unknown as BatchGetResult;
      const already = result.output.UnprocessedKeys?.[table]?.Keys ?? [];
      return { ...result, output: { ...result.output, UnprocessedKeys: { [table]: { Keys: [...already, ...Keys.slice(throttle.keep)] } } } } as unknown as Awaited<ReturnType<typeof next>>;
    },
    { step: 'initialize', name: 'throttle-batch-get' },
  );
  return client;
}

describe('the sending guard\'s reads under throttling (dynalite)', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-feedback-store-'));
  let emulators: Emulators;
  const throttle = { calls: 0, keep: 1, seen: 0 };
  let client: DynamoDBDocumentClient;

  beforeAll(async () => {
    emulators = await startEmulators(dir);
    client = throttledClient(emulators.dynamodb, throttle);
    await client.send(
      new CreateTableCommand({
        TableName: TABLE,
        KeySchema: [{ AttributeName: TABLE_KEYS.partitionKey, KeyType: 'HASH' }, { AttributeName: TABLE_KEYS.sortKey, KeyType: 'RANGE' }],
        AttributeDefinitions: [{ AttributeName: TABLE_KEYS.partitionKey, AttributeType: 'S' }, { AttributeName: TABLE_KEYS.sortKey, AttributeType: 'S' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    const store = dynamoFeedbackStore(client, TABLE);
    for (const [i, day] of DAYS.entries()) {
      await store.countSending(day, 'sends', 1_000);
      await store.countSending(day, 'hardBounces', i * 10);
      await store.countSending(day, 'complaints', i);
    }
    for (let i = 0; i < 5; i++) await client.send(new PutCommand({ TableName: TABLE, Item: { pk: `MSG#m${i}`, sk: 'MSG', customerId: `c${i}`, campaign: 'win-back' } }));
  });
  afterAll(async () => {
    await emulators?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    throttle.calls = 0;
    throttle.keep = 1;
    throttle.seen = 0;
  });

  it('counts every day of the window when DynamoDB leaves keys unprocessed', async () => {
    // Prepare
    throttle.calls = 3;

    // Act
    const counts = await dynamoFeedbackStore(client, TABLE).dailySendingCounts(DAYS);

    // Assess
    expect(counts.map((c) => c.day).sort()).toEqual(DAYS);
    expect(counts.reduce((n, c) => n + c.hardBounces, 0)).toBe(DAYS.reduce((n, _d, i) => n + i * 10, 0));
    expect(counts.reduce((n, c) => n + c.complaints, 0)).toBe(DAYS.reduce((n, _d, i) => n + i, 0));
    expect(counts.reduce((n, c) => n + c.sends, 0)).toBe(DAYS.length * 1_000);
    // Three throttled calls read a day each; the fourth reads the four left.
    expect(throttle.seen).toBe(4);
  });

  it('finds every sent message when DynamoDB leaves keys unprocessed', async () => {
    throttle.calls = 2;
    const found = await dynamoFeedbackStore(client, TABLE).findSentMessages(['m0', 'm1', 'm2', 'm3', 'm4', 'unknown']);
    expect([...found.keys()].sort()).toEqual(['m0', 'm1', 'm2', 'm3', 'm4']);
  });

  it('stops looking up sent messages under endless throttling, with a RetryableError, instead of looping', async () => {
    throttle.calls = 1_000;
    throttle.keep = 0;
    await expect(dynamoFeedbackStore(client, TABLE).findSentMessages(['m0', 'm1', 'm2'])).rejects.toThrow(RetryableError);
    expect(throttle.seen).toBe(10);
  }, 20_000);

  it('gives up with a RetryableError naming the table once the attempts are spent', async () => {
    throttle.calls = 1_000;
    const read = batchGetAll(client, TABLE, DAYS.map((day) => ({ pk: 'METRICS#SENDING', sk: `DAY#${day}` })), { attempts: 3 });
    await expect(read).rejects.toThrow(RetryableError);
    await expect(read).rejects.toThrow(`DynamoDB left 4 of 7 keys of table ${TABLE} unprocessed after 3 BatchGetItem calls`);
    expect(throttle.seen).toBe(3);
  });
});
