import { GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { batchGetAll, queryPartition } from './dynamo-batch.ts';
import { isConditionFailure } from './dynamo-errors.ts';
import type { FeedbackStore, StoredFeedback } from './ports/feedback.ts';

const GUARD_KEY = { pk: 'GUARD', sk: 'SENDING' } as const;
const sendingDayKey = (day: string) => ({ pk: 'METRICS#SENDING', sk: `DAY#${day}` });

export function dynamoFeedbackStore(client: DynamoDBDocumentClient, table: string): FeedbackStore {
  return {
    async findSentMessages(messageIds) {
      const items = await batchGetAll(client, table, [...new Set(messageIds)].map((id) => ({ pk: `MSG#${id}`, sk: 'MSG' })));
      return new Map(items.map((i) => [String(i.pk).slice('MSG#'.length), { customerId: String(i.customerId), campaign: String(i.campaign) }]));
    },
    async putFeedback(customerId, feedback) {
      try {
        await client.send(
          new PutCommand({
            TableName: table,
            Item: { pk: `C#${customerId}`, sk: `FB#${feedback.eventId}`, customerId, ...feedback },
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        );
        return true;
      } catch (error) {
        if (isConditionFailure(error)) return false;
        throw error;
      }
    },
    async listFeedback(customerId) {
      return (await queryPartition(client, table, `C#${customerId}`, 'FB#')) as unknown as StoredFeedback[];
    },
    async putEngagement(customerId, engagement, now) {
      await client.send(new PutCommand({ TableName: table, Item: { pk: `C#${customerId}`, sk: 'ENGAGEMENT', customerId, engagement, updatedAt: now.toISOString() } }));
    },
    async countSending(day, counter, amount) {
      await client.send(
        new UpdateCommand({
          TableName: table,
          Key: sendingDayKey(day),
          UpdateExpression: 'ADD #counter :amount SET #day = :day',
          ExpressionAttributeNames: { '#counter': counter, '#day': 'day' },
          ExpressionAttributeValues: { ':amount': amount, ':day': day },
        }),
      );
    },
    async dailySendingCounts(days) {
      if (days.length === 0) return [];
      // A day left unprocessed would read as a day without bounces: the guard must see them all.
      return (await batchGetAll(client, table, days.map(sendingDayKey))).map((i) => ({
        day: String(i.day),
        sends: Number(i.sends ?? 0),
        hardBounces: Number(i.hardBounces ?? 0),
        complaints: Number(i.complaints ?? 0),
      }));
    },
    async sendingGuard() {
      const { Item } = await client.send(new GetCommand({ TableName: table, Key: GUARD_KEY }));
      return Item === undefined ? undefined : { paused: Item.paused === true, reasons: (Item.reasons ?? []) as string[], at: String(Item.at) };
    },
    async sendingPaused() {
      return (await this.sendingGuard())?.paused === true;
    },
    async pauseSending(decision, now) {
      const { paused: _paused, reasons, ...figures } = decision;
      await client.send(new PutCommand({ TableName: table, Item: { ...GUARD_KEY, paused: true, reasons, figures, at: now.toISOString() } }));
    },
    async resumeSending(now) {
      await client.send(new PutCommand({ TableName: table, Item: { ...GUARD_KEY, paused: false, reasons: [], at: now.toISOString() } }));
    },
  };
}
