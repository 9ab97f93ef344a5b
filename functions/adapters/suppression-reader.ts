import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { customerIdHash } from '../core/privacy.ts';
import type { SuppressionEntry } from '../core/suppression.ts';
import { mapLimit } from '../core/collections.ts';
import { queryPartition } from './dynamo-batch.ts';

/** Reads keys in batches with the caller's retry policy (each store has one BatchGet helper). */
export type BatchGet = (keys: readonly Record<string, unknown>[]) => Promise<Record<string, unknown>[]>;

export interface SuppressionSubject {
  readonly customerId: string;
  /** emailHash of the address the customer holds now, if any. */
  readonly currentHash?: string | undefined;
}

/**
 * The suppression entries of each customer: those of every address they have had (ADDR#<hash>
 * items and the current one) and of their id and every id merged into them (MERGE#<id> items).
 * Two Queries per customer, then one BatchGet per 100 suppression keys.
 */
export async function readSuppressions(
  client: DynamoDBDocumentClient,
  table: string,
  batchGet: BatchGet,
  subjects: readonly SuppressionSubject[],
  concurrency = 16,
): Promise<Map<string, SuppressionEntry[]>> {
  const known = new Map<string, { hashes: Set<string>; idHashes: Set<string>; current: string | undefined }>();
  await mapLimit(subjects, concurrency, async ({ customerId, currentHash }) => {
    const [addresses, merges] = await Promise.all([
      queryPartition(client, table, `C#${customerId}`, 'ADDR#'),
      queryPartition(client, table, `C#${customerId}`, 'MERGE#'),
    ]);
    const hashes = new Set(addresses.map((i) => String(i.sk).slice('ADDR#'.length)));
    if (currentHash !== undefined) hashes.add(currentHash);
    const ids = [customerId, ...merges.map((i) => String(i.aliasId))];
    known.set(customerId, { hashes, idHashes: new Set(ids.map(customerIdHash)), current: currentHash });
  });
  const keys = new Map<string, Record<string, unknown>>();
  for (const { hashes, idHashes } of known.values()) {
    for (const h of hashes) keys.set(`SUPPRESS#${h}`, { pk: `SUPPRESS#${h}`, sk: 'SUPPRESS' });
    for (const h of idHashes) keys.set(`SUPPRESS#ID#${h}`, { pk: `SUPPRESS#ID#${h}`, sk: 'SUPPRESS' });
  }
  const found = new Map((await batchGet([...keys.values()])).map((i) => [String(i.pk), i]));
  const result = new Map<string, SuppressionEntry[]>();
  for (const [customerId, { hashes, idHashes, current }] of known) {
    const entries: SuppressionEntry[] = [];
    for (const hash of idHashes) {
      const item = found.get(`SUPPRESS#ID#${hash}`);
      if (item !== undefined) entries.push({ scope: 'id', hash, reason: String(item.reason), at: String(item.at) });
    }
    for (const hash of hashes) {
      const item = found.get(`SUPPRESS#${hash}`);
      if (item !== undefined) entries.push({ scope: 'address', hash, reason: String(item.reason), at: String(item.at), current: hash === current });
    }
    result.set(customerId, entries);
  }
  return result;
}
