import type { Context } from 'aws-lambda';
import { loadConfig } from '../../commons/config.ts';
import { createLogger, withObservability } from '../../commons/observability.ts';
import { loadSegmentDefinitions } from '../../segmentation/segment-definitions.ts';
import { loadModelScorer } from '../../segmentation/model-scorer.ts';
import { dynamoDocumentClient, s3Client } from '../../adapters/aws-clients.ts';
import { s3ObjectStore } from '../../adapters/object-store.ts';
import { resegmentStore } from '../../adapters/resegment-store.ts';
import type { EventAggregates, OrderAggregates } from '../../core/profile.ts';
import { workerStateSchema, workKeys, type WorkerResult } from '../../core/resegment/run.ts';
import { addProfiles, emptyPartial, STATS_PROJECTION } from '../population-io.ts';
import { workScanSegment } from '../scan-worker.ts';

const config = loadConfig(process.env);
const logger = createLogger('resegment-stats');

/**
 * Population statistics of one scan segment: reads its PROFILE items from where the last
 * invocation stopped and writes the partial for this stretch to S3 under a key fixed by the
 * segment and stretch, so a retried invocation overwrites rather than adds.
 */
export const handler = withObservability(logger, async (event: unknown, context: Context): Promise<WorkerResult> => {
  const state = workerStateSchema.parse(event);
  const now = new Date(state.run.now);
  const scans = resegmentStore(dynamoDocumentClient(), config.tableName);
  const objects = s3ObjectStore(s3Client(), config.bucketName);
  const definitions = await loadSegmentDefinitions(objects);
  let partial = emptyPartial(definitions);
  const scoreModel = await loadModelScorer(objects);
  const progress = await workScanSegment(
    state,
    context,
    (startKey) => scans.scanProfiles(state.segment, state.totalSegments, startKey, state.run.pageSize, STATS_PROJECTION),
    async (items) => {
      const profiles = items.map((item) => ({ customerId: String(item.customerId), orders: item.orders as OrderAggregates | undefined, events: item.events as EventAggregates | undefined }));
      partial = addProfiles(partial, profiles, definitions, now, scoreModel);
    },
  );
  const key = workKeys.stats(state.run.runId, state.segment, state.part);
  await objects.put(key, JSON.stringify(partial), 'application/json');
  const keys = [...state.keys, key];
  return progress.exhausted ? { done: true, segment: state.segment, keys } : { ...state, part: state.part + 1, lastKey: progress.lastKey, keys, done: false };
});
