/** What can fix the time segments are evaluated as of, the most specific first. */
export interface EvaluationTimeSources {
  /** The time this request asks for: an event's `asOf`, a command's --as-of. */
  readonly requested?: string | Date | undefined;
  /** The stack's as-of date for replaying history (STRATA_AS_OF); an empty value is none. */
  readonly configured?: string | Date | undefined;
}

/**
 * The evaluation time, by one rule for every handler and command: the requested time, else the
 * configured one, else the clock. Pure: the clock is passed in.
 */
export function resolveEvaluationTime(sources: EvaluationTimeSources, clock: Date): Date {
  const chosen = [sources.requested, sources.configured].find((time) => time !== undefined && time !== '');
  if (chosen === undefined) return clock;
  return chosen instanceof Date ? chosen : new Date(chosen);
}
