import type { CompareCondition, Condition, SegmentDefinition } from './definition.ts';
import { compareValues, evaluateCondition, type EvaluationContext } from './evaluate.ts';
import type { Facts, Ledgers } from './facts.ts';
import { percentileOf, type PopulationStats } from './population.ts';

/**
 * Definitions compiled into closures for one evaluation time and population: the hot path of
 * re-segmentation, which only needs "member or not" for every customer. Reasons are built by the
 * interpreter (evaluate.ts) for the few memberships that change; both share compareValues, and a
 * test runs them side by side on the same profiles.
 */
export interface CompiledCatalog {
  readonly definitions: readonly SegmentDefinition[];
  /** matched[i] tells whether the customer is in definitions[i]. */
  evaluate(facts: Facts, ledgers: Ledgers): boolean[];
}

type Test = (facts: Facts, ledgers: Ledgers, decided: readonly boolean[]) => boolean;

export function compileCatalog(ordered: readonly SegmentDefinition[], now: Date, population: PopulationStats): CompiledCatalog {
  const index = new Map(ordered.map((d, i) => [d.name, i]));
  const context: Omit<EvaluationContext, 'ledgers' | 'decided'> = { now, population };
  const compile = (condition: Condition): Test => {
    switch (condition.type) {
      case 'compare':
        return compileCompare(condition, now, population);
      case 'event': {
        // Most customers have no events: decide those without walking anything.
        const empty = condition.perProperty === undefined && condition.minCount === 0;
        return (facts, ledgers, decided) =>
          ledgers.events.length === 0
            ? empty
            : evaluateCondition(condition, facts, { ...context, ledgers, decided: decidedMap(ordered, decided) }).matched;
      }
      case 'segment': {
        const i = index.get(condition.name);
        if (i === undefined) throw new Error(`segment "${condition.name}" is not defined before its use; order the definitions first`);
        return (_facts, _ledgers, decided) => decided[i] === true;
      }
      case 'all': {
        const tests = condition.conditions.map(compile);
        return (facts, ledgers, decided) => tests.every((t) => t(facts, ledgers, decided));
      }
      case 'any': {
        const tests = condition.conditions.map(compile);
        return (facts, ledgers, decided) => tests.some((t) => t(facts, ledgers, decided));
      }
      case 'not': {
        const inner = compile(condition.condition);
        return (facts, ledgers, decided) => !inner(facts, ledgers, decided);
      }
    }
  };
  const tests = ordered.map((d) => compile(d.condition));
  return {
    definitions: ordered,
    evaluate(facts, ledgers) {
      const decided: boolean[] = [];
      for (const test of tests) decided.push(test(facts, ledgers, decided));
      return decided;
    },
  };
}

function compileCompare(condition: CompareCondition, now: Date, population: PopulationStats): Test {
  const read = reader(condition.field);
  const { op, value } = condition;
  if (value !== undefined && typeof value === 'object' && !Array.isArray(value)) {
    if ('percentile' in value) {
      const threshold = percentileOf(population, condition.field, value.percentile);
      return (facts) => compareValues(op, read(facts), threshold, now);
    }
    const other = reader(value.field);
    const { multiply = 1, atLeast, ifMissing } = value;
    return (facts) => {
      const base = other(facts);
      const expected = typeof base !== 'number' ? ifMissing : atLeast === undefined ? base * multiply : Math.max(atLeast, base * multiply);
      return compareValues(op, read(facts), expected, now);
    };
  }
  return (facts) => compareValues(op, read(facts), value, now);
}

/** A dotted-path reader over own properties only, split once. */
function reader(path: string): (facts: Facts) => unknown {
  const keys = path.split('.');
  return (facts) => {
    let value: unknown = facts;
    for (const key of keys) {
      if (value === null || typeof value !== 'object' || !Object.hasOwn(value, key)) return undefined;
      value = (value as Record<string, unknown>)[key];
    }
    return value;
  };
}

function decidedMap(ordered: readonly SegmentDefinition[], decided: readonly boolean[]): Map<string, boolean> {
  return new Map(decided.map((matched, i) => [ordered[i]?.name ?? '', matched]));
}
