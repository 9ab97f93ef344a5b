import { assertNever } from '../assert-never.ts';
import type { CompareCondition, Condition, EventCondition, SegmentDefinition } from './definition.ts';
import { compareValues, evaluateCondition } from './evaluate.ts';
import type { Ledgers } from './facts.ts';
import { factColumns, valueAt, type Column, type FactColumns, type ProfileColumns } from './columns.ts';
import { percentileOf, type PopulationStats } from './population.ts';

/**
 * The members of one segment as a bitset: customer i is a member when bit i % 32 of word
 * floor(i / 32) is set. A million customers take 125 kB, and all / any / not are word operations.
 */
export type Members = Uint32Array;

export function isMember(members: Members, i: number): boolean {
  return (((members[i >>> 5] as number) >>> (i & 31)) & 1) === 1;
}

/**
 * Ordered definitions evaluated for a whole population at once, condition by condition over fact
 * columns (columns.ts): each comparison is one loop over a typed array, all / any / not combine
 * bitsets word by word. This is the product's one evaluator; its decisions are those of the
 * interpreter (evaluate.ts), which explains them and which the unit tests check it against condition
 * by condition and on the built-in catalogue. Conditions have no side effects, so evaluating every branch gives what short-circuiting
 * gives, and a comparison used by several definitions (orders ≥ 1, rfm.r = 5) is made once.
 */
export function evaluateColumns(
  ordered: readonly SegmentDefinition[],
  columns: FactColumns,
  now: Date,
  /** A customer's events and order lines, for event conditions; none when absent. */
  ledgersOf?: (index: number) => Ledgers | undefined,
): Members[] {
  const size = columns.size;
  const words = Math.ceil(size / 32);
  const index = new Map(ordered.map((d, i) => [d.name, i]));
  const members: Members[] = [];
  const compared = new Map<string, Members>();
  const evaluate = (condition: Condition): Members => {
    switch (condition.type) {
      case 'compare': {
        let key = comparisonKeys.get(condition);
        if (key === undefined) comparisonKeys.set(condition, (key = JSON.stringify([condition.field, condition.op, condition.value])));
        let result = compared.get(key);
        if (result === undefined) compared.set(key, (result = compare(condition, columns, now)));
        return result;
      }
      case 'event':
        return events(condition, columns, now, ledgersOf);
      case 'segment': {
        const i = index.get(condition.name);
        const decided = i === undefined ? undefined : members[i];
        if (decided === undefined) throw new Error(`segment "${condition.name}" is not defined before its use; order the definitions first`);
        return decided;
      }
      case 'all': {
        const [first, ...rest] = condition.conditions.map(evaluate);
        const out = new Uint32Array(words);
        if (first !== undefined) out.set(first);
        for (const part of rest) for (let w = 0; w < words; w++) out[w] = (out[w] as number) & (part[w] as number);
        return out;
      }
      case 'any': {
        const out = new Uint32Array(words);
        for (const part of condition.conditions.map(evaluate)) for (let w = 0; w < words; w++) out[w] = (out[w] as number) | (part[w] as number);
        return out;
      }
      case 'not': {
        const inner = evaluate(condition.condition);
        const out = new Uint32Array(words);
        for (let w = 0; w < words; w++) out[w] = ~(inner[w] as number);
        // Bits past the last customer stay clear, so counts and later "not"s stay right.
        if (size % 32 !== 0) out[words - 1] = (out[words - 1] as number) & ((1 << size % 32) - 1);
        return out;
      }
      default:
        return assertNever(condition, 'unhandled condition');
    }
  };
  for (const definition of ordered) {
    // Results may be shared (a reference, a remembered comparison): each definition gets its own.
    members.push(evaluate(definition.condition).slice());
  }
  return members;
}

/**
 * The decisions for a batch of customers (loaded into columns) scored against the statistics of
 * the whole population: what refreshCustomers runs for each batch it reads (ingest's touched
 * customers, a re-segmentation worker's page). Member s of the result holds ordered[s]'s members by
 * their index in the batch.
 */
