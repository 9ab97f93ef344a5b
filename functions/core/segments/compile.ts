import type { CompareCondition, Condition, SegmentDefinition } from './definition.ts';
import { compareValues, evaluateCondition, type EvaluationContext } from './evaluate.ts';
import type { Facts, Ledgers } from './facts.ts';
import { percentileOf, type PopulationStats } from './population.ts';

/**
 * Definitions compiled into closures for one evaluation time and population, deciding customer by
 * customer ("member or not"). This was re-segmentation's hot path until refreshCustomers moved to
 * deciding whole batches in columns (evaluate-columns.ts); it stays as the fast independent check
 * of that evaluator: the unit tests and bench:segments run the interpreter (evaluate.ts, which
 * explains), this and the columns side by side on the same customers. It shares compareValues's
 * semantics, with the common comparisons specialized.
 */
export interface CompiledCatalog {
  readonly definitions: readonly SegmentDefinition[];
  /** matched[i] tells whether the customer is in definitions[i]. */
  evaluate(facts: Facts, ledgers: Ledgers): boolean[];
}

/** slots holds the customer's value of every field the catalog reads, each read once per customer. */
type Test = (slots: readonly unknown[], facts: Facts, ledgers: Ledgers, decided: readonly boolean[]) => boolean;

const DAY_MS = 86_400_000;

export function compileCatalog(ordered: readonly SegmentDefinition[], now: Date, population: PopulationStats): CompiledCatalog {
  const index = new Map(ordered.map((d, i) => [d.name, i]));
  const context: Omit<EvaluationContext, 'ledgers' | 'decided'> = { now, population };
  const fields = new FieldTable();
  const compile = (condition: Condition): Test => {
    switch (condition.type) {
      case 'compare':
        return compileCompare(condition, now, population, fields);
      case 'event': {
        // Most customers have no events: decide those without walking anything.
        const empty = condition.perProperty === undefined && condition.minCount === 0;
        return (_slots, facts, ledgers, decided) =>
          ledgers.events.length === 0
            ? empty
            : evaluateCondition(condition, facts, { ...context, ledgers, decided: decidedMap(ordered, decided) }).matched;
      }
      case 'segment': {
        const i = index.get(condition.name);
        if (i === undefined) throw new Error(`segment "${condition.name}" is not defined before its use; order the definitions first`);
        return (_slots, _facts, _ledgers, decided) => decided[i] === true;
      }
      case 'all':
        return every(condition.conditions.map(compile));
      case 'any':
        return some(condition.conditions.map(compile));
      case 'not': {
        const inner = compile(condition.condition);
        return (slots, facts, ledgers, decided) => !inner(slots, facts, ledgers, decided);
      }
    }
  };
  const tests = ordered.map((d) => compile(d.condition));
  const count = tests.length;
  const load = fields.loader();
  // One buffer for every customer: evaluate is synchronous and the slots never leave it.
  const slots: unknown[] = new Array<unknown>(fields.size).fill(undefined);
  // Copied whole rather than grown by push; a definition only refers to ones before it.
  const undecided: readonly boolean[] = new Array<boolean>(count).fill(false);
  return {
    definitions: ordered,
    evaluate(facts, ledgers) {
      load(facts, slots);
      const decided = undecided.slice();
      for (let i = 0; i < count; i++) decided[i] = (tests[i] as Test)(slots, facts, ledgers, decided);
      return decided;
    },
  };
}

/** all: short-circuits in order, like Array.every; the common arities without a loop. */
function every(tests: readonly Test[]): Test {
  const [a, b, c] = tests;
  if (tests.length === 1 && a) return a;
  if (tests.length === 2 && a && b) return (s, facts, ledgers, decided) => a(s, facts, ledgers, decided) && b(s, facts, ledgers, decided);
  if (tests.length === 3 && a && b && c) {
    return (s, facts, ledgers, decided) => a(s, facts, ledgers, decided) && b(s, facts, ledgers, decided) && c(s, facts, ledgers, decided);
  }
  return (s, facts, ledgers, decided) => {
    for (const test of tests) if (!test(s, facts, ledgers, decided)) return false;
    return true;
  };
}

/** any: short-circuits in order, like Array.some. */
function some(tests: readonly Test[]): Test {
  const [a, b] = tests;
  if (tests.length === 1 && a) return a;
  if (tests.length === 2 && a && b) return (s, facts, ledgers, decided) => a(s, facts, ledgers, decided) || b(s, facts, ledgers, decided);
  return (s, facts, ledgers, decided) => {
    for (const test of tests) if (test(s, facts, ledgers, decided)) return true;
    return false;
  };
}

function compileCompare(condition: CompareCondition, now: Date, population: PopulationStats, fields: FieldTable): Test {
  const at = fields.slot(condition.field);
  const { op, value } = condition;
  if (value !== undefined && typeof value === 'object' && !Array.isArray(value)) {
    if ('percentile' in value) return compareTo(op, at, percentileOf(population, condition.field, value.percentile), now);
    const other = fields.slot(value.field);
    const { multiply = 1, atLeast, ifMissing } = value;
    return (s) => {
      const base = s[other];
      const expected = typeof base !== 'number' ? ifMissing : atLeast === undefined ? base * multiply : Math.max(atLeast, base * multiply);
      return compareValues(op, s[at], expected, now);
    };
  }
  return compareTo(op, at, value, now);
}

