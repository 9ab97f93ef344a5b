import { assertNever } from '../assert-never.ts';
import type { CompareCondition, Condition, EventCondition, Operand, SegmentDefinition } from './definition.ts';
import { lookupFact, type Facts } from './fact-path.ts';
import { NO_LEDGERS, type Ledgers } from './facts.ts';
import { EMPTY_POPULATION, percentileOf, type PopulationStats } from './population.ts';

/** What matched, with the values seen: the answer to "why is this customer in this segment?". */
export interface Reason {
  readonly field: string;
  readonly op: string;
  readonly expected?: unknown;
  readonly actual: unknown;
  /** Set when the reason holds because a condition under "not" failed. */
  readonly negated?: true;
}

export interface Evaluation {
  readonly matched: boolean;
  /** When matched, the conditions that made it so; otherwise the conditions that failed. */
  readonly why: readonly Reason[];
}

/** Everything an evaluation may look at besides the facts. */
export interface EvaluationContext {
  readonly now: Date;
  readonly population: PopulationStats;
  readonly ledgers: Ledgers;
  /** Segments already decided for this customer in this evaluation (for "segment" conditions). */
  readonly decided: ReadonlyMap<string, boolean>;
}

const DAY_MS = 86_400_000;

export function evaluateSegment(definition: SegmentDefinition, facts: Facts, context: Partial<EvaluationContext> = {}): Evaluation {
  return evaluate(definition.condition, facts, {
    now: context.now ?? new Date(0),
    population: context.population ?? EMPTY_POPULATION,
    ledgers: context.ledgers ?? NO_LEDGERS,
    decided: context.decided ?? new Map(),
  });
}

/** One condition (not a whole definition) with its reasons; the column evaluator uses it for events. */
export function evaluateCondition(condition: Condition, facts: Facts, context: EvaluationContext): Evaluation {
  return evaluate(condition, facts, context);
}

function evaluate(condition: Condition, facts: Facts, context: EvaluationContext): Evaluation {
  switch (condition.type) {
    case 'compare':
      return compareFact(condition, facts, context);
    case 'event':
      return countEvents(condition, context);
    case 'segment': {
      const member = context.decided.get(condition.name) === true;
      return { matched: member, why: [{ field: `segment:${condition.name}`, op: 'member', actual: member }] };
    }
    case 'all': {
      const results = condition.conditions.map((c) => evaluate(c, facts, context));
      const matched = results.every((r) => r.matched);
      return { matched, why: results.filter((r) => r.matched === matched).flatMap((r) => r.why) };
    }
    case 'any': {
      const results = condition.conditions.map((c) => evaluate(c, facts, context));
      const hit = results.find((r) => r.matched);
      return hit ?? { matched: false, why: results.flatMap((r) => r.why) };
    }
    case 'not': {
      const inner = evaluate(condition.condition, facts, context);
      return { matched: !inner.matched, why: inner.why.map((reason) => negate(reason)) };
    }
    default:
      return assertNever(condition, 'unhandled condition');
  }
}

function negate(reason: Reason): Reason {
  const { negated, ...rest } = reason;
  return negated ? rest : { ...rest, negated: true };
}

function compareFact(condition: CompareCondition, facts: Facts, context: EvaluationContext): Evaluation {
  const actual = lookupFact(facts, condition.field);
  const expected = resolveOperand(condition.value, condition.field, facts, context);
  const matched = compareValues(condition.op, actual, expected, context.now);
  const shown = describeExpected(condition.value, expected);
  return { matched, why: [{ field: condition.field, op: condition.op, ...(shown === undefined ? {} : { expected: shown }), actual: actual ?? null }] };
}

function resolveOperand(value: CompareCondition['value'], field: string, facts: Facts, context: EvaluationContext): unknown {
  if (value === undefined || typeof value !== 'object' || Array.isArray(value)) return value;
  if ('percentile' in value) return percentileOf(context.population, field, value.percentile);
  const base = lookupFact(facts, value.field);
  if (typeof base !== 'number') return value.ifMissing;
  const scaled = base * (value.multiply ?? 1);
  return value.atLeast === undefined ? scaled : Math.max(value.atLeast, scaled);
}

/** Keeps the rule and the value it resolved to, so an explanation reads "≥ p90 (= 431.2)". */
function describeExpected(value: Operand | readonly unknown[] | undefined, resolved: unknown): unknown {
  if (value === undefined || typeof value !== 'object' || Array.isArray(value)) return value;
  return { ...value, value: resolved ?? null };
}

