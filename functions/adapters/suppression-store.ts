import { PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { isConditionFailure } from './dynamo-errors.ts';

/**
 * Adding suppression entries, and nothing else: what the public unsubscribe endpoint may do. Its
 * role may only put items whose key starts SUPPRESS# (a dynamodb:LeadingKeys condition).
 */
export interface SuppressionWriter {
  /** SUPPRESS#<emailHash>: this address is never mailed again. */
  suppressAddress(emailHash: string, reason: 'unsubscribed', now: Date): Promise<void>;
  /** SUPPRESS#ID#<customerIdHash>: this customer is never mailed again, at any address. */
  suppressCustomer(customerIdHash: string, reason: 'unsubscribed', now: Date): Promise<void>;
}

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
