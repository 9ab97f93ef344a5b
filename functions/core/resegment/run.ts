import * as z from 'zod';

/** Where a run keeps its intermediate files and its report in the data bucket. */
export const RESEGMENT_PREFIXES = { work: 'work/resegment/', reports: 'reports/resegment/' } as const;

const isoTime = z.iso.datetime({ offset: true }).or(z.iso.date());

/**
 * What starts a run: the schedule (with its scheduled time) or a person (with an optional as-of
 * date for replays). Tuning fields bound how a run splits and paces its work.
 */
export const runInputSchema = z.object({
  trigger: z.enum(['schedule', 'manual']).default('manual'),
  scheduledTime: isoTime.optional(),
  asOf: isoTime.optional(),
  /** Upper bound on parallel scan segments for this run (never above the deployed ceiling). */
  maxSegments: z.number().int().min(1).max(1_000).optional(),
  /**
   * Exactly this many scan segments (within the ceiling) instead of sizing from the table's item
   * count, which DynamoDB refreshes only every six hours and the local emulator does not keep.
   */
  scanSegments: z.number().int().min(1).max(1_000).optional(),
  /** Items per Scan page. */
  pageSize: z.number().int().min(1).max(10_000).optional(),
  /** Pages a worker handles before it hands over to its next invocation (besides its time budget). */
  maxPagesPerInvocation: z.number().int().min(1).optional(),
  /** Whether to refit the predictive models first, when the stack has a refit step. Default true. */
  refit: z.boolean().default(true),
  /** Whether to start the entry-triggered campaigns after the run (replays and benches may not). Default true. */
  campaigns: z.boolean().default(true),
});
export type RunInput = z.infer<typeof runInputSchema>;

/** The identity and tuning of one run, carried through every step of the workflow. */
export const runSchema = z.object({
  runId: z.string().regex(/^[A-Za-z0-9._-]{1,120}$/),
  /** Evaluation time: every transition of the run carries it, so a repeated run writes the same keys. */
  now: z.iso.datetime(),
  executionId: z.string().min(1),
  maxSegments: z.number().int().min(1),
  pageSize: z.number().int().min(1),
  maxPagesPerInvocation: z.number().int().min(1).nullable(),
  scanSegments: z.number().int().min(1).nullable(),
  refit: z.boolean(),
  campaigns: z.boolean(),
});
export type Run = z.infer<typeof runSchema>;

export interface RunDefaults {
  readonly maxSegments: number;
  readonly pageSize: number;
}

/**
 * Derives a run from its start. A scheduled run is named by its scheduled time, so a duplicate
 * start of the same schedule tick is the same run; a manual run is named by its execution.
 */
export function describeRun(input: RunInput, execution: { name: string; id: string; startTime: string }, defaults: RunDefaults): Run {
  const scheduled = input.trigger === 'schedule' && input.scheduledTime !== undefined;
  const nowSource = input.asOf ?? input.scheduledTime ?? execution.startTime;
  const now = new Date(nowSource);
  if (Number.isNaN(now.getTime())) throw new Error(`cannot read the run's time ${nowSource}`);
  const stamp = (iso: string) => iso.replace(/[^0-9A-Za-z]/g, '');
  const runId = scheduled ? `scheduled-${stamp(new Date(input.scheduledTime ?? '').toISOString())}` : `manual-${execution.name.replace(/[^A-Za-z0-9._-]/g, '-').slice(0, 100)}`;
  return {
    runId,
    now: now.toISOString(),
    executionId: execution.id,
    maxSegments: Math.min(input.maxSegments ?? defaults.maxSegments, defaults.maxSegments),
    pageSize: input.pageSize ?? defaults.pageSize,
    maxPagesPerInvocation: input.maxPagesPerInvocation ?? null,
    scanSegments: input.scanSegments ?? null,
    refit: input.refit,
    campaigns: input.campaigns,
  };
}

/**
 * Parallel scan segments for a table of `itemCount` items: about `itemsPerSegment` each, at least
 * one, at most `maxSegments` (which bounds the Map's history events and its state payload).
 */
export function planSegments(itemCount: number, itemsPerSegment: number, maxSegments: number): number {
  return Math.max(1, Math.min(maxSegments, Math.ceil(itemCount / itemsPerSegment)));
}

export const workKeys = {
  stats: (runId: string, segment: number, part: number) => `${RESEGMENT_PREFIXES.work}${runId}/stats/${segment}${part === 0 ? '' : `.${part}`}.json`,
  population: (runId: string) => `${RESEGMENT_PREFIXES.work}${runId}/population.json`,
  evaluated: (runId: string, segment: number, part: number) => `${RESEGMENT_PREFIXES.work}${runId}/evaluate/${segment}.${part}.json`,
  started: (runId: string, segment: number, part: number) => `${RESEGMENT_PREFIXES.work}${runId}/evaluate/${segment}.${part}.started`,
  aggregate: (runId: string) => `${RESEGMENT_PREFIXES.work}${runId}/aggregate.json`,
  report: (runId: string) => `${RESEGMENT_PREFIXES.reports}${runId}.json`,
};

/** A scan position: the DynamoDB key of the last item read (the table's key is two strings). */
const scanKeySchema = z.object({ pk: z.string(), sk: z.string() });

/** The state a scan worker hands to its next invocation (the Map iteration loops on it). */
export const workerStateSchema = z.object({
  run: runSchema,
  segment: z.number().int().min(0),
  totalSegments: z.number().int().min(1),
  populationKey: z.string().optional(),
  part: z.number().int().min(0).default(0),
  lastKey: scanKeySchema.nullable().default(null),
  keys: z.array(z.string()).default([]),
  /**
   * Count transitions as stored from here to the segment's end: set once a stretch was retried,
   * because its first attempt may have written past where the retry's pages end.
   */
  recount: z.boolean().default(false),
});
export type WorkerState = z.infer<typeof workerStateSchema>;

/** What a worker returns: its next state, or (done) only the keys of what it wrote. */
export type WorkerResult =
  | (WorkerState & { readonly done: false })
  | { readonly done: true; readonly segment: number; readonly keys: readonly string[] };

/** One invocation's counts for one scan segment, written next to the run's other work files. */
export const partResultSchema = z.object({
  segment: z.number().int(),
  part: z.number().int(),
  customers: z.number().int(),
  changedCustomers: z.number().int(),
  entered: z.record(z.string(), z.number().int()),
  exited: z.record(z.string(), z.number().int()),
  durationMs: z.number(),
  recounted: z.boolean(),
});
export type PartResult = z.infer<typeof partResultSchema>;
