import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { batchGetAll, batchWriteAll, queryAll, queryCount, queryPages, queryPartition, scanCount, scanPages } from '../../functions/adapters/dynamo-batch.ts';
import { isConditionFailure } from '../../functions/adapters/dynamo-errors.ts';
import { RetryableError } from '../../functions/core/errors.ts';
import { startDynaliteTables, type DynaliteTables } from './dynalite-table.ts';

interface WriteArgs {
  readonly input: { readonly RequestItems: Record<string, unknown[]> };
}
interface WriteResult {
  readonly output: { readonly UnprocessedItems?: Record<string, unknown[]> };
}

/**
 * A client under throttling, simulated on dynalite: while `throttle.calls` lasts, each
 * BatchWriteItem writes only its first `keep` requests and hands the rest back as UnprocessedItems.
 */
function throttledWrites(tables: DynaliteTables, throttle: { calls: number; keep: number; seen: number }): DynamoDBDocumentClient {
  const client = tables.newClient();
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName !== 'BatchWriteCommand' && context.commandName !== 'BatchWriteItemCommand') return next(args);
      throttle.seen += 1;
      if (throttle.calls <= 0) return next(args);
      throttle.calls -= 1;
      const { input } = args as unknown as WriteArgs;
      const [table, requests] = Object.entries(input.RequestItems)[0]!;
      const kept = requests.slice(0, throttle.keep);
      const left = requests.slice(throttle.keep);
      // DynamoDB refuses an empty request list; a fully throttled call writes nothing and returns every request.
      if (kept.length === 0) return { response: {}, output: { UnprocessedItems: { [table]: left } } } as unknown as Awaited<ReturnType<typeof next>>;
      const result = (await next({ ...args, input: { ...input, RequestItems: { [table]: kept } } } as typeof args)) as unknown as WriteResult;
      const already = result.output.UnprocessedItems?.[table] ?? [];
      return { ...result, output: { ...result.output, UnprocessedItems: { [table]: [...already, ...left] } } } as unknown as Awaited<ReturnType<typeof next>>;
    },
    { step: 'initialize', name: 'throttle-batch-write' },
  );
  return client;
}

describe('the DynamoDB toolkit (dynalite)', () => {
  let tables: DynaliteTables;
  beforeAll(async () => {
    tables = await startDynaliteTables();
  });
  afterAll(async () => {
    await tables?.stop();
  });

  it('writes puts and deletes in batches of 25 and reads them back by key in batches of 100', async () => {
    // Prepare
    const table = await tables.table('toolkit');
    const items = Array.from({ length: 260 }, (_, i) => ({ pk: `P#${i % 3}`, sk: `S#${String(i).padStart(4, '0')}`, n: i }));

    // Act
    await batchWriteAll(tables.client, table, { puts: items });
    await batchWriteAll(tables.client, table, { deletes: items.filter((i) => i.n % 2 === 1).map(({ pk, sk }) => ({ pk, sk })) });
    const read = await batchGetAll(tables.client, table, items.map(({ pk, sk }) => ({ pk, sk })));

    // Assess
    expect(read.map((i) => i.n).sort((a, b) => Number(a) - Number(b))).toEqual(items.filter((i) => i.n % 2 === 0).map((i) => i.n));
  });

  it('reads every page of a Query and of a Scan, and of each parallel scan segment', async () => {
    // Prepare: pages of 7 items through Limit, so several pages per read.
    const table = await tables.table('toolkit');
    const items = Array.from({ length: 50 }, (_, i) => ({ pk: `P#${i % 2}`, sk: `${i % 5 === 0 ? 'A' : 'B'}#${String(i).padStart(3, '0')}`, n: i }));
    await batchWriteAll(tables.client, table, { puts: items });
    const even = { TableName: table, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': 'P#0' }, Limit: 7 };

    // Act
    let queryPageCount = 0;
    for await (const _page of queryPages(tables.client, even)) queryPageCount += 1;
    const all = await queryAll(tables.client, even);
    const counted = await queryCount(tables.client, even);
    const prefixed = await queryPartition(tables.client, table, 'P#0', 'A#');
    const scanned: number[] = [];
    for await (const page of scanPages(tables.client, { TableName: table, Limit: 7 })) scanned.push(...(page.Items ?? []).map((i) => Number(i.n)));
    const parts: number[][] = [];
    for (let segment = 0; segment < 3; segment++) {
      const part: number[] = [];
      for await (const page of scanPages(tables.client, { TableName: table, Limit: 7 }, { segment, totalSegments: 3 })) part.push(...(page.Items ?? []).map((i) => Number(i.n)));
      parts.push(part);
    }
    const filteredCount = await scanCount(tables.client, { TableName: table, FilterExpression: 'begins_with(sk, :a)', ExpressionAttributeValues: { ':a': 'A#' }, Limit: 7 });

    // Assess
    expect(queryPageCount).toBeGreaterThan(3);
    expect(all.map((i) => i.n).sort((a, b) => Number(a) - Number(b))).toEqual(items.filter((i) => i.n % 2 === 0).map((i) => i.n));
    expect(counted).toBe(25);
    expect(prefixed.map((i) => i.n)).toEqual([0, 10, 20, 30, 40]);
    expect(scanned.sort((a, b) => a - b)).toEqual(items.map((i) => i.n));
    expect(parts.flat().sort((a, b) => a - b)).toEqual(items.map((i) => i.n));
    expect(filteredCount).toBe(10);
  });

  it('writes again what DynamoDB left unprocessed, and gives up with a RetryableError naming the table once the attempts are spent', async () => {
    // Prepare
    const table = await tables.table('toolkit');
    const throttle = { calls: 3, keep: 4, seen: 0 };
    const client = throttledWrites(tables, throttle);
    const items = Array.from({ length: 20 }, (_, i) => ({ pk: 'P', sk: `S#${String(i).padStart(2, '0')}` }));

    // Act
    await batchWriteAll(client, table, { puts: items });
    const written = throttle.seen;
    throttle.calls = 1_000;
    throttle.keep = 0;
    throttle.seen = 0;
    const endless = batchWriteAll(client, table, { puts: [{ pk: 'Q', sk: 'A' }, { pk: 'Q', sk: 'B' }] }, { attempts: 3 });

    // Assess: three throttled calls wrote four items each, the fourth call the eight left.
    expect(written).toBe(4);
    expect(await queryPartition(tables.client, table, 'P', '')).toHaveLength(20);
    await expect(endless).rejects.toThrow(RetryableError);
    await expect(endless).rejects.toThrow(`DynamoDB left 2 of 2 writes of table ${table} unprocessed after 3 BatchWriteItem calls`);
    expect(throttle.seen).toBe(3);
  });

  it('recognizes a refused ConditionExpression, and only that', async () => {
    // Prepare
    const table = await tables.table('toolkit');
    const put = () => tables.client.send(new PutCommand({ TableName: table, Item: { pk: 'P', sk: 'S' }, ConditionExpression: 'attribute_not_exists(pk)' }));
    await put();

    // Act
    const refused = await put().then(() => undefined, (error: unknown) => error);
    const other = await tables.client.send(new PutCommand({ TableName: `${table}-missing`, Item: { pk: 'P', sk: 'S' } })).then(() => undefined, (error: unknown) => error);

    // Assess
    expect(isConditionFailure(refused)).toBe(true);
    expect(isConditionFailure(other)).toBe(false);
    expect(isConditionFailure(undefined)).toBe(false);
  });
});
