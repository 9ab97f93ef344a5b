import { s3Client } from '../adapters/aws-clients.ts';
import { s3ObjectStore } from '../adapters/object-store.ts';
import type { RunInput } from '../core/resegment/run.ts';
import type { RunSummary } from '../core/resegment/summary.ts';
import type { LocalStack } from './local-stack.ts';
import { runWorkflow, type WorkflowRunOptions } from './run-workflow.ts';

/** The run report the workflow writes to reports/resegment/<runId>.json. */
export type ResegmentReport = RunSummary & {
  readonly runId: string;
  readonly asOf: string;
  readonly durationMs: number;
  readonly campaigns: unknown;
};

export type ResegmentOutcome =
  | { readonly status: 'SUCCEEDED'; readonly runId: string; readonly report: ResegmentReport; readonly durationMs: number; readonly historyEvents: number }
  | { readonly status: 'SKIPPED'; readonly runId: string; readonly durationMs: number; readonly historyEvents: number }
  | { readonly status: 'FAILED'; readonly error: string; readonly durationMs: number; readonly historyEvents: number };

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
  const output = run.output as { acquired?: boolean; run?: { runId?: string }; report?: { key?: string } };
  const runId = String(output.run?.runId);
  if (output.acquired !== true || output.report?.key === undefined) return { status: 'SKIPPED', runId, durationMs: run.durationMs, historyEvents };
  const text = await s3ObjectStore(s3Client(), stack.bucketName).readText(output.report.key);
  if (text === undefined) throw new Error(`the run ${runId} ended without its report ${output.report.key}`);
  return { status: 'SUCCEEDED', runId, report: JSON.parse(text) as ResegmentReport, durationMs: run.durationMs, historyEvents };
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
