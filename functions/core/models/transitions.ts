import { InputError } from '../errors.ts';

/** A recorded segment change, as the store's T# items hold it. */
export interface SegmentTransition {
  readonly customerId: string;
  readonly segment: string;
  readonly change: 'enter' | 'exit';
  /** ISO 8601 instant. */
  readonly at: string;
}

/** The lifecycle segments (exactly one per customer with an order) and "none" (before the first order, or erased). */
const LIFECYCLE_STATES = ['none', 'new', 'active', 'lapsed', 'churned'] as const;

export interface TransitionForecast {
  readonly states: readonly string[];
  /** Period boundaries (ISO instants): a customer's state is read at each one. */
  readonly boundaries: readonly string[];
  /** counts[i][j]: customers in states[i] at one boundary and in states[j] at the next, over all periods. */
  readonly counts: readonly (readonly number[])[];
  /** Row-normalized counts: the estimated first-order transition matrix. A state never left from is kept (1 on the diagonal). */
  readonly probabilities: readonly (readonly number[])[];
  /** Segment sizes at the last boundary. */
  readonly current: Readonly<Record<string, number>>;
  /** Customers arriving from "none" into each state per period, averaged over the periods seen. */
  readonly inflowPerPeriod: Readonly<Record<string, number>>;
  /** Expected sizes one period after the last boundary: current × P for existing customers, plus the average inflow. */
  readonly forecast: Readonly<Record<string, number>>;
}

/**
 * Estimates a first-order Markov transition matrix between lifecycle segments from recorded
 * enter/exit transitions, reading every customer's state at each period boundary, and forecasts
 * the next period's sizes. "none" is a source, not a pool: the customers of next period's
 * acquisitions are not in the data yet, so arrivals are forecast as the average count per period
 * rather than as a probability of a population that cannot be known.
 */
export function forecastTransitions(
  transitions: readonly SegmentTransition[],
  boundaries: readonly string[],
  states: readonly string[] = LIFECYCLE_STATES,
): TransitionForecast {
  if (boundaries.length < 2) throw new InputError('transition estimation needs at least two period boundaries');
  const times = boundaries.map((b) => Date.parse(b));
  if (times.some((t, i) => Number.isNaN(t) || (i > 0 && t <= (times[i - 1] as number)))) throw new InputError('period boundaries must be ascending dates');
  const none = states[0] as string;
  const tracked = new Set(states.slice(1));
  const index = new Map(states.map((s, i) => [s, i]));

  // Each customer's lifecycle changes in time order; the state at a boundary is the last entered and not yet exited.
  const byCustomer = new Map<string, { at: number; segment: string; change: 'enter' | 'exit' }[]>();
  for (const t of transitions) {
    if (!tracked.has(t.segment)) continue;
    const at = Date.parse(t.at);
    if (Number.isNaN(at)) throw new InputError(`transition of ${t.customerId} has an unreadable time: ${t.at}`);
    let list = byCustomer.get(t.customerId);
    if (list === undefined) byCustomer.set(t.customerId, (list = []));
    list.push({ at, segment: t.segment, change: t.change });
  }

  const k = states.length;
  const counts = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  const current = new Array<number>(k).fill(0);
  const arrivals = new Array<number>(k).fill(0);
  for (const events of byCustomer.values()) {
    // Exits before enters at the same instant: a move from lapsed to active is one step, not a gap.
    events.sort((p, q) => p.at - q.at || (p.change === q.change ? 0 : p.change === 'exit' ? -1 : 1));
    const path: number[] = [];
    let state = none;
    let e = 0;
    for (const time of times) {
      for (; e < events.length && (events[e]?.at ?? Infinity) <= time; e++) {
        const event = events[e] as { segment: string; change: 'enter' | 'exit' };
        if (event.change === 'enter') state = event.segment;
        else if (state === event.segment) state = none;
      }
      path.push(index.get(state) ?? 0);
    }
    for (let i = 1; i < path.length; i++) {
      const from = path[i - 1] as number;
      const to = path[i] as number;
      (counts[from] as number[])[to] = ((counts[from] as number[])[to] ?? 0) + 1;
      if (from === 0 && to !== 0) arrivals[to] = (arrivals[to] ?? 0) + 1;
    }
    const last = path[path.length - 1] as number;
    current[last] = (current[last] ?? 0) + 1;
  }

  const probabilities = counts.map((row, i) => {
    const total = row.reduce((s, v) => s + v, 0);
    return total === 0 ? row.map((_, j) => (i === j ? 1 : 0)) : row.map((v) => v / total);
  });
  const periods = boundaries.length - 1;
  const forecast = new Array<number>(k).fill(0);
  for (let i = 1; i < k; i++) {
    for (let j = 0; j < k; j++) forecast[j] = (forecast[j] ?? 0) + (current[i] ?? 0) * ((probabilities[i] as number[])[j] ?? 0);
  }
  for (let j = 1; j < k; j++) forecast[j] = (forecast[j] ?? 0) + (arrivals[j] ?? 0) / periods;
  const byState = (values: readonly number[]) => Object.fromEntries(states.map((s, i) => [s, values[i] ?? 0]));
  return {
    states,
    boundaries,
    counts,
    probabilities,
    current: byState(current),
    inflowPerPeriod: byState(arrivals.map((a) => a / periods)),
    // "none" forecast: existing customers expected to leave every lifecycle segment.
    forecast: byState(forecast),
  };
}

/** Evenly spaced period boundaries ending at `end`: `periods` periods of `days` days. */
export function periodBoundaries(end: Date, periods: number, days: number): string[] {
  return Array.from({ length: periods + 1 }, (_, i) => new Date(end.getTime() - (periods - i) * days * 86_400_000).toISOString());
}
