import * as z from 'zod';
import { loadConfig } from '../../commons/config.ts';
import { createLogger, withObservability } from '../../commons/observability.ts';
import { dynamoDocumentClient, s3Client } from '../../adapters/aws-clients.ts';
import { s3ObjectStore } from '../../adapters/object-store.ts';
import { dynamoCustomerStore } from '../../adapters/customer-store.ts';
import { mapLimit } from '../../core/collections.ts';
import { runSchema, workKeys } from '../../core/resegment/run.ts';
import { finalizePopulation, mergePartials, type PartialStats } from '../population-io.ts';

const config = loadConfig(process.env);
const logger = createLogger('resegment-merge');
const eventSchema = z.object({ run: runSchema, stats: z.array(z.object({ segment: z.number(), keys: z.array(z.string()) })) });

/**
 * Merges the scan segments' partial statistics into the population: written to S3 for this run's
 * workers and stored in the table, where ingest scores the customers it touches against it.
 */
export const handler = withObservability(logger, async (event: unknown): Promise<{ key: string }> => {
  const { run, stats } = eventSchema.parse(event);
  const objects = s3ObjectStore(s3Client(), config.bucketName);
  const partials: PartialStats[] = [];
  await mapLimit(stats.flatMap((s) => s.keys), 16, async (key) => {
    const text = await objects.readText(key);
    if (text === undefined) throw new Error(`partial statistics ${key} are missing`);
    partials.push(JSON.parse(text) as PartialStats);
  });
  const [first, ...rest] = partials;
  if (first === undefined) throw new Error(`run ${run.runId} has no partial statistics`);
  const population = finalizePopulation(rest.reduce(mergePartials, first));
  const key = workKeys.population(run.runId);
  await objects.put(key, JSON.stringify(population), 'application/json');
  await dynamoCustomerStore(dynamoDocumentClient(), config.tableName).putPopulation(population, new Date(run.now));
  logger.info('population merged', { runId: run.runId, partials: partials.length });
  return { key };
});