export function evaluateBatch(
  ordered: readonly SegmentDefinition[],
  batch: ProfileColumns,
  now: Date,
  population: PopulationStats,
  ledgersOf?: (index: number) => Ledgers | undefined,
): Members[] {
  return evaluateColumns(ordered, factColumns(batch, now, population), now, ledgersOf);
}

/** A comparison's identity (equal comparisons in different definitions are made once), per condition. */
const comparisonKeys = new WeakMap<CompareCondition, string>();

/** Bits from a test of each customer: for the comparisons that are not plain loops over numbers. */
function bitsOf(size: number, test: (i: number) => boolean): Members {
  const out = new Uint32Array(Math.ceil(size / 32));
  for (let i = 0; i < size; i++) if (test(i)) out[i >>> 5] = (out[i >>> 5] as number) | (1 << (i & 31));
  return out;
}

function compare(condition: CompareCondition, columns: FactColumns, now: Date): Members {
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
): Members {
  const { multiply = 1, atLeast, ifMissing } = operand;
  if (actual.kind === 'number' && base.kind === 'number' && (op === 'gt' || op === 'gte' || op === 'lt' || op === 'lte')) {
    const size = actual.values.length;
    const out = new Uint32Array(Math.ceil(size / 32));
    const a = actual.values;
    for (let i = 0; i < size; i++) {
      const b = base.values[i] as number;
      const expected = base.present[i] !== 1 ? ifMissing : atLeast === undefined ? b * multiply : Math.max(atLeast, b * multiply);
      // No expected value passes nothing; an absent actual is NaN and passes no ordering test.
      if (expected === undefined) continue;
      const v = a[i] as number;
      const hit = op === 'gt' ? v > expected : op === 'gte' ? v >= expected : op === 'lt' ? v < expected : v <= expected;
      if (hit) out[i >>> 5] = (out[i >>> 5] as number) | (1 << (i & 31));
    }
    return out;
  }
  return bitsOf(actual.values.length, (i) => {
    const b = valueAt(base, i);
    const expected = typeof b !== 'number' ? ifMissing : atLeast === undefined ? b * multiply : Math.max(atLeast, b * multiply);
    return compareValues(op, valueAt(actual, i), expected, now);
  });
}

/**
 * Against a value known before the loop. A number column holds only numbers, so compareValues's
 * outcome for most operators follows from the expected value's type; plain-value columns use
 * compareValues itself.
 */
function compareTo(op: CompareCondition['op'], actual: Column, expected: unknown, now: Date): Members {
  const size = actual.values.length;
  if (actual.kind === 'value') return bitsOf(size, (i) => compareValues(op, actual.values[i], expected, now));
  const { values, present } = actual;
  // The empty bitset, made only when it is the answer.
  const none = () => new Uint32Array(Math.ceil(size / 32));
  switch (op) {
    case 'exists':
      return bytesToBits(present, 1);
    case 'missing':
      return bytesToBits(present, 0);
  }
  if (expected === undefined || expected === null) return none();
  switch (op) {
    case 'eq':
      // Absent customers hold NaN, which equals nothing.
      return typeof expected === 'number' ? EQ(values, expected) : none();
    case 'neq':
      return notEqualBits(values, present, expected);
    case 'in': {
      if (!Array.isArray(expected)) return none();
      const numbers = expected.filter((e): e is number => typeof e === 'number');
      // Array.prototype.includes finds NaN, which === does not: the rare list holding NaN takes includes.
      if (numbers.some((n) => Number.isNaN(n))) return bitsOf(size, (i) => present[i] === 1 && numbers.includes(values[i] as number));
      const out = none();
      for (const n of numbers) {
        const hits = EQ(values, n);
        for (let w = 0; w < out.length; w++) out[w] = (out[w] as number) | (hits[w] as number);
      }
      return out;
    }
    case 'gt':
      return typeof expected === 'number' ? GT(values, expected) : none();
    case 'gte':
      return typeof expected === 'number' ? GTE(values, expected) : none();
    case 'lt':
      return typeof expected === 'number' ? LT(values, expected) : none();
    case 'lte':
      return typeof expected === 'number' ? LTE(values, expected) : none();
    case 'contains':
    case 'withinDays':
    case 'olderThanDays':
      // These need a list or a string (a date); a number is neither.
      return none();
    default:
      return assertNever(op, 'unhandled condition');
  }
}