export function compareValues(op: CompareCondition['op'], actual: unknown, expected: unknown, now: Date): boolean {
  if (op === 'exists') return actual !== undefined && actual !== null;
  if (op === 'missing') return actual === undefined || actual === null;
  if (actual === undefined || actual === null || expected === undefined || expected === null) return false;
  switch (op) {
    case 'eq':
      return actual === expected;
    case 'neq':
      return actual !== expected;
    case 'in':
      return Array.isArray(expected) && expected.includes(actual);
    case 'contains':
      return Array.isArray(actual) ? actual.includes(expected) : typeof actual === 'string' && typeof expected === 'string' && actual.includes(expected);
    case 'gt':
      return ordered(actual, expected, (a, b) => a > b);
    case 'gte':
      return ordered(actual, expected, (a, b) => a >= b);
    case 'lt':
      return ordered(actual, expected, (a, b) => a < b);
    case 'lte':
      return ordered(actual, expected, (a, b) => a <= b);
    case 'withinDays':
    case 'olderThanDays': {
      const at = typeof actual === 'string' ? Date.parse(actual) : Number.NaN;
      if (Number.isNaN(at) || typeof expected !== 'number') return false;
      const ageDays = (now.getTime() - at) / DAY_MS;
      return op === 'withinDays' ? ageDays >= 0 && ageDays <= expected : ageDays > expected;
    }
    default:
      return assertNever(op, 'unhandled condition');
  }
}

function ordered(a: unknown, b: unknown, test: (a: number | string, b: number | string) => boolean): boolean {
  if (typeof a === 'number' && typeof b === 'number') return test(a, b);
  if (typeof a === 'string' && typeof b === 'string') return test(a, b);
  return false;
}

function countEvents(condition: EventCondition, context: EvaluationContext): Evaluation {
  const now = context.now.getTime();
  const from = condition.withinDays === undefined ? -Infinity : now - condition.withinDays * DAY_MS;
  const orders = context.ledgers.orderLines.filter((l) => !l.cancelled && l.amount >= 0);
  const events = context.ledgers.events.filter((e) => {
    const at = Date.parse(e.occurredAt);
    if (!(at >= from && at <= now) || e.type !== condition.name) return false;
    if (!Object.entries(condition.where ?? {}).every(([key, test]) => propertyMatches(e.properties?.[key], test))) return false;
    if (condition.followedByOrderWithinDays === undefined) return true;
    const until = at + condition.followedByOrderWithinDays * DAY_MS;
    return orders.some((o) => {
      const ordered = Date.parse(o.orderedAt);
      return ordered > at && ordered <= until;
    });
  });
  const inRange = (n: number) => n >= condition.minCount && (condition.maxCount === undefined || n <= condition.maxCount);
  const field = `event:${condition.name}`;
  const expected = {
    minCount: condition.minCount,
    ...(condition.maxCount === undefined ? {} : { maxCount: condition.maxCount }),
    ...(condition.withinDays === undefined ? {} : { withinDays: condition.withinDays }),
    ...(condition.where === undefined ? {} : { where: condition.where }),
    ...(condition.followedByOrderWithinDays === undefined ? {} : { followedByOrderWithinDays: condition.followedByOrderWithinDays }),
  };
  if (condition.perProperty === undefined) {
    return { matched: inRange(events.length), why: [{ field, op: 'count', expected, actual: events.length }] };
  }
  const key = condition.perProperty;
  const counts = new Map<string, number>();
  for (const e of events) {
    const value = e.properties?.[key];
    if (value !== undefined) counts.set(value, (counts.get(value) ?? 0) + 1);
  }
  if (condition.unlessOrderedInCategory) {
    for (const o of orders) if (o.category !== undefined && Date.parse(o.orderedAt) >= from) counts.delete(o.category);
  }
  const hit = [...counts].find(([, n]) => inRange(n));
  return {
    matched: hit !== undefined,
    why: [{ field: `${field}.${key}`, op: 'count per value', expected, actual: hit === undefined ? Object.fromEntries(counts) : { [hit[0]]: hit[1] } }],
  };
}

function propertyMatches(raw: string | undefined, test: NonNullable<EventCondition['where']>[string]): boolean {
  if (raw === undefined) return false;
  if (typeof test !== 'object') return String(test) === raw;
  const actual: string | number = raw.trim() !== '' && Number.isFinite(Number(raw)) ? Number(raw) : raw;
  return compareValues(test.op, actual, test.value, new Date(0));
}
