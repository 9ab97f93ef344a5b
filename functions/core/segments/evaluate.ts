import type { Condition, SegmentDefinition } from './definition.ts';

/** What matched, with the values seen: the answer to "why is this customer in this segment?". */
export interface Reason {
  readonly field: string;
  readonly op: string;
  readonly expected?: unknown;
  readonly actual: unknown;
}

export interface Evaluation {
  readonly matched: boolean;
  readonly why: readonly Reason[];
}

export type Facts = Readonly<Record<string, unknown>>;

export function evaluateSegment(definition: SegmentDefinition, facts: Facts): Evaluation {
  return evaluate(definition.condition, facts);
}

function evaluate(condition: Condition, facts: Facts): Evaluation {
  switch (condition.type) {
    case 'compare': {
      const actual = lookup(facts, condition.field);
      const matched = compare(condition.op, actual, condition.value);
      const reason: Reason = { field: condition.field, op: condition.op, expected: condition.value, actual };
      return { matched, why: matched ? [reason] : [] };
    }
    case 'all': {
      const results = condition.conditions.map((c) => evaluate(c, facts));
      const matched = results.every((r) => r.matched);
      return { matched, why: matched ? results.flatMap((r) => r.why) : [] };
    }
    case 'any': {
      const hit = condition.conditions.map((c) => evaluate(c, facts)).find((r) => r.matched);
      return hit ?? { matched: false, why: [] };
    }
    case 'not': {
      const inner = evaluate(condition.condition, facts);
      return { matched: !inner.matched, why: inner.matched ? [] : [{ field: '(not)', op: 'not', actual: 'inner condition did not match' }] };
    }
    default:
      return assertNever(condition);
  }
}

function lookup(facts: Facts, path: string): unknown {
  let value: unknown = facts;
  for (const key of path.split('.')) {
    // Own properties only: a path like "contact.constructor" must not reach the prototype.
    if (value === null || typeof value !== 'object' || !Object.hasOwn(value, key)) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

function compare(op: string, actual: unknown, expected: unknown): boolean {
  if (op === 'exists') return actual !== undefined && actual !== null;
  if (actual === undefined || actual === null) return false;
  switch (op) {
    case 'eq':
      return actual === expected;
    case 'neq':
      return actual !== expected;
    case 'in':
      return Array.isArray(expected) && expected.includes(actual);
    case 'gt':
      return ordered(actual, expected, (a, b) => a > b);
    case 'gte':
      return ordered(actual, expected, (a, b) => a >= b);
    case 'lt':
      return ordered(actual, expected, (a, b) => a < b);
    case 'lte':
      return ordered(actual, expected, (a, b) => a <= b);
    default:
      return false;
  }
}

function ordered(a: unknown, b: unknown, test: (a: number | string, b: number | string) => boolean): boolean {
  if (typeof a === 'number' && typeof b === 'number') return test(a, b);
  if (typeof a === 'string' && typeof b === 'string') return test(a, b);
  return false;
}

function assertNever(value: never): never {
  throw new Error(`unhandled condition ${JSON.stringify(value)}`);
}
