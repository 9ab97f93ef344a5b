import { dynamoDocumentClient, s3Client } from '../../functions/adapters/aws-clients.ts';
import { s3ObjectStore } from '../../functions/adapters/object-store.ts';
import { resegmentStore } from '../../functions/adapters/resegment-store.ts';
import { describeHolder, runLockSchema, type RunLock } from '../../functions/core/run-lock.ts';
import type { RunInput } from '../../functions/core/resegment/run.ts';
import type { RunSummary } from '../../functions/core/resegment/summary.ts';
import type { LocalStack } from '../../functions/local/local-stack.ts';
import { runWorkflow, type WorkflowRunOptions } from '../../functions/local/run-workflow.ts';

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

/** Runs the re-segmentation workflow (the synthesized definition) on the local stack and reads its report. */
export async function runResegment(stack: LocalStack, input: Partial<RunInput>, options: WorkflowRunOptions = {}): Promise<ResegmentOutcome> {
  const run = await runWorkflow(stack, 'resegment', { trigger: 'manual', ...input }, options);
  const historyEvents = run.events.length;
  if (run.status === 'FAILED') return { status: 'FAILED', error: run.error ?? 'unknown', durationMs: run.durationMs, historyEvents };
  const output = run.output as { acquired?: boolean; reason?: string; holder?: unknown; tookOver?: TookOver; run?: { runId?: string }; report?: { key?: string } };
  const runId = String(output.run?.runId);
  if (output.acquired !== true || output.report?.key === undefined) {
    const holder = runLockSchema.safeParse(output.holder);
    return { status: 'SKIPPED', runId, durationMs: run.durationMs, historyEvents, reason: output.reason, holder: holder.success ? holder.data : undefined };
  }
  const text = await s3ObjectStore(s3Client(), stack.bucketName).readText(output.report.key);
  if (text === undefined) throw new Error(`the run ${runId} ended without its report ${output.report.key}`);
  return { status: 'SUCCEEDED', runId, report: JSON.parse(text) as ResegmentReport, durationMs: run.durationMs, historyEvents, tookOver: output.tookOver };
}

/** Why a run did not start, and for a held lock who holds it and how to clear it. */
export function formatSkipped(outcome: Extract<ResegmentOutcome, { status: 'SKIPPED' }>): string {
  if (outcome.reason === 'already-succeeded') return `run ${outcome.runId} skipped: it ran already`;
  const holder = outcome.holder === undefined ? 'another run' : describeHolder(outcome.holder);
  return `run ${outcome.runId} skipped: ${holder} holds the run lock. If that run is no longer running, clear its lock with: strata resegment --force`;
}

/**
 * Frees the run lock whoever holds it (strata resegment --force), recording the holder's run as
 * failed; returns the holder it cleared, if any.
 */
export async function clearRunLock(stack: LocalStack, now: Date): Promise<RunLock | undefined> {
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

export function toResegmentJson(outcome: Extract<ResegmentOutcome, { status: 'SUCCEEDED' }>): ResegmentJson {
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