/**
 * A comparison against a value known at compile time, specialized by operator and the value's type
 * so that the per-customer work is one read and one test. Anything unusual falls back to
 * compareValues itself, so the two paths cannot disagree.
 */
function compareTo(op: CompareCondition['op'], at: number, expected: unknown, now: Date): Test {
  if (op === 'exists') return (s) => s[at] != null;
  if (op === 'missing') return (s) => s[at] == null;
  if (expected === undefined || expected === null) return () => false;
  const number = typeof expected === 'number';
  const string = typeof expected === 'string';
  switch (op) {
    case 'eq':
      return (s) => s[at] === expected;
    case 'neq':
      return (s) => {
        const actual = s[at];
        return actual != null && actual !== expected;
      };
    case 'in':
      if (!Array.isArray(expected)) return () => false;
      return (s) => {
        const actual = s[at];
        return actual != null && expected.includes(actual);
      };
    case 'gt':
      if (number) {
        return (s) => {
          const actual = s[at];
          return typeof actual === 'number' && actual > expected;
        };
      }
      if (string) return (s) => ordered(s[at], expected, (a, b) => a > b);
      return () => false;
    case 'gte':
      if (number) {
        return (s) => {
          const actual = s[at];
          return typeof actual === 'number' && actual >= expected;
        };
      }
      if (string) return (s) => ordered(s[at], expected, (a, b) => a >= b);
      return () => false;
    case 'lt':
      if (number) {
        return (s) => {
          const actual = s[at];
          return typeof actual === 'number' && actual < expected;
        };
      }
      if (string) return (s) => ordered(s[at], expected, (a, b) => a < b);
      return () => false;
    case 'lte':
      if (number) {
        return (s) => {
          const actual = s[at];
          return typeof actual === 'number' && actual <= expected;
        };
      }
      if (string) return (s) => ordered(s[at], expected, (a, b) => a <= b);
      return () => false;
    case 'withinDays':
    case 'olderThanDays': {
      if (!number) return () => false;
      const today = now.getTime();
      return (s) => {
        const actual = s[at];
        const time = typeof actual === 'string' ? Date.parse(actual) : Number.NaN;
        if (Number.isNaN(time)) return false;
        const ageDays = (today - time) / DAY_MS;
        return op === 'withinDays' ? ageDays >= 0 && ageDays <= expected : ageDays > expected;
      };
    }
    case 'contains':
      return (s) => compareValues(op, s[at], expected, now);
  }
}

function ordered(actual: unknown, expected: string, test: (a: string, b: string) => boolean): boolean {
  return typeof actual === 'string' && test(actual, expected);
}

/**
 * The fields a catalog reads, each given a slot. Per customer, loader() reads every field once
 * through own properties only ("contact.constructor" never reaches a prototype; a property that is
 * not own reads as undefined, as lookupFact does), sharing the walk through common parents, so that
 * 11 RFM cells reading rfm.r cost one lookup.
 */
class FieldTable {
  private readonly slots = new Map<string, number>();

  get size(): number {
    return this.slots.size;
  }

  slot(path: string): number {
    let slot = this.slots.get(path);
    if (slot === undefined) this.slots.set(path, (slot = this.slots.size));
    return slot;
  }

  loader(): (facts: Facts, slots: unknown[]) => void {
    type Node = { readonly key: string; readonly slot: number | undefined; readonly children: Node[] };
    const root: Node[] = [];
    for (const [path, slot] of this.slots) {
      let level = root;
      const keys = path.split('.');
      keys.forEach((key, depth) => {
        const last = depth === keys.length - 1;
        let node = level.find((n) => n.key === key && (n.slot === undefined) === !last);
        if (node === undefined || last) level.push((node = { key, slot: last ? slot : undefined, children: [] }));
        level = node.children;
      });
    }
    const walk = (nodes: readonly Node[]): ((value: unknown, slots: unknown[]) => void) => {
      const steps = nodes.map((node) => {
        const { key, slot } = node;
        if (slot !== undefined) return (value: unknown, slots: unknown[]) => void (slots[slot] = step(value, key));
        const below = walk(node.children);
        return (value: unknown, slots: unknown[]) => below(step(value, key), slots);
      });
      return (value, slots) => {
        for (const s of steps) s(value, slots);
      };
    };
    return walk(root);
  }
}

function step(value: unknown, key: string): unknown {
  if (value === null || typeof value !== 'object') return undefined;
  // Most reads find nothing (no model, no demographics): only a value found needs the own check.
  const found = (value as Record<string, unknown>)[key];
  return found !== undefined && Object.hasOwn(value, key) ? found : undefined;
}

function decidedMap(ordered: readonly SegmentDefinition[], decided: readonly boolean[]): Map<string, boolean> {
  return new Map(decided.map((matched, i) => [ordered[i]?.name ?? '', matched]));
}
