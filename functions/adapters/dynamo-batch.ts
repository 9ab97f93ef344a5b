import {
  BatchGetCommand,
  BatchWriteCommand,
  QueryCommand,
  ScanCommand,
  type BatchGetCommandOutput,
  type BatchWriteCommandOutput,
  type DynamoDBDocumentClient,
  type QueryCommandInput,
  type QueryCommandOutput,
  type ScanCommandInput,
  type ScanCommandOutput,
} from '@aws-sdk/lib-dynamodb';
import { chunk } from '../core/collections.ts';
import { RetryableError } from '../core/errors.ts';

/**
 * The DynamoDB toolkit every store uses: paging of Query and Scan, BatchGet and BatchWrite with
 * their unprocessed remainder retried under full-jitter backoff up to an attempt limit. The
 * conditional-failure predicate is in dynamo-errors.ts. Stores pass only their command inputs.
 */

/** Calls a batch makes before its unprocessed remainder counts as throttling that a later retry must handle. */
export const BATCH_ATTEMPTS = 10;

/** Full-jitter exponential backoff between calls of a batch (DynamoDB's advice for unprocessed items). */
export function backoff(attempt: number): Promise<void> {
  const ceiling = Math.min(2_000, 25 * 2 ** attempt);
  return new Promise((resolve) => setTimeout(resolve, Math.random() * ceiling));
}

/** How long a batch keeps calling for its unprocessed remainder. */
export interface BatchOptions {
  /** Calls per batch of keys or items before a RetryableError (BATCH_ATTEMPTS unless given). */
  readonly attempts?: number;
}

/**
 * Sends one batch and then its unprocessed remainder, with backoff, until nothing is left; what is
 * still unprocessed after `attempts` calls throws a RetryableError naming the table.
 */
async function untilProcessed<T>(
  table: string,
  batch: readonly T[],
  attempts: number,
  what: { readonly unit: string; readonly operation: string },
  call: (pending: readonly T[]) => Promise<readonly T[] | undefined>,
): Promise<void> {
  let pending: readonly T[] | undefined = batch;
  for (let attempt = 0; pending !== undefined && pending.length > 0; attempt++) {
    if (attempt >= attempts) {
      throw new RetryableError(`DynamoDB left ${pending.length} of ${batch.length} ${what.unit} of table ${table} unprocessed after ${attempts} ${what.operation} calls`);
    }
    if (attempt > 0) await backoff(attempt);
    pending = await call(pending);
  }
}

/**
 * Reads items by key, 100 per call, calling again with backoff for the keys DynamoDB left
 * unprocessed; a key still unprocessed after `attempts` calls throws a RetryableError rather than
 * coming back as a missing item.
 */
export async function batchGetAll(
  client: DynamoDBDocumentClient,
  table: string,
  keys: readonly Record<string, unknown>[],
  { attempts = BATCH_ATTEMPTS, consistentRead = false }: BatchOptions & { readonly consistentRead?: boolean } = {},
): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  for (const batch of chunk(keys, 100)) {
    await untilProcessed(table, batch, attempts, { unit: 'keys', operation: 'BatchGetItem' }, async (pending) => {
      const response: BatchGetCommandOutput = await client.send(
        new BatchGetCommand({ RequestItems: { [table]: { Keys: [...pending], ...(consistentRead ? { ConsistentRead: true } : {}) } } }),
      );
      items.push(...(response.Responses?.[table] ?? []));
      return response.UnprocessedKeys?.[table]?.Keys;
    });
  }
  return items;
}

/** Puts and deletes for batchWriteAll: whole items, and keys. */
export interface BatchWrites {
  readonly puts?: readonly Record<string, unknown>[];
  readonly deletes?: readonly Record<string, unknown>[];
}

type WriteRequest = { PutRequest: { Item: Record<string, unknown> } } | { DeleteRequest: { Key: Record<string, unknown> } };

/**
 * Writes puts, then deletes, 25 per call, calling again with backoff for the requests DynamoDB left
 * unprocessed; a request still unprocessed after `attempts` calls throws a RetryableError. A batch
 * must not hold two requests for one key (DynamoDB refuses it).
 */
