import { z } from 'zod';
import { loadConfig } from '../commons/config.ts';
import { createLogger, withObservability } from '../commons/observability.ts';
import { dynamoDocumentClient } from '../adapters/aws-clients.ts';
import { resegmentStore } from '../adapters/resegment-store.ts';
import { describeRun, runInputSchema, runSchema, type Run } from '../core/resegment/run.ts';
import { loadResegmentSettings } from '../resegment/settings.ts';

const config = loadConfig(process.env);
const settings = loadResegmentSettings(process.env);
const logger = createLogger('resegment-lock');

const eventSchema = z.discriminatedUnion('action', [
  z.object({
    action: z.literal('acquire'),
    input: z.unknown(),
    execution: z.object({ name: z.string(), id: z.string(), startTime: z.string() }),
  }),
  z.object({ action: z.literal('release'), run: runSchema, status: z.enum(['succeeded', 'failed']), error: z.unknown().optional() }),
]);

export type LockResult = { acquired: boolean; reason?: string; run: Run } | { released: true };

/**
 * Starts and ends a run: names it (by its scheduled time when scheduled), refuses a repeat of a
 * run that succeeded or a second run while one holds the lock, and records the outcome.
 */
export const handler = withObservability(logger, async (event: unknown): Promise<LockResult> => {
  const request = eventSchema.parse(event);
  const store = resegmentStore(dynamoDocumentClient(), config.tableName);
  if (request.action === 'release') {
    const error = request.error === undefined ? {} : { error: JSON.stringify(request.error).slice(0, 2_000) };
    await store.release(request.run.runId, request.run.executionId, request.status, new Date(), error);
    logger.info('run ended', { runId: request.run.runId, status: request.status });
    return { released: true };
  }
  const input = runInputSchema.parse(request.input ?? {});
  const run = describeRun(input, request.execution, { maxSegments: settings.RESEGMENT_MAX_SEGMENTS, pageSize: settings.RESEGMENT_PAGE_SIZE });
  const outcome = await store.acquire(run.runId, run.executionId, new Date(), settings.RESEGMENT_LOCK_LEASE_MINUTES * 60_000);
  logger.info('run start', { runId: run.runId, ...outcome });
  return { ...outcome, run };
});
