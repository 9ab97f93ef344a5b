import { dynamoDocumentClient } from '../../functions/adapters/aws-clients.ts';
import { scanCount } from '../../functions/adapters/dynamo-batch.ts';
import type { StackNames } from './target.ts';

/** Customers with a profile in the local table (a counting scan: fine locally, never in a Lambda). */
export async function countProfiles(stack: StackNames): Promise<number> {
  return scanCount(dynamoDocumentClient(), { TableName: stack.tableName, FilterExpression: 'sk = :profile', ExpressionAttributeValues: { ':profile': 'PROFILE' } });
}
