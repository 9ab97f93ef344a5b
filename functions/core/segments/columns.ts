import type { OrderAggregates } from '../profile.ts';
import { demographicFacts, epochDay, RFM_SCORES, returnShareOf, todayOf, topCategoryOf, type CustomerFactsInput } from './facts.ts';
import { fieldStatsOf, RFM_FIELDS, type FieldStats, type PopulationStats } from './population.ts';

/**
 * The facts of a whole population as columns, one per fact a catalog reads: what buildFacts gives
 * every customer, without an object per customer. A bulk evaluation (the benchmark, re-segmenting
 * everyone) reads each fact for every customer; in columns that is a loop over a typed array, and
 * the population statistics are a typed-array sort. Values are exactly buildFacts's (the unit
 * tests compare the two on generated and CDNOW profiles); evaluate-columns.ts evaluates over them.
 */

/**
 * A fact for every customer. Numbers: `values[i]` (NaN when absent) and `present[i]` (1 when the
 * customer has a number, NaN included). Anything else (a string, a list, null, numbers mixed with
 * others): `values[i]` as lookupFact would return it.
 */
export type Column =
  | { readonly kind: 'number'; readonly values: Float64Array; readonly present: Uint8Array }
  | { readonly kind: 'value'; readonly values: readonly unknown[] };

export interface FactColumns {
  readonly size: number;
  /** The statistics finalizeStats gives for these customers' facts (before scoring), for the fields asked. */
  readonly population: PopulationStats;
  /** The column of a dotted fact path that was asked for (or any other; those are built on demand). */
  column(path: string): Column;
}

/** What lookupFact(buildFacts(inputs[i], now, population), path) is, for every i, as columns. */
export function factColumns(inputs: readonly CustomerFactsInput[], now: Date, statsFields: readonly string[]): FactColumns {
  const size = inputs.length;
  const today = todayOf(now);
  const built = new Map<string, Column>();
  let scored = false;
  let population: PopulationStats = { fields: {} };

  const ordersOf = (i: number): OrderAggregates | undefined => (inputs[i] as CustomerFactsInput).orders;
  // Derived order facts buildFacts adds to (or puts over) the aggregates' own properties.
  const derived: Record<string, ((orders: OrderAggregates) => unknown) | undefined> = {
    lastOrderDay: (orders) => epochDay(orders.lastOrderAt),
    daysSinceLastOrder: (orders) => today - epochDay(orders.lastOrderAt),
    daysSinceFirstOrder: (orders) => today - epochDay(orders.firstOrderAt),
    returnShare: (orders) => returnShareOf(orders),
    topCategory: (orders) => {
      const top = topCategoryOf(orders);
      return top === undefined ? ownEnumerable(orders, 'topCategory') : top[0];
    },
    topCategoryShare: (orders) => {
      const top = topCategoryOf(orders);
      return top === undefined ? ownEnumerable(orders, 'topCategoryShare') : top[1];
    },
  };

  const ordersColumn = (key: string): Column => {
    const read = Object.hasOwn(derived, key) ? derived[key] : undefined;
    const out = new ColumnBuilder(size);
    for (let i = 0; i < size; i++) {
      const orders = ordersOf(i);
      if (orders !== undefined) out.set(i, read === undefined ? ownEnumerable(orders, key) : read(orders));
    }
    return out.build();
  };

  // The RFM facts of DESIGN.md: before scoring (for the statistics) without r, f, m and score.
  const rfmColumn = (key: string): Column => {
    switch (key) {
      case 'recencyDays':
        return column('orders.daysSinceLastOrder');
      case 'frequency':
        return column(RFM_FIELDS.frequency);
      case 'monetary':
        return column(RFM_FIELDS.monetary);
      case 'r':
      case 'f':
      case 'm':
      case 'score':
        return scored ? scores()[key] : absent(size);
      default:
        return absent(size);
    }
  };

  let scoreColumns: Record<'r' | 'f' | 'm' | 'score', Column> | undefined;
  const scores = (): Record<'r' | 'f' | 'm' | 'score', Column> => {
    if (scoreColumns !== undefined) return scoreColumns;
    const recency = population.fields[RFM_FIELDS.recency];
    const frequency = population.fields[RFM_FIELDS.frequency];
    const monetary = population.fields[RFM_FIELDS.monetary];
    if (recency === undefined || frequency === undefined || monetary === undefined) {
      scoreColumns = { r: absent(size), f: absent(size), m: absent(size), score: absent(size) };
      return scoreColumns;
    }
    const hasOrders = new Uint8Array(size);
    for (let i = 0; i < size; i++) hasOrders[i] = ordersOf(i) === undefined ? 0 : 1;
    const r = quintiles(column(RFM_FIELDS.recency), recency, hasOrders);
    const f = quintiles(column(RFM_FIELDS.frequency), frequency, hasOrders);
    const m = quintiles(column(RFM_FIELDS.monetary), monetary, hasOrders);
    const names: unknown[] = new Array<unknown>(size).fill(undefined);
    for (let i = 0; i < size; i++) {
      if (hasOrders[i] === 1) names[i] = RFM_SCORES[((r.values[i] as number) - 1) * 25 + ((f.values[i] as number) - 1) * 5 + ((m.values[i] as number) - 1)];
    }
    scoreColumns = { r, f, m, score: { kind: 'value', values: names } };
    return scoreColumns;
  };

  const column = (path: string): Column => {
    const cached = built.get(path);
    if (cached !== undefined) return cached;
    const keys = path.split('.');
    const [root = '', second] = keys;
    let result: Column;
    if (keys.length === 1 || second === undefined) {
      result = rowColumn(root, []);
    } else if (root === 'orders' || root === 'rfm') {
      const parent = root === 'orders' ? ordersColumn(second) : rfmColumn(second);
      result = keys.length === 2 ? parent : below(parent, keys.slice(2));
    } else {
      result = rowColumn(root, keys.slice(1));
    }
    // Scores are only cached once scored; before, they read as absent.
    if (!(root === 'rfm' && !scored)) built.set(path, result);
    return result;
  };

  // Everything else is read customer by customer, from the parts buildFacts puts together.
  const rowColumn = (root: string, rest: readonly string[]): Column => {
    const out = new ColumnBuilder(size);
    for (let i = 0; i < size; i++) out.set(i, walk(rootAt(inputs[i] as CustomerFactsInput, root), rest));
    return out.build();
  };

  const rootAt = (input: CustomerFactsInput, root: string): unknown => {
    switch (root) {
      case 'customerId':
        return input.customerId;
      case 'contact':
        return input.contact ?? NO_CONTACT;
      case 'demographics':
        return demographicFacts(input.contact, now);
      case 'events':
        return input.events;
      case 'model':
        return input.model;
      case 'engagement':
        return input.engagement;
      case 'orders':
      case 'rfm':
        // The object itself, compared only for being there: no value of a condition equals an object.
        return input.orders === undefined ? undefined : PRESENT;
      default:
        return undefined;
    }
  };

  const below = (parent: Column, rest: readonly string[]): Column => {
    const out = new ColumnBuilder(size);
    // Numbers have no own properties a fact path can reach.
    if (parent.kind === 'value') for (let i = 0; i < size; i++) out.set(i, walk(parent.values[i], rest));
    return out.build();
  };

  const fields: Record<string, FieldStats> = {};
  for (const field of statsFields) {
    const stats = fieldStatsOf(column(field).values);
    if (stats !== undefined) fields[field] = stats;
  }
  population = { fields };
  scored = true;
  return { size, population, column };
}

