import { BatchGetCommand, QueryCommand, type BatchGetCommandOutput, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { chunk } from '../core/collections.ts';
import { RetryableError } from '../core/errors.ts';

/** Calls a batch makes before its unprocessed remainder counts as throttling that a later retry must handle. */
export const BATCH_ATTEMPTS = 10;

/** Full-jitter exponential backoff between calls of a batch (DynamoDB's advice for unprocessed items). */
export function backoff(attempt: number): Promise<void> {
  const ceiling = Math.min(2_000, 25 * 2 ** attempt);
  return new Promise((resolve) => setTimeout(resolve, Math.random() * ceiling));
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
  { attempts = BATCH_ATTEMPTS, consistentRead = false }: { readonly attempts?: number; readonly consistentRead?: boolean } = {},
): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  for (const batch of chunk(keys, 100)) {
    let pending: Record<string, unknown>[] | undefined = batch;
    for (let attempt = 0; pending !== undefined && pending.length > 0; attempt++) {
      if (attempt >= attempts) {
        throw new RetryableError(`DynamoDB left ${pending.length} of ${batch.length} keys of table ${table} unprocessed after ${attempts} BatchGetItem calls`);
      }
      if (attempt > 0) await backoff(attempt);
      const response: BatchGetCommandOutput = await client.send(new BatchGetCommand({ RequestItems: { [table]: { Keys: pending, ...(consistentRead ? { ConsistentRead: true } : {}) } } }));
      items.push(...(response.Responses?.[table] ?? []));
      pending = response.UnprocessedKeys?.[table]?.Keys;
    }
  }
  return items;
}

/** Every item of a partition whose sort key starts with prefix ('' for all), page by page; consistent when asked. */
export async function queryPartition(
  client: DynamoDBDocumentClient,
  table: string,
  pk: string,
  prefix: string,
  consistentRead = false,
): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await client.send(
      new QueryCommand({
        TableName: table,
        KeyConditionExpression: prefix === '' ? 'pk = :pk' : 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: prefix === '' ? { ':pk': pk } : { ':pk': pk, ':prefix': prefix },
        ...(consistentRead ? { ConsistentRead: true } : {}),
        ExclusiveStartKey: startKey,
      }),
    );
    items.push(...(page.Items ?? []));
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return items;
}
