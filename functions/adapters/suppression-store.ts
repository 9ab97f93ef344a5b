import { PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { isConditionFailure } from './dynamo-errors.ts';

import type { SuppressionWriter } from './ports/suppression-writer.ts';

export function dynamoSuppressionWriter(client: DynamoDBDocumentClient, table: string): SuppressionWriter {
  // An erasure entry stays as it is: it also keeps ingest and feedback from recreating the customer.
  const put = async (pk: string, reason: string, now: Date) => {
    try {
      await client.send(
        new PutCommand({
          TableName: table,
          Item: { pk, sk: 'SUPPRESS', reason, at: now.toISOString() },
          ConditionExpression: 'attribute_not_exists(pk) OR #reason <> :erased',
          ExpressionAttributeNames: { '#reason': 'reason' },
          ExpressionAttributeValues: { ':erased': 'erased' },
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
  };
  return {
    suppressAddress: (hash, reason, now) => put(`SUPPRESS#${hash}`, reason, now),
    suppressCustomer: (hash, reason, now) => put(`SUPPRESS#ID#${hash}`, reason, now),
  };
}
