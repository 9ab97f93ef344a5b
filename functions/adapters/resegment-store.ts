import { DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, GetCommand, PutCommand, QueryCommand, ScanCommand, type DynamoDBDocumentClient, type ScanCommandInput } from '@aws-sdk/lib-dynamodb';
import { isConditionFailure } from './dynamo-errors.ts';

export type ScanKey = { readonly pk: string; readonly sk: string };

export interface ProfilePage {
  readonly items: Record<string, unknown>[];
  readonly lastKey: ScanKey | undefined;
}

const RUN_PK = 'RUN#resegment';

/** Outcome of trying to start a run. */
export type LockOutcome = { readonly acquired: true } | { readonly acquired: false; readonly reason: 'already-succeeded' | 'another-run-holds-the-lock' };

/**
 * The workflow's table access besides customer refreshes: parallel scans of PROFILE items, the run
 * lock and run records, transition recounts.
 */
export function resegmentStore(client: DynamoDBDocumentClient, table: string) {
  /** One page of parallel scan segment `segment`, narrowed by `narrowing` (a filter, a projection). */
  async function scanPage(segment: number, totalSegments: number, startKey: ScanKey | null, limit: number, narrowing: Partial<ScanCommandInput> = {}): Promise<ProfilePage> {
    const page = await client.send(
      new ScanCommand({
        ...narrowing,
        TableName: table,
        Segment: segment,
        TotalSegments: totalSegments,
        Limit: limit,
        ...(startKey === null ? {} : { ExclusiveStartKey: startKey }),
      }),
    );
    const last = page.LastEvaluatedKey;
    return { items: page.Items ?? [], lastKey: last === undefined ? undefined : { pk: String(last.pk), sk: String(last.sk) } };
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
     */
    async acquire(runId: string, executionId: string, now: Date, leaseMs: number): Promise<LockOutcome> {
      const { Item } = await client.send(new GetCommand({ TableName: table, Key: { pk: RUN_PK, sk: `R#${runId}` } }));
      if (Item?.status === 'succeeded') return { acquired: false, reason: 'already-succeeded' };
      try {
        await client.send(
          new PutCommand({
            TableName: table,
            Item: { pk: RUN_PK, sk: 'LOCK', runId, executionId, acquiredAt: now.toISOString(), expiresAt: now.getTime() + leaseMs },
            ConditionExpression: 'attribute_not_exists(pk) OR expiresAt < :now OR executionId = :me',
            ExpressionAttributeValues: { ':now': now.getTime(), ':me': executionId },
          }),
        );
      } catch (error) {
        if (isConditionFailure(error)) return { acquired: false, reason: 'another-run-holds-the-lock' };
        throw error;
      }
      await client.send(new PutCommand({ TableName: table, Item: { pk: RUN_PK, sk: `R#${runId}`, runId, executionId, status: 'running', startedAt: now.toISOString() } }));
      return { acquired: true };
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
      const page = await client.send(
        new QueryCommand({
          TableName: table,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
          ExpressionAttributeValues: { ':pk': `C#${customerId}`, ':prefix': `T#${at}#` },
          ProjectionExpression: '#segment, #change',
          ExpressionAttributeNames: { '#segment': 'segment', '#change': 'change' },
        }),
      );
      return (page.Items ?? []).map((i) => ({ segment: String(i.segment), change: String(i.change) }));
    },
  };
}

export type ResegmentStore = ReturnType<typeof resegmentStore>;

/** Items in the table, as DynamoDB last counted them (refreshed about every six hours). */
export async function tableItemCount(client: DynamoDBClient, table: string): Promise<number> {
  const { Table } = await client.send(new DescribeTableCommand({ TableName: table }));
  return Table?.ItemCount ?? 0;
}

