import { DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient, type ScanCommandInput } from '@aws-sdk/lib-dynamodb';
import { isConditionFailure } from './dynamo-errors.ts';
import { queryAll, scanPage as scanOnePage } from './dynamo-batch.ts';
import { runLockSchema, type RunLock } from '../core/run-lock.ts';

export type ScanKey = { readonly pk: string; readonly sk: string };

export interface ProfilePage {
  readonly items: Record<string, unknown>[];
  readonly lastKey: ScanKey | undefined;
}

const RUN_PK = 'RUN#resegment';
const LOCK_KEY = { pk: RUN_PK, sk: 'LOCK' } as const;

/** Outcome of trying to start a run. */
export type LockOutcome =
  | { readonly acquired: true; readonly tookOver?: { readonly lock: RunLock; readonly why: string } }
  | { readonly acquired: false; readonly reason: 'already-succeeded' }
  | { readonly acquired: false; readonly reason: 'another-run-holds-the-lock'; readonly holder: RunLock | undefined };

/**
 * The workflow's table access besides customer refreshes: parallel scans of PROFILE items, the run
 * lock and run records, transition recounts.
 */
export function resegmentStore(client: DynamoDBDocumentClient, table: string) {
  /** One page of parallel scan segment `segment`, narrowed by `narrowing` (a filter, a projection). */
  async function scanPage(segment: number, totalSegments: number, startKey: ScanKey | null, limit: number, narrowing: Partial<ScanCommandInput> = {}): Promise<ProfilePage> {
    const page = await scanOnePage(
      client,
      { ...narrowing, TableName: table, Limit: limit, ...(startKey === null ? {} : { ExclusiveStartKey: startKey }) },
      { segment, totalSegments },
    );
    const last = page.LastEvaluatedKey;
    return { items: page.Items ?? [], lastKey: last === undefined ? undefined : { pk: String(last.pk), sk: String(last.sk) } };
  }

  async function claim(runId: string, executionId: string, now: Date, leaseMs: number, when: { condition: string; values: Record<string, unknown> }): Promise<LockOutcome> {
    const { Item } = await client.send(new GetCommand({ TableName: table, Key: { pk: RUN_PK, sk: `R#${runId}` } }));
    if (Item?.status === 'succeeded') return { acquired: false, reason: 'already-succeeded' };
    try {
      await client.send(
        new PutCommand({
          TableName: table,
          Item: { ...LOCK_KEY, runId, executionId, acquiredAt: now.toISOString(), expiresAt: now.getTime() + leaseMs },
          ConditionExpression: when.condition,
          ExpressionAttributeValues: { ...when.values, ':me': executionId },
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      const held = await client.send(new GetCommand({ TableName: table, Key: LOCK_KEY, ConsistentRead: true }));
      return { acquired: false, reason: 'another-run-holds-the-lock', holder: held.Item === undefined ? undefined : runLockSchema.parse(held.Item) };
    }
    await client.send(new PutCommand({ TableName: table, Item: { pk: RUN_PK, sk: `R#${runId}`, runId, executionId, status: 'running', startedAt: now.toISOString() } }));
    return { acquired: true };
  }

  /**
   * A dead holder's run record says failed and why, unless it recorded its own end meanwhile or
   * it is the same run (a repeated scheduled tick), now running under the execution that took over.
   */
  async function markDeadRunFailed(dead: RunLock, now: Date, why: string): Promise<void> {
    try {
      await client.send(
        new UpdateCommand({
          TableName: table,
          Key: { pk: RUN_PK, sk: `R#${dead.runId}` },
          UpdateExpression: 'SET runId = :runId, executionId = :execution, #status = :failed, endedAt = :now, #error = :why',
          ConditionExpression: 'attribute_not_exists(pk) OR (#status = :running AND executionId = :execution)',
          ExpressionAttributeNames: { '#status': 'status', '#error': 'error' },
          ExpressionAttributeValues: { ':runId': dead.runId, ':execution': dead.executionId, ':failed': 'failed', ':running': 'running', ':now': now.toISOString(), ':why': why.slice(0, 2_000) },
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
  }

  return {
    /** One page of a parallel scan segment, PROFILE items only, with the given attributes. */
    scanProfiles(segment: number, totalSegments: number, startKey: ScanKey | null, limit: number, attributes: readonly string[]): Promise<ProfilePage> {
      const names = Object.fromEntries(attributes.map((a, i) => [`#a${i}`, a]));
      return scanPage(segment, totalSegments, startKey, limit, {
        FilterExpression: 'sk = :profile',
        ExpressionAttributeValues: { ':profile': 'PROFILE' },
        ProjectionExpression: Object.keys(names).join(', '),
        ExpressionAttributeNames: names,
      });
    },

    /** One page of a parallel scan segment, every item (a customer's partition arrives together, in key order). */
    scanItems(segment: number, totalSegments: number, startKey: ScanKey | null, limit: number): Promise<ProfilePage> {
      return scanPage(segment, totalSegments, startKey, limit);
    },

    /**
     * Claims the single run slot for `runId`. A run that already succeeded is not repeated; the
     * slot is free when nobody holds it, its holder's lease expired, or this execution holds it.
     * Refused, it says who holds the slot, so the caller can check whether that owner is alive.
     */
    async acquire(runId: string, executionId: string, now: Date, leaseMs: number): Promise<LockOutcome> {
      const before = await client.send(new GetCommand({ TableName: table, Key: LOCK_KEY, ConsistentRead: true }));
      const outcome = await claim(runId, executionId, now, leaseMs, { condition: 'attribute_not_exists(pk) OR expiresAt < :now OR executionId = :me', values: { ':now': now.getTime() } });
      const expired = before.Item === undefined ? undefined : runLockSchema.parse(before.Item);
      if (!outcome.acquired || expired === undefined || expired.executionId === executionId) return outcome;
      // Taken from a holder whose lease ran out: that run ended without releasing, so it did not succeed.
      const why = `its run lock's lease expired at ${new Date(expired.expiresAt).toISOString()} without a release`;
      await markDeadRunFailed(expired, now, why);
      return { acquired: true, tookOver: { lock: expired, why } };
    },

    /**
     * Claims the slot from a holder known to be dead (only if it still holds it), and records that
     * holder's run as failed with `why` instead of leaving it "running".
     */
    async takeOver(runId: string, executionId: string, now: Date, leaseMs: number, dead: RunLock, why: string): Promise<LockOutcome> {
      const outcome = await claim(runId, executionId, now, leaseMs, { condition: 'executionId = :dead OR executionId = :me', values: { ':dead': dead.executionId } });
      if (!outcome.acquired) return outcome;
      await markDeadRunFailed(dead, now, why);
      return { acquired: true, tookOver: { lock: dead, why } };
    },

    /** The lock, if a run holds it. */
    async lock(): Promise<RunLock | undefined> {
      const { Item } = await client.send(new GetCommand({ TableName: table, Key: LOCK_KEY, ConsistentRead: true }));
      return Item === undefined ? undefined : runLockSchema.parse(Item);
    },

    /** Frees the slot held by `holder` (if it still holds it) and records its run as failed with `why`. */
    async clearLock(holder: RunLock, now: Date, why: string): Promise<boolean> {
      try {
        await client.send(new DeleteCommand({ TableName: table, Key: LOCK_KEY, ConditionExpression: 'executionId = :holder', ExpressionAttributeValues: { ':holder': holder.executionId } }));
      } catch (error) {
        if (isConditionFailure(error)) return false;
        throw error;
      }
      await markDeadRunFailed(holder, now, why);
      return true;
    },

    /** Records how the run ended and frees the slot if this execution still holds it. */
    async release(runId: string, executionId: string, status: 'succeeded' | 'failed', now: Date, detail: Record<string, unknown>): Promise<void> {
      await client.send(
        new PutCommand({ TableName: table, Item: { pk: RUN_PK, sk: `R#${runId}`, runId, executionId, status, endedAt: now.toISOString(), ...detail } }),
      );
      try {
        await client.send(
          new DeleteCommand({
            TableName: table,
            Key: { pk: RUN_PK, sk: 'LOCK' },
            ConditionExpression: 'executionId = :me',
            ExpressionAttributeValues: { ':me': executionId },
          }),
        );
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
      }
    },

    /** The run record, if any. */
    async runRecord(runId: string): Promise<Record<string, unknown> | undefined> {
      const { Item } = await client.send(new GetCommand({ TableName: table, Key: { pk: RUN_PK, sk: `R#${runId}` } }));
      return Item;
    },

    /** The transitions a customer holds at evaluation time `at` (as stored). */
    async transitionsAt(customerId: string, at: string): Promise<{ segment: string; change: string }[]> {
      const items = await queryAll(client, {
        TableName: table,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': `C#${customerId}`, ':prefix': `T#${at}#` },
        ProjectionExpression: '#segment, #change',
        ExpressionAttributeNames: { '#segment': 'segment', '#change': 'change' },
      });
      return items.map((i) => ({ segment: String(i.segment), change: String(i.change) }));
    },
  };
}

export type ResegmentStore = ReturnType<typeof resegmentStore>;

/** Items in the table, as DynamoDB last counted them (refreshed about every six hours). */
export async function tableItemCount(client: DynamoDBClient, table: string): Promise<number> {
  const { Table } = await client.send(new DescribeTableCommand({ TableName: table }));
  return Table?.ItemCount ?? 0;
}

