import { loadConfig, evaluationTime } from '../commons/config.ts';
import { createLogger, withObservability } from '../commons/observability.ts';
import { resegmentEveryone, type ResegmentSummary } from '../commons/resegment-everyone.ts';
import { loadSegmentDefinitions } from '../commons/segment-definitions.ts';
import { loadModelScorer } from '../commons/model-scorer.ts';
import { dynamoDocumentClient, s3Client } from '../adapters/aws-clients.ts';
import { dynamoCustomerStore } from '../adapters/customer-store.ts';
import { s3ObjectStore } from '../adapters/object-store.ts';

const config = loadConfig(process.env);
const logger = createLogger('resegment');

/**
 * Re-evaluates every profile at the evaluation time and writes only what changed. One process for
 * now; the planned workflow runs the same two passes in parallel scan segments.
 */
export const handler = withObservability(logger, async (): Promise<Omit<ResegmentSummary, 'population'>> => {
  const store = dynamoCustomerStore(dynamoDocumentClient(), config.tableName);
  const objects = s3ObjectStore(s3Client(), config.bucketName);
  const definitions = await loadSegmentDefinitions(objects);
  const scoreModel = await loadModelScorer(objects);
  const { population: _population, ...summary } = await resegmentEveryone(store, definitions, evaluationTime(config), scoreModel === undefined ? {} : { scoreModel });
  logger.info('re-segmentation done', { customers: summary.customers, writes: summary.writes });
  return summary;
});
