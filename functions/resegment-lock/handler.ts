import { z } from 'zod';
import { loadConfig } from '../commons/config.ts';
import { createLogger, withObservability } from '../commons/observability.ts';
import { dynamoDocumentClient, sfnClient } from '../adapters/aws-clients.ts';
import { stepFunctionsExecutions } from '../adapters/execution-status.ts';
import { resegmentStore } from '../adapters/resegment-store.ts';
import { deadOwnerReason, type RunLock } from '../core/run-lock.ts';
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

export type LockResult = { acquired: boolean; reason?: string; holder?: RunLock; run: Run } | { released: true };

/**
 * Starts and ends a run: names it (by its scheduled time when scheduled), refuses a repeat of a
 * run that succeeded or a second run while a live one holds the lock (a holder whose execution
 * ended without releasing it is taken over and its run marked failed), and records the outcome.
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
  const leaseMs = settings.RESEGMENT_LOCK_LEASE_MINUTES * 60_000;
  let outcome = await store.acquire(run.runId, run.executionId, new Date(), leaseMs);
  if (!outcome.acquired && outcome.reason === 'another-run-holds-the-lock' && outcome.holder !== undefined) {
    const why = deadOwnerReason(outcome.holder, await stepFunctionsExecutions(sfnClient()).describe(outcome.holder.executionId));
    if (why !== undefined) {
      outcome = await store.takeOver(run.runId, run.executionId, new Date(), leaseMs, outcome.holder, why);
      logger.warn('took over the run lock of a dead run', { runId: run.runId, deadRunId: outcome.acquired ? outcome.tookOverFrom?.runId : undefined });
    }
  }
  const reason = outcome.acquired ? undefined : outcome.reason;
  const holder = !outcome.acquired && outcome.reason === 'another-run-holds-the-lock' ? outcome.holder : undefined;
  logger.info('run start', { runId: run.runId, acquired: outcome.acquired, reason, holderRunId: holder?.runId });
  return { acquired: outcome.acquired, ...(reason === undefined ? {} : { reason }), ...(holder === undefined ? {} : { holder }), run };
});
