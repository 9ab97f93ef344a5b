import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { loadConfig, evaluationTime } from '../commons/config.ts';
import { createLogger, withObservability } from '../commons/observability.ts';
import { refreshCustomers, type RefreshSummary } from '../commons/refresh-customers.ts';
import { dynamoDocumentClient } from '../adapters/aws-clients.ts';
import { dynamoCustomerStore } from '../adapters/customer-store.ts';
import { BUILTIN_SEGMENTS } from '../core/segments/builtin.ts';

const config = loadConfig(process.env);
const logger = createLogger('resegment');

/**
 * Re-evaluates every profile at the evaluation time and writes only what changed. Minimal for
 * now: one sequential scan; the planned workflow splits it into parallel scan segments.
 */
export const handler = withObservability(logger, async (): Promise<RefreshSummary> => {
  const client = dynamoDocumentClient();
  const store = dynamoCustomerStore(client, config.tableName);
  const now = evaluationTime(config);
  const ids: string[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await client.send(
      new ScanCommand({
        TableName: config.tableName,
        FilterExpression: 'sk = :profile',
        ExpressionAttributeValues: { ':profile': 'PROFILE' },
        ProjectionExpression: 'customerId',
        ExclusiveStartKey: startKey,
      }),
    );
    ids.push(...(page.Items ?? []).map((i) => String(i.customerId)));
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  const summary = await refreshCustomers(store, ids, BUILTIN_SEGMENTS, now);
  logger.info('re-segmentation done', { customers: summary.customers, writes: summary.writes });
  return summary;
});
