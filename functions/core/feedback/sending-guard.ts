import * as z from 'zod';

const DAY_MS = 86_400_000;

/** Sending outcomes counted per UTC day; the guard reads the days of its window. */
export interface DailyCounts {
  /** yyyy-mm-dd (UTC) */
  readonly day: string;
  readonly sends: number;
  readonly hardBounces: number;
  readonly complaints: number;
}

/**
 * SES reviews an account whose bounce rate reaches 10% or complaint rate 0.5% (and advises staying
 * below 5% and 0.1%): strata stops itself at the advised levels, long before SES would.
 */
const guardSettingsSchema = z
  .object({
    maxBounceRate: z.number().min(0).max(1).default(0.05),
    maxComplaintRate: z.number().min(0).max(1).default(0.001),
    windowDays: z.number().int().min(1).max(90).default(7),
    /** Below this many sends in the window a rate says little (1 bounce of 3 is 33%): never pause. */
    minSends: z.number().int().min(1).default(100),
  })
  .strict();

export type GuardSettings = z.infer<typeof guardSettingsSchema>;
export const DEFAULT_GUARD_SETTINGS: GuardSettings = guardSettingsSchema.parse({});

export interface GuardDecision {
  readonly paused: boolean;
  readonly reasons: readonly string[];
  readonly sends: number;
  readonly hardBounces: number;
  readonly complaints: number;
  readonly bounceRate: number;
  readonly complaintRate: number;
  /** First and last day of the window, inclusive. */
  readonly window: { readonly from: string; readonly to: string };
}

/** The days (UTC, oldest first) of the window that ends on the day of `now`. */
export function windowDays(now: Date, days: number): string[] {
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  return Array.from({ length: days }, (_, i) => new Date(today - (days - 1 - i) * DAY_MS).toISOString().slice(0, 10));
}

/** Whether sending must pause: the bounce or complaint rate over the window passes its limit. */
export function decideSending(counts: readonly DailyCounts[], now: Date, settings: GuardSettings = DEFAULT_GUARD_SETTINGS): GuardDecision {
  const days = windowDays(now, settings.windowDays);
  const inWindow = new Set(days);
  let sends = 0, hardBounces = 0, complaints = 0;
  for (const c of counts) {
    if (!inWindow.has(c.day)) continue;
    sends += c.sends;
    hardBounces += c.hardBounces;
    complaints += c.complaints;
  }
  const bounceRate = sends === 0 ? 0 : hardBounces / sends;
  const complaintRate = sends === 0 ? 0 : complaints / sends;
  const reasons: string[] = [];
  if (sends >= settings.minSends) {
    if (bounceRate > settings.maxBounceRate) reasons.push(`bounce rate ${percent(bounceRate)} over ${settings.windowDays} days passes ${percent(settings.maxBounceRate)}`);
    if (complaintRate > settings.maxComplaintRate) reasons.push(`complaint rate ${percent(complaintRate)} over ${settings.windowDays} days passes ${percent(settings.maxComplaintRate)}`);
  }
  return {
    paused: reasons.length > 0,
    reasons,
    sends,
    hardBounces,
    complaints,
    bounceRate,
    complaintRate,
    window: { from: days[0] ?? '', to: days[days.length - 1] ?? '' },
  };
}

function percent(rate: number): string {
  return `${(rate * 100).toFixed(2)}%`;
}

/** The message the feedback Lambda logs when the guard pauses sending; a metric filter alarms on it. */
export const SENDING_PAUSED_MESSAGE = 'sending paused';

/** SES events per feedback Lambda invocation (the SQS batch size): counters are written once per batch. */
export const FEEDBACK_BATCH_SIZE = 25;
