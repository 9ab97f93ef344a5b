import { DescribeExecutionCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { dynamoDocumentClient, s3Client, sfnClient } from '../../functions/adapters/aws-clients.ts';
import { s3ObjectStore } from '../../functions/adapters/object-store.ts';
import { resegmentStore } from '../../functions/adapters/resegment-store.ts';
import { describeHolder, runLockSchema, type RunLock } from '../../functions/core/run-lock.ts';
import type { RunInput } from '../../functions/core/resegment/run.ts';
import type { RunSummary } from '../../functions/core/resegment/summary.ts';
import type { LocalStack } from '../../functions/local/local-stack.ts';
import type { WorkflowRunOptions } from '../../functions/local/run-workflow.ts';
import type { StackNames, StackTarget } from './target.ts';

/** The run report the workflow writes to reports/resegment/<runId>.json. */
export type ResegmentReport = RunSummary & {
  readonly runId: string;
  readonly asOf: string;
  readonly durationMs: number;
  readonly campaigns: unknown;
};

export type ResegmentOutcome =
  | { readonly status: 'SUCCEEDED'; readonly runId: string; readonly report: ResegmentReport; readonly durationMs: number; readonly historyEvents: number; readonly tookOver: TookOver | undefined }
  | { readonly status: 'SKIPPED'; readonly runId: string; readonly durationMs: number; readonly historyEvents: number; readonly reason: string | undefined; readonly holder: RunLock | undefined }
  | { readonly status: 'FAILED'; readonly error: string; readonly durationMs: number; readonly historyEvents: number };

/** The dead run whose lock a run took over, and why it counted as dead. */
export interface TookOver {
  readonly runId: string;
  readonly executionId: string;
  readonly why: string;
}

/** What `strata resegment --json` prints: counts per segment, per scan segment and in total. */
export interface ResegmentJson {
  readonly runId: string;
  readonly asOf: string;
  readonly durationMs: number;
  readonly segments: RunSummary['segments'];
  readonly scanSegments: RunSummary['scanSegments'];
  readonly totals: RunSummary['totals'] & { readonly durationMs: number };
  /** What the entry-triggered campaigns started after the run did (dispatch's summary per campaign). */
  readonly campaigns: unknown;
}

/** An outcome as a run on any stack is read: what runResegment adds (the local history's length) left out. */
export type RunOutcome = ResegmentOutcome extends infer O ? (O extends unknown ? Omit<O, 'historyEvents'> : never) : never;

/** How an execution of the workflow ended, as either runner tells it. */
export type FinishedRun = { readonly status: 'SUCCEEDED'; readonly output: unknown; readonly durationMs: number } | { readonly status: 'FAILED'; readonly error: string; readonly durationMs: number };

/**
 * Reads what a finished execution says: a failure, a run that did not start (the lock held, or the
 * run done already), or a run whose report it reads from the bucket. Shared by both ways to run it.
 */
export async function interpretRun(names: Pick<StackNames, 'bucketName'>, run: FinishedRun): Promise<RunOutcome> {
  if (run.status === 'FAILED') return { status: 'FAILED', error: run.error, durationMs: run.durationMs };
  const output = (run.output ?? {}) as { acquired?: boolean; reason?: string; holder?: unknown; tookOver?: TookOver; run?: { runId?: string }; report?: { key?: string } };
  const runId = String(output.run?.runId);
  if (output.acquired !== true || output.report?.key === undefined) {
    const holder = runLockSchema.safeParse(output.holder);
    return { status: 'SKIPPED', runId, durationMs: run.durationMs, reason: output.reason, holder: holder.success ? holder.data : undefined };
  }
  const text = await s3ObjectStore(s3Client(), names.bucketName).readText(output.report.key);
  if (text === undefined) throw new Error(`the run ${runId} ended without its report ${output.report.key}`);
  return { status: 'SUCCEEDED', runId, report: JSON.parse(text) as ResegmentReport, durationMs: run.durationMs, tookOver: output.tookOver };
}

/** The input of a run started by hand: what the schedule passes, with trigger manual. */
export function manualRunInput(input: Partial<RunInput>): Partial<RunInput> {
  return { trigger: 'manual', ...input };
}

/**
 * Runs the re-segmentation workflow (the synthesized definition) in this process on a LocalStack
 * object and reads its report: for tests and benchmarks that intercept its steps.
 */
export async function runResegment(stack: LocalStack, input: Partial<RunInput>, options: WorkflowRunOptions = {}): Promise<ResegmentOutcome> {
  // Loaded here: a run on a deployed stack (startResegment) needs none of the local runner.
  const { runWorkflow } = await import('../../functions/local/run-workflow.ts');
  const run = await runWorkflow(stack, 'resegment', manualRunInput(input), options);
  const historyEvents = run.events.length;
  const outcome = await interpretRun(stack, run.status === 'FAILED' ? { status: 'FAILED', error: run.error ?? 'unknown', durationMs: run.durationMs } : { status: 'SUCCEEDED', output: run.output, durationMs: run.durationMs });
  return { ...outcome, historyEvents };
}

/** How often `strata resegment` asks how its execution is doing. */
const POLL_MS = 500;

/**
 * Starts the stack's state machine (StartExecution on target.stateMachineArn, the input of a run
 * by hand) and follows it with DescribeExecution until it ends, then reads it as runResegment
 * does. `onPoll` hears the elapsed time at each poll (the CLI's progress line).
 */
export async function startResegment(
  target: Pick<StackTarget, 'bucketName' | 'stateMachineArn'>,
  input: Partial<RunInput>,
  options: { readonly onPoll?: (elapsedMs: number) => void; readonly pollMs?: number } = {},
): Promise<RunOutcome & { readonly executionArn: string }> {
  const sfn = sfnClient();
  const started = await sfn.send(new StartExecutionCommand({ stateMachineArn: target.stateMachineArn, input: JSON.stringify(manualRunInput(input)) }));
  const executionArn = started.executionArn;
  if (executionArn === undefined) throw new Error(`StartExecution on ${target.stateMachineArn} answered no execution ARN`);
  const since = performance.now();
  for (;;) {
    const described = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    const status = described.status;
    if (status !== undefined && status !== 'RUNNING' && status !== 'PENDING_REDRIVE') {
      const durationMs = described.startDate !== undefined && described.stopDate !== undefined ? described.stopDate.getTime() - described.startDate.getTime() : performance.now() - since;
      const run: FinishedRun =
        status === 'SUCCEEDED'
          ? { status: 'SUCCEEDED', output: described.output === undefined ? undefined : (JSON.parse(described.output) as unknown), durationMs }
          : { status: 'FAILED', error: `execution ${executionArn} ended ${status}${[described.error, described.cause].some((x) => x !== undefined) ? `: ${[described.error, described.cause].filter((x) => x !== undefined).join(': ')}` : ''}`, durationMs };
      return { ...(await interpretRun(target, run)), executionArn };
    }
    options.onPoll?.(performance.now() - since);
    await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? POLL_MS));
  }
}

