import * as z from 'zod';
import { loadConfig } from '../../commons/config.ts';
import { createLogger, withObservability } from '../../commons/observability.ts';
import { snapshotSizes } from '../../segmentation/resegment-everyone.ts';
import { loadSegmentDefinitions } from '../../segmentation/segment-definitions.ts';
import { dynamoDocumentClient, s3Client } from '../../adapters/aws-clients.ts';
import { dynamoCustomerStore } from '../../adapters/customer-store.ts';
import { mapLimit } from '../../core/collections.ts';
import { s3ObjectStore } from '../../adapters/object-store.ts';
import { partResultSchema, runSchema, workKeys, type PartResult } from '../../core/resegment/run.ts';
import { summarizeRun } from '../../core/resegment/summary.ts';

const config = loadConfig(process.env);
const logger = createLogger('resegment-aggregate');
const eventSchema = z.object({ run: runSchema, evaluated: z.array(z.object({ segment: z.number(), keys: z.array(z.string()) })) });

export interface AggregateResult {
  readonly key: string;
  readonly customers: number;
  readonly changed: number;
  readonly entered: number;
  readonly transitions: number;
}

/**
 * Adds up the workers' counts, counts every segment's members through the segment index, stores
 * the day's size snapshot per segment and writes the run's summary to S3 (only its key travels on).
 */
export const handler = withObservability(logger, async (event: unknown): Promise<AggregateResult> => {
  const { run, evaluated } = eventSchema.parse(event);
  const objects = s3ObjectStore(s3Client(), config.bucketName);
  const store = dynamoCustomerStore(dynamoDocumentClient(), config.tableName);
  const parts: PartResult[] = [];
  await mapLimit(evaluated.flatMap((e) => e.keys), 16, async (key) => {
    const text = await objects.readText(key);
    if (text === undefined) throw new Error(`worker result ${key} is missing`);
    parts.push(partResultSchema.parse(JSON.parse(text)));
  });
  // The day's size snapshot is the segment engine's (the same as a one-process run keeps).
  const sizes = await snapshotSizes(store, await loadSegmentDefinitions(objects), new Date(run.now));
  const summary = summarizeRun(parts, sizes);
  const key = workKeys.aggregate(run.runId);
  await objects.put(key, JSON.stringify(summary), 'application/json');
  logger.info('aggregated', { runId: run.runId, ...summary.totals });
  return { key, customers: summary.totals.customers, changed: summary.totals.changed, entered: summary.totals.entered, transitions: summary.totals.transitions };
});
