/**
 * The facts a segment condition reads: nested plain values, each found by a dotted path
 * ("orders.revenue", "contact.country"). facts.ts builds them for a customer; the population
 * statistics and the interpreter read them.
 */
export type Facts = Readonly<Record<string, unknown>>;

/** Reads a dotted path through own properties only: "contact.constructor" never reaches a prototype. */
export function lookupFact(facts: Facts, path: string): unknown {
  let value: unknown = facts;
  for (const key of pathKeys(path)) {
    if (value === null || typeof value !== 'object') return undefined;
    const found: unknown = (value as Record<string, unknown>)[key];
    // A missing fact is the common case and needs no own-property check.
    if (found === undefined || !Object.hasOwn(value, key)) return undefined;
    value = found;
  }
  return value;
}

// Fact paths come from definitions, a few dozen in all: split each once.
const splitPaths = new Map<string, readonly string[]>();

function pathKeys(path: string): readonly string[] {
  let keys = splitPaths.get(path);
  if (keys === undefined) {
    keys = path.split('.');
    if (splitPaths.size < 10_000) splitPaths.set(path, keys);
  }
  return keys;
}