/** Why a run did not start, and for a held lock who holds it and how to clear it. */
export function formatSkipped(outcome: Extract<RunOutcome, { status: 'SKIPPED' }>): string {
  if (outcome.reason === 'already-succeeded') return `run ${outcome.runId} skipped: it ran already`;
  const holder = outcome.holder === undefined ? 'another run' : describeHolder(outcome.holder);
  return `run ${outcome.runId} skipped: ${holder} holds the run lock. If that run is no longer running, clear its lock with: strata resegment --force`;
}

/**
 * Frees the run lock whoever holds it (strata resegment --force), recording the holder's run as
 * failed; returns the holder it cleared, if any.
 */
export async function clearRunLock(stack: StackNames, now: Date): Promise<RunLock | undefined> {
  const store = resegmentStore(dynamoDocumentClient(), stack.tableName);
  const holder = await store.lock();
  if (holder === undefined) return undefined;
  const cleared = await store.clearLock(holder, now, `its run lock was cleared by strata resegment --force at ${now.toISOString()}`);
  return cleared ? holder : undefined;
}

export function formatTookOver(tookOver: TookOver): string {
  return `took over the run lock of run ${tookOver.runId} (execution ${tookOver.executionId}), recorded as failed: ${tookOver.why}`;
}

export function formatCleared(holder: RunLock | undefined): string {
  return holder === undefined ? 'no run held the run lock' : `cleared the run lock of ${describeHolder(holder)}; that run is recorded as failed`;
}

export function toResegmentJson(outcome: Extract<RunOutcome, { status: 'SUCCEEDED' }>): ResegmentJson {
  const { report } = outcome;
  return {
    runId: outcome.runId,
    asOf: report.asOf,
    durationMs: outcome.durationMs,
    segments: report.segments,
    scanSegments: report.scanSegments,
    totals: { ...report.totals, durationMs: outcome.durationMs },
    campaigns: report.campaigns,
  };
}

export function formatResegment(json: ResegmentJson): string {
  const rows = Object.entries(json.segments)
    .filter(([, s]) => s.size > 0 || s.changed > 0)
    .map(([name, s]) => `  ${name.padEnd(26)} ${String(s.size).padStart(8)} members  +${s.entered} −${s.exited}`);
  return [
    `re-segmentation ${json.runId} as of ${json.asOf}: ${json.totals.customers} customers, ${json.totals.changed} changed, ${json.totals.transitions} transitions in ${(json.durationMs / 1000).toFixed(1)} s`,
    ...rows,
    `  scan segments: ${json.scanSegments.map((s) => `#${s.segment} ${s.customers} in ${s.durationMs} ms`).join(', ')}`,
  ].join('\n');
}
