import { InputError } from '../errors.ts';
import { leafConditions, parseSegmentDefinition, type Condition, type SegmentDefinition } from './definition.ts';
import { builtinSegments, DEFAULT_BUILTIN_CONFIG, parseBuiltinConfig } from './builtin.ts';
import { evaluateSegment, type Evaluation, type EvaluationContext } from './evaluate.ts';
import type { Facts } from './fact-path.ts';

/**
 * A checked, ordered set of definitions: names unique, every "segment" reference known, no cycles,
 * and each definition after the ones it refers to so one pass evaluates them all.
 */
export function orderDefinitions(definitions: readonly SegmentDefinition[]): SegmentDefinition[] {
  const byName = new Map<string, SegmentDefinition>();
  for (const d of definitions) {
    if (byName.has(d.name)) throw new InputError(`segment "${d.name}" is defined twice`);
    byName.set(d.name, d);
  }
  const ordered: SegmentDefinition[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (d: SegmentDefinition, path: readonly string[]): void => {
    if (state.get(d.name) === 'done') return;
    if (state.get(d.name) === 'visiting') throw new InputError(`segment references form a cycle: ${[...path, d.name].join(' → ')}`);
    state.set(d.name, 'visiting');
    for (const ref of references(d.condition)) {
      const target = byName.get(ref);
      if (target === undefined) throw new InputError(`segment "${d.name}" refers to unknown segment "${ref}"`);
      visit(target, [...path, d.name]);
    }
    state.set(d.name, 'done');
    ordered.push(d);
  };
  for (const d of definitions) visit(d, []);
  return ordered;
}

export function references(condition: Condition): string[] {
  return leafConditions(condition).flatMap((c) => (c.type === 'segment' ? [c.name] : []));
}

/** Evaluates ordered definitions for one customer; later ones may refer to earlier results. */
export function evaluateAll(
  ordered: readonly SegmentDefinition[],
  facts: Facts,
  context: Omit<EvaluationContext, 'decided'>,
): Map<string, Evaluation> {
  const results = new Map<string, Evaluation>();
  const decided = new Map<string, boolean>();
  for (const definition of ordered) {
    const result = evaluateSegment(definition, facts, { ...context, decided });
    results.set(definition.name, result);
    decided.set(definition.name, result.matched);
  }
  return results;
}

/**
 * The definitions in force: the built-ins (thresholds from the optional configuration) and the
 * user's own. A user definition with a built-in's name replaces it. The result is checked and
 * ordered; any invalid file fails the whole set with its name, so nothing half-valid is applied.
 */
export function assembleDefinitions(
  builtinConfig: unknown,
  userDefinitions: readonly { readonly source: string; readonly json: unknown }[],
): SegmentDefinition[] {
  const builtins = builtinSegments(builtinConfig === undefined ? DEFAULT_BUILTIN_CONFIG : parseBuiltinConfig(builtinConfig, BUILTIN_CONFIG_KEY));
  const own = userDefinitions.map(({ source, json }) => parseSegmentDefinition(json, source));
  const ownNames = new Set(own.map((d) => d.name));
  return orderDefinitions([...builtins.filter((d) => !ownNames.has(d.name)), ...own]);
}

/** Where definitions live in the data bucket. */
export const SEGMENTS_PREFIX = 'config/segments/';
export const BUILTIN_CONFIG_KEY = `${SEGMENTS_PREFIX}builtin.json`;
