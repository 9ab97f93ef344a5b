import * as z from 'zod';
import { loadConfig } from '../../commons/config.ts';
import { createLogger, withObservability } from '../../commons/observability.ts';
import { dynamoDocumentClient, sfnClient } from '../../adapters/aws-clients.ts';
import { stepFunctionsExecutions } from '../../adapters/execution-status.ts';
import { resegmentStore, type LockOutcome } from '../../adapters/resegment-store.ts';
import { deadOwnerReason, type RunLock } from '../../core/run-lock.ts';
import { describeRun, runInputSchema, runSchema, type Run } from '../../core/resegment/run.ts';
import { loadResegmentSettings } from '../settings.ts';

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

/** A run's start: whether it holds the lock, else why not and who does; and whose dead run it took over. */
export type LockResult =
  | { acquired: boolean; reason?: string; holder?: RunLock; tookOver?: { runId: string; executionId: string; why: string }; run: Run }
  | { released: true };

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
    if (why !== undefined) outcome = await store.takeOver(run.runId, run.executionId, new Date(), leaseMs, outcome.holder, why);
  }
  const result = startOf(outcome);
  logger.info('run start', { runId: run.runId, acquired: result.acquired, reason: result.reason, holderRunId: result.holder?.runId, tookOverFrom: result.tookOver?.runId });
  return { ...result, run };
});

/** The lock outcome as the workflow carries it (its Choice reads `acquired`; the CLI the rest). */
function startOf(outcome: LockOutcome): Omit<Extract<LockResult, { acquired: boolean }>, 'run'> {
  if (outcome.acquired) {
    const { tookOver } = outcome;
    return { acquired: true, ...(tookOver === undefined ? {} : { tookOver: { runId: tookOver.lock.runId, executionId: tookOver.lock.executionId, why: tookOver.why } }) };
  }
  return { acquired: false, reason: outcome.reason, ...(outcome.reason === 'another-run-holds-the-lock' && outcome.holder !== undefined ? { holder: outcome.holder } : {}) };
}
