import * as z from 'zod';
import { loadConfig } from '../../commons/config.ts';
import { createLogger, withObservability } from '../../commons/observability.ts';
import { s3Client } from '../../adapters/aws-clients.ts';
import { s3ObjectStore } from '../../adapters/object-store.ts';
import { runSchema, workKeys } from '../../core/resegment/run.ts';

const config = loadConfig(process.env);
const logger = createLogger('resegment-report');
const eventSchema = z.object({
  run: runSchema,
  aggregate: z.object({ key: z.string() }),
  campaigns: z.unknown(),
  startedAt: z.string(),
});

/** Writes the run's report (summary per segment and per scan segment, campaigns started) to reports/. */
export const handler = withObservability(logger, async (event: unknown): Promise<{ key: string }> => {
  const { run, aggregate, campaigns, startedAt } = eventSchema.parse(event);
  const objects = s3ObjectStore(s3Client(), config.bucketName);
  const summary = await objects.readText(aggregate.key);
  if (summary === undefined) throw new Error(`run summary ${aggregate.key} is missing`);
  const finishedAt = new Date();
  const report = {
    runId: run.runId,
    asOf: run.now,
    executionId: run.executionId,
    startedAt,
    finishedAt: finishedAt.toISOString(),
    durationMs: finishedAt.getTime() - new Date(startedAt).getTime(),
    ...(JSON.parse(summary) as Record<string, unknown>),
    campaigns,
  };
  const key = workKeys.report(run.runId);
  await objects.put(key, JSON.stringify(report, null, 2), 'application/json');
  logger.info('report written', { runId: run.runId, key });
  return { key };
});