export async function batchWriteAll(
  client: DynamoDBDocumentClient,
  table: string,
  { puts = [], deletes = [] }: BatchWrites,
  { attempts = BATCH_ATTEMPTS }: BatchOptions = {},
): Promise<void> {
  const requests: WriteRequest[] = [
    ...puts.map((Item) => ({ PutRequest: { Item } })),
    ...deletes.map((Key) => ({ DeleteRequest: { Key } })),
  ];
  for (const batch of chunk(requests, 25)) {
    await untilProcessed(table, batch, attempts, { unit: 'writes', operation: 'BatchWriteItem' }, async (pending) => {
      const response: BatchWriteCommandOutput = await client.send(new BatchWriteCommand({ RequestItems: { [table]: [...pending] } }));
      return response.UnprocessedItems?.[table] as WriteRequest[] | undefined;
    });
  }
}

/** The pages of a Query, from input.ExclusiveStartKey (if any) to the last. */
export async function* queryPages(client: DynamoDBDocumentClient, input: QueryCommandInput): AsyncGenerator<QueryCommandOutput> {
  let startKey = input.ExclusiveStartKey;
  do {
    const page = await client.send(new QueryCommand({ ...input, ExclusiveStartKey: startKey }));
    yield page;
    startKey = page.LastEvaluatedKey;
  } while (startKey);
}

/** Every item a Query returns, page by page. */
export async function queryAll(client: DynamoDBDocumentClient, input: QueryCommandInput): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  for await (const page of queryPages(client, input)) items.push(...(page.Items ?? []));
  return items;
}

/** How many items a Query matches (Select COUNT), page by page. */
export async function queryCount(client: DynamoDBDocumentClient, input: QueryCommandInput): Promise<number> {
  let count = 0;
  for await (const page of queryPages(client, { ...input, Select: 'COUNT' })) count += page.Count ?? 0;
  return count;
}

/** Every item of a partition whose sort key starts with prefix ('' for all), page by page; consistent when asked. */
export function queryPartition(
  client: DynamoDBDocumentClient,
  table: string,
  pk: string,
  prefix: string,
  consistentRead = false,
): Promise<Record<string, unknown>[]> {
  return queryAll(client, {
    TableName: table,
    KeyConditionExpression: prefix === '' ? 'pk = :pk' : 'pk = :pk AND begins_with(sk, :prefix)',
    ExpressionAttributeValues: prefix === '' ? { ':pk': pk } : { ':pk': pk, ':prefix': prefix },
    ...(consistentRead ? { ConsistentRead: true } : {}),
  });
}

/** One segment of a parallel scan: `segment` of `totalSegments`. */
export interface ScanPart {
  readonly segment: number;
  readonly totalSegments: number;
}

function scanInput(input: ScanCommandInput, part: ScanPart | undefined): ScanCommandInput {
  return part === undefined ? input : { ...input, Segment: part.segment, TotalSegments: part.totalSegments };
}

/** One page of a Scan (of one parallel segment when `part` is given), starting at input.ExclusiveStartKey. */
export function scanPage(client: DynamoDBDocumentClient, input: ScanCommandInput, part?: ScanPart): Promise<ScanCommandOutput> {
  return client.send(new ScanCommand(scanInput(input, part)));
}

/** The pages of a Scan (of one parallel segment when `part` is given), to the last. */
export async function* scanPages(client: DynamoDBDocumentClient, input: ScanCommandInput, part?: ScanPart): AsyncGenerator<ScanCommandOutput> {
  let startKey = input.ExclusiveStartKey;
  do {
    const page = await scanPage(client, { ...input, ExclusiveStartKey: startKey }, part);
    yield page;
    startKey = page.LastEvaluatedKey;
  } while (startKey);
}

/** How many items a Scan matches (Select COUNT), page by page. */
export async function scanCount(client: DynamoDBDocumentClient, input: ScanCommandInput, part?: ScanPart): Promise<number> {
  let count = 0;
  for await (const page of scanPages(client, { ...input, Select: 'COUNT' }, part)) count += page.Count ?? 0;
  return count;
}
