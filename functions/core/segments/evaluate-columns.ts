import type { CompareCondition, Condition, EventCondition, SegmentDefinition } from './definition.ts';
import { compareValues, evaluateCondition } from './evaluate.ts';
import type { Ledgers } from './facts.ts';
import { valueAt, type Column, type FactColumns } from './columns.ts';
import { percentileOf } from './population.ts';

/**
 * Ordered definitions evaluated for a whole population at once, condition by condition over fact
 * columns (columns.ts): each comparison is one loop over a typed array, all / any / not combine
 * member arrays. The decisions are those of the interpreter (evaluate.ts) and of the compiled
 * catalog (compile.ts), which the unit tests check on the built-in catalogue; reasons stay theirs.
 * Conditions have no side effects, so evaluating every branch gives what short-circuiting gives.
 */
export function evaluateColumns(
  ordered: readonly SegmentDefinition[],
  columns: FactColumns,
  now: Date,
  /** A customer's events and order lines, for event conditions; none when absent. */
  ledgersOf?: (index: number) => Ledgers | undefined,
): Uint8Array[] {
  const size = columns.size;
  const index = new Map(ordered.map((d, i) => [d.name, i]));
  const members: Uint8Array[] = [];
  const evaluate = (condition: Condition): Uint8Array => {
    switch (condition.type) {
      case 'compare':
        return compare(condition, columns, now);
      case 'event':
        return events(condition, columns, now, ledgersOf);
      case 'segment': {
        const i = index.get(condition.name);
        const decided = i === undefined ? undefined : members[i];
        if (decided === undefined) throw new Error(`segment "${condition.name}" is not defined before its use; order the definitions first`);
        return decided;
      }
      case 'all':
        return combine(condition.conditions.map(evaluate), (a, b) => a & b);
      case 'any':
        return combine(condition.conditions.map(evaluate), (a, b) => a | b);
      case 'not': {
        const inner = evaluate(condition.condition);
        const out = new Uint8Array(size);
        for (let i = 0; i < size; i++) out[i] = 1 - (inner[i] as number);
        return out;
      }
    }
  };
  for (const definition of ordered) {
    const result = evaluate(definition.condition);
    // A definition that is only a reference gets its own array, so no two definitions share one.
    members.push(definition.condition.type === 'segment' ? result.slice() : result);
  }
  return members;
}

function combine(parts: readonly Uint8Array[], join: (a: number, b: number) => number): Uint8Array {
  const [first, ...rest] = parts;
  if (first === undefined) throw new Error('all / any without conditions');
  const out = first.slice();
  for (const part of rest) for (let i = 0; i < out.length; i++) out[i] = join(out[i] as number, part[i] as number);
  return out;
}

function compare(condition: CompareCondition, columns: FactColumns, now: Date): Uint8Array {
  const actual = columns.column(condition.field);
  const { op, value } = condition;
  if (value !== undefined && typeof value === 'object' && !Array.isArray(value)) {
    if ('percentile' in value) return compareTo(op, actual, percentileOf(columns.population, condition.field, value.percentile), now);
    return compareToField(op, actual, columns.column(value.field), value, now);
  }
  return compareTo(op, actual, value, now);
}

/** Against another fact scaled (resolveOperand's rule): field × multiply, at least atLeast, ifMissing when absent. */
function compareToField(
  op: CompareCondition['op'],
  actual: Column,
  base: Column,
  operand: { readonly multiply?: number | undefined; readonly atLeast?: number | undefined; readonly ifMissing?: number | undefined },
  now: Date,
): Uint8Array {
  const size = actual.values.length;
  const { multiply = 1, atLeast, ifMissing } = operand;
  const out = new Uint8Array(size);
  if (actual.kind === 'number' && base.kind === 'number' && (op === 'gt' || op === 'gte' || op === 'lt' || op === 'lte')) {
    const test = ORDER_TESTS[op];
    for (let i = 0; i < size; i++) {
      const b = base.values[i] as number;
      const expected = base.present[i] !== 1 ? ifMissing : atLeast === undefined ? b * multiply : Math.max(atLeast, b * multiply);
      // An absent actual is NaN and passes no ordering test, as undefined fails compareValues.
      out[i] = expected !== undefined && test(actual.values[i] as number, expected) ? 1 : 0;
    }
    return out;
  }
  for (let i = 0; i < size; i++) {
    const b = valueAt(base, i);
    const expected = typeof b !== 'number' ? ifMissing : atLeast === undefined ? b * multiply : Math.max(atLeast, b * multiply);
    out[i] = compareValues(op, valueAt(actual, i), expected, now) ? 1 : 0;
  }
  return out;
}

