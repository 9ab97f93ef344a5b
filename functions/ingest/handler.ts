import type { S3Event } from 'aws-lambda';
import { loadConfig, evaluationTime } from '../commons/config.ts';
import { createLogger, withObservability } from '../commons/observability.ts';
import { dynamoDocumentClient, s3Client } from '../adapters/aws-clients.ts';
import { dynamoCustomerStore } from '../adapters/customer-store.ts';
import { s3ObjectStore } from '../adapters/object-store.ts';
import { loadSegmentDefinitions } from '../commons/segment-definitions.ts';
import { loadModelScorer } from '../commons/model-scorer.ts';
import { InputError } from '../core/errors.ts';
import { quarantineKeys } from '../core/object-key.ts';
import { ingestObject, type IngestOutcome } from './ingest-object.ts';

const config = loadConfig(process.env);
const logger = createLogger('ingest');

/** S3 ObjectCreated on incoming/ → ingest each object. A failure is rethrown so the event is retried, then dead-lettered. */
export const handler = withObservability(logger, async (event: S3Event): Promise<IngestOutcome[]> => {
  const store = dynamoCustomerStore(dynamoDocumentClient(), config.tableName);
  const outcomes: IngestOutcome[] = [];
  for (const record of event.Records) {
    if (record.s3.bucket.name !== config.bucketName) {
      throw new Error(`event for bucket ${record.s3.bucket.name}, expected ${config.bucketName}`);
    }
    // S3 event keys are URL-encoded with '+' for spaces.
    const key = decodeURIComponent(record.s3.object.key.replace(/\+/g, ' '));
    const objects = s3ObjectStore(s3Client(), config.bucketName);
    const deps = { objects, store, logger, definitions: await loadSegmentDefinitions(objects), scoreModel: await loadModelScorer(objects), now: evaluationTime(config), maxRejectedShare: config.maxRejectedShare };
    try {
      outcomes.push(await ingestObject(deps, key, record.s3.object.eTag ?? record.s3.object.sequencer));
    } catch (error) {
      // A file no retry can fix is reported in quarantine/ instead of bouncing to the dead-letter queue.
      if (!(error instanceof InputError)) throw error;
      await objects.put(quarantineKeys(key).report, JSON.stringify({ file: key, error: error.message }, null, 2), 'application/json');
      logger.warn('file rejected', { key, error: error.message });
      outcomes.push({ status: 'rejected', file: key, reason: error.message });
    }
  }
  return outcomes;
});