// One loop per test, each kept tight by V8: the customers whose number passes it, 32 at a time.
// An absent fact is NaN, which passes none of them.
const EQ = (values: Float64Array, e: number): Members => {
  const out = new Uint32Array(Math.ceil(values.length / 32));
  for (let i = 0; i < values.length; i++) if (values[i] === e) out[i >>> 5] = (out[i >>> 5] as number) | (1 << (i & 31));
  return out;
};
const GT = (values: Float64Array, e: number): Members => {
  const out = new Uint32Array(Math.ceil(values.length / 32));
  for (let i = 0; i < values.length; i++) if ((values[i] as number) > e) out[i >>> 5] = (out[i >>> 5] as number) | (1 << (i & 31));
  return out;
};
const GTE = (values: Float64Array, e: number): Members => {
  const out = new Uint32Array(Math.ceil(values.length / 32));
  for (let i = 0; i < values.length; i++) if ((values[i] as number) >= e) out[i >>> 5] = (out[i >>> 5] as number) | (1 << (i & 31));
  return out;
};
const LT = (values: Float64Array, e: number): Members => {
  const out = new Uint32Array(Math.ceil(values.length / 32));
  for (let i = 0; i < values.length; i++) if ((values[i] as number) < e) out[i >>> 5] = (out[i >>> 5] as number) | (1 << (i & 31));
  return out;
};
const LTE = (values: Float64Array, e: number): Members => {
  const out = new Uint32Array(Math.ceil(values.length / 32));
  for (let i = 0; i < values.length; i++) if ((values[i] as number) <= e) out[i >>> 5] = (out[i >>> 5] as number) | (1 << (i & 31));
  return out;
};

/** The customers with a number other than e (a number column's present ones when e is not a number). */
function notEqualBits(values: Float64Array, present: Uint8Array, e: unknown): Members {
  const out = new Uint32Array(Math.ceil(values.length / 32));
  for (let i = 0; i < values.length; i++) if (present[i] === 1 && values[i] !== e) out[i >>> 5] = (out[i >>> 5] as number) | (1 << (i & 31));
  return out;
}

/** The customers whose byte equals `wanted` (a presence column: 1 present, 0 absent). */
function bytesToBits(bytes: Uint8Array, wanted: number): Members {
  const size = bytes.length;
  const out = new Uint32Array(Math.ceil(size / 32));
  for (let w = 0, from = 0; from < size; w++, from += 32) {
    const to = Math.min(size, from + 32);
    let bits = 0;
    for (let i = from; i < to; i++) if (bytes[i] === wanted) bits |= 1 << (i - from);
    out[w] = bits;
  }
  return out;
}

/** Customers without events are decided at once; the others by the interpreter. */
function events(condition: EventCondition, columns: FactColumns, now: Date, ledgersOf: ((index: number) => Ledgers | undefined) | undefined): Members {
  const empty = condition.perProperty === undefined && condition.minCount === 0;
  if (ledgersOf === undefined) {
    const out = new Uint32Array(Math.ceil(columns.size / 32));
    if (empty) for (let i = 0; i < columns.size; i++) out[i >>> 5] = (out[i >>> 5] as number) | (1 << (i & 31));
    return out;
  }
  const context = { now, population: columns.population, decided: new Map<string, boolean>() };
  return bitsOf(columns.size, (i) => {
    const ledgers = ledgersOf?.(i);
    return ledgers === undefined || ledgers.events.length === 0 ? empty : evaluateCondition(condition, {}, { ...context, ledgers }).matched;
  });
}
