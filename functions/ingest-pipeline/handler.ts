import type { S3Event } from 'aws-lambda';
import { loadConfig, evaluationTime } from '../commons/config.ts';
import { createLogger, withObservability } from '../commons/observability.ts';
import { dynamoDocumentClient, lambdaClient, s3Client } from '../adapters/aws-clients.ts';
import { dynamoCustomerStore } from '../adapters/customer-store.ts';
import { s3ObjectStore } from '../adapters/object-store.ts';
import { loadSegmentDefinitions } from '../segmentation/segment-definitions.ts';
import { lambdaChunkDispatcher } from '../adapters/chunk-dispatcher.ts';
import { loadModelScorer } from '../segmentation/model-scorer.ts';
import { InputError } from '../core/errors.ts';
import { chunkTaskSchema } from '../core/chunks.ts';
import { quarantineKeys } from '../core/object-key.ts';
import { ingestObject, type IngestDeps, type IngestOutcome } from './ingest-object.ts';
import { runChunkTask } from './chunked-ingest.ts';
import { reportRefused } from './file-acceptance.ts';

const config = loadConfig(process.env);
const logger = createLogger('ingest');

/**
 * S3 ObjectCreated on incoming/ → ingest each object; a large file is split into chunks that come
 * back to this function as chunk tasks. A failure is rethrown so the event is retried, then dead-lettered.
 */
export const handler = withObservability(logger, async (event: S3Event | unknown, context): Promise<IngestOutcome[]> => {
  const objects = s3ObjectStore(s3Client(), config.bucketName);
  const chunking = { objects, dispatcher: lambdaChunkDispatcher(lambdaClient(), context.functionName), chunkBytes: config.ingestChunkBytes };
  const deps: IngestDeps = {
    objects,
    store: dynamoCustomerStore(dynamoDocumentClient(), config.tableName),
    logger,
    definitions: await loadSegmentDefinitions(objects),
    scoreModel: await loadModelScorer(objects),
    now: evaluationTime(config),
    recordedAt: new Date(),
    maxRejectedShare: config.maxRejectedShare,
    chunking,
  };
  const task = chunkTaskSchema.safeParse(event);
  if (task.success) {
    await runChunkTask(deps, chunking, task.data);
    return [];
  }
  const outcomes: IngestOutcome[] = [];
  for (const record of (event as S3Event).Records) {
    if (record.s3.bucket.name !== config.bucketName) {
      throw new InputError(`event for bucket ${record.s3.bucket.name}, expected ${config.bucketName}`);
    }
    // S3 event keys are URL-encoded with '+' for spaces.
    const key = decodeURIComponent(record.s3.object.key.replace(/\+/g, ' '));
    const etag = record.s3.object.eTag ?? record.s3.object.sequencer;
    try {
      outcomes.push(await ingestObject(deps, key, etag));
    } catch (error) {
      if (!(error instanceof InputError)) {
        // Possibly transient: rethrown so Lambda retries the event twice, then dead-letters it (with an
        // alarm). Each failed attempt leaves its report in quarantine/, so a file that keeps failing
        // (a poison file) is found there with its error, next to the event in the dead-letter queue.
        await reportFailedAttempt(objects, key, etag, error);
        throw error;
      }
      // A file no retry can fix is reported in quarantine/ instead of bouncing to the dead-letter queue.
      await reportRefused({ objects, logger }, key, etag, error);
      outcomes.push({ status: 'rejected', file: key, reason: error.message });
    }
  }
  return outcomes;
});

/** The report of an attempt that failed for a reason other than the file's content; a later success overwrites it. */
async function reportFailedAttempt(objects: ReturnType<typeof s3ObjectStore>, key: string, etag: string, error: unknown): Promise<void> {
  const failure = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  const report = { file: key, etag, status: 'failed', error: failure, failedAt: new Date().toISOString(), retry: 'retried twice, then the event waits in the ingest dead-letter queue (README, Operations)' };
  try {
    await objects.put(quarantineKeys(key).report, JSON.stringify(report, null, 2), 'application/json');
  } catch (reportError) {
    // The original error matters more: it is the one rethrown and dead-lettered.
    logger.error('could not write the failure report', { key, error: reportError });
  }
  logger.error('ingest attempt failed', { key, error });
}