const ORDER_TESTS = {
  gt: (a: number, b: number) => a > b,
  gte: (a: number, b: number) => a >= b,
  lt: (a: number, b: number) => a < b,
  lte: (a: number, b: number) => a <= b,
} as const;

/**
 * Against a value known before the loop. A number column holds only numbers, so compareValues's
 * outcome for most operators follows from the expected value's type; plain-value columns use
 * compareValues itself.
 */
function compareTo(op: CompareCondition['op'], actual: Column, expected: unknown, now: Date): Uint8Array {
  const size = actual.values.length;
  const out = new Uint8Array(size);
  if (actual.kind === 'value') {
    for (let i = 0; i < size; i++) out[i] = compareValues(op, actual.values[i], expected, now) ? 1 : 0;
    return out;
  }
  const { values, present } = actual;
  if (op === 'exists') return present.slice();
  if (op === 'missing') {
    for (let i = 0; i < size; i++) out[i] = 1 - (present[i] as number);
    return out;
  }
  if (expected === undefined || expected === null) return out;
  switch (op) {
    case 'eq':
      // Absent customers hold NaN, which equals nothing.
      if (typeof expected === 'number') for (let i = 0; i < size; i++) out[i] = values[i] === expected ? 1 : 0;
      return out;
    case 'neq':
      for (let i = 0; i < size; i++) out[i] = present[i] === 1 && values[i] !== expected ? 1 : 0;
      return out;
    case 'in': {
      if (!Array.isArray(expected)) return out;
      const numbers = expected.filter((e): e is number => typeof e === 'number');
      // Array.prototype.includes finds NaN; === does not.
      const nan = numbers.some((n) => Number.isNaN(n));
      for (let i = 0; i < size; i++) {
        const v = values[i] as number;
        let hit = 0;
        for (const n of numbers) if (v === n) hit = 1;
        if (nan && present[i] === 1 && Number.isNaN(v)) hit = 1;
        out[i] = hit;
      }
      return out;
    }
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte': {
      // Numbers are ordered only against numbers; an absent NaN passes no test.
      if (typeof expected !== 'number') return out;
      const e = expected;
      if (op === 'gt') for (let i = 0; i < size; i++) out[i] = (values[i] as number) > e ? 1 : 0;
      else if (op === 'gte') for (let i = 0; i < size; i++) out[i] = (values[i] as number) >= e ? 1 : 0;
      else if (op === 'lt') for (let i = 0; i < size; i++) out[i] = (values[i] as number) < e ? 1 : 0;
      else for (let i = 0; i < size; i++) out[i] = (values[i] as number) <= e ? 1 : 0;
      return out;
    }
    case 'contains':
    case 'withinDays':
    case 'olderThanDays':
      // These need a list or a string (a date); a number is neither.
      return out;
  }
}

/** Customers without events are decided at once (as compile.ts does); the others by the interpreter. */
function events(condition: EventCondition, columns: FactColumns, now: Date, ledgersOf: ((index: number) => Ledgers | undefined) | undefined): Uint8Array {
  const out = new Uint8Array(columns.size);
  const empty = condition.perProperty === undefined && condition.minCount === 0 ? 1 : 0;
  const context = { now, population: columns.population, decided: new Map<string, boolean>() };
  for (let i = 0; i < columns.size; i++) {
    const ledgers = ledgersOf?.(i);
    out[i] = ledgers === undefined || ledgers.events.length === 0 ? empty : evaluateCondition(condition, {}, { ...context, ledgers }).matched ? 1 : 0;
  }
  return out;
}