/** The value of a column for one customer, as lookupFact returns it. */
export function valueAt(column: Column, i: number): unknown {
  if (column.kind === 'value') return column.values[i];
  return column.present[i] === 1 ? column.values[i] : undefined;
}

/** RFM scores (quintileScore) of one column: 1 + the quintile cut points the value exceeds. */
function quintiles(source: Column, stats: FieldStats, hasOrders: Uint8Array): Column {
  const size = hasOrders.length;
  const q = stats.quantiles;
  const [q20, q40, q60, q80] = [q[20] ?? Infinity, q[40] ?? Infinity, q[60] ?? Infinity, q[80] ?? Infinity];
  const values = new Float64Array(size).fill(Number.NaN);
  const present = new Uint8Array(size);
  for (let i = 0; i < size; i++) {
    if (hasOrders[i] !== 1) continue;
    // Absent numbers are NaN here and score 1, as undefined does; other values compare as JavaScript does.
    const v = (source.values as ArrayLike<unknown>)[i] as number;
    values[i] = 1 + (v > q20 ? 1 : 0) + (v > q40 ? 1 : 0) + (v > q60 ? 1 : 0) + (v > q80 ? 1 : 0);
    present[i] = 1;
  }
  return { kind: 'number', values, present };
}

const NO_CONTACT = Object.freeze({});
const PRESENT = Object.freeze({});

function absent(size: number): Column {
  return { kind: 'number', values: new Float64Array(size).fill(Number.NaN), present: new Uint8Array(size) };
}

/**
 * A column filled customer by customer: kept as numbers while every value is a number or absent,
 * turned into plain values at the first value that is not.
 */
class ColumnBuilder {
  private readonly numbers: Float64Array;
  private readonly present: Uint8Array;
  private values: unknown[] | undefined;

  constructor(size: number) {
    this.numbers = new Float64Array(size).fill(Number.NaN);
    this.present = new Uint8Array(size);
  }

  set(i: number, value: unknown): void {
    if (this.values !== undefined) {
      this.values[i] = value;
    } else if (typeof value === 'number') {
      this.numbers[i] = value;
      this.present[i] = 1;
    } else if (value !== undefined) {
      this.values = Array.from(this.numbers, (n, j) => (this.present[j] === 1 ? n : undefined));
      this.values[i] = value;
    }
  }

  build(): Column {
    return this.values === undefined ? { kind: 'number', values: this.numbers, present: this.present } : { kind: 'value', values: this.values };
  }
}

/** What a copy of the aggregates by their own enumerable keys (buildFacts's) holds under key. */
function ownEnumerable(object: object, key: string): unknown {
  const found = (object as Record<string, unknown>)[key];
  return found !== undefined && Object.prototype.propertyIsEnumerable.call(object, key) ? found : undefined;
}

/** lookupFact's step: own properties only. */
function step(value: unknown, key: string): unknown {
  if (value === null || typeof value !== 'object') return undefined;
  const found = (value as Record<string, unknown>)[key];
  return found !== undefined && Object.hasOwn(value, key) ? found : undefined;
}

function walk(value: unknown, keys: readonly string[]): unknown {
  let at = value;
  for (const key of keys) at = step(at, key);
  return at;
}
