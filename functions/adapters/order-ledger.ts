import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Purchase } from '../core/models/prepare.ts';
import { scanPages } from './dynamo-batch.ts';

/**
 * Every order line of the ledger (items whose sort key starts with O#), page by page, with only
 * the attributes the models read: a filtered Scan with a projection, never whole items.
 */
export async function* scanPurchases(client: DynamoDBDocumentClient, table: string): AsyncGenerator<Purchase[]> {
  const orderLines = {
    TableName: table,
    FilterExpression: 'begins_with(sk, :order)',
    ExpressionAttributeValues: { ':order': 'O#' },
    ProjectionExpression: 'customerId, orderedAt, amount, cancelled',
  };
  for await (const page of scanPages(client, orderLines)) {
    yield (page.Items ?? []).map((item) => ({
      customerId: String(item.customerId),
      orderedAt: String(item.orderedAt),
      amount: Number(item.amount),
      ...(item.cancelled === true ? { cancelled: true } : {}),
    }));
  }
}
