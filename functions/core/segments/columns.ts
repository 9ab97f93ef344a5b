import { demographicFacts, epochDay, RFM_SCORES, returnShareOf, todayOf, topCategoryOf, type CustomerFactsInput } from './facts.ts';
import { compareConditions, type SegmentDefinition } from './definition.ts';
import {
  addValuesToHistogram,
  EMPTY_POPULATION,
  fieldStatsOf,
  RFM_FIELDS,
  statsFields as statsFieldsOf,
  type FieldStats,
  type Histogram,
  type PartialStats,
  type PopulationStats,
} from './population.ts';

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

/** The fact paths a catalog reads: compared fields and the fields compared against. */
function columnFields(definitions: readonly SegmentDefinition[]): string[] {
  const fields = new Set<string>();
  for (const c of definitions.flatMap((d) => compareConditions(d.condition))) {
    fields.add(c.field);
    if (typeof c.value === 'object' && !Array.isArray(c.value) && 'field' in c.value) fields.add(c.value.field);
  }
  return [...fields];
}

// Order facts buildFacts derives (and puts over the aggregates' own properties of those names)
// that do not depend on the evaluation time; "days since" ones are the day numbers' differences.
const LAST_ORDER_DAY = 1;
const FIRST_ORDER_DAY = 2;
const RETURN_SHARE = 4;
const TOP_CATEGORY = 5;
const TOP_SHARE = 6;
/** Not a fact (a fact path cannot hold "#"): the first order's day number, kept for daysSinceFirstOrder. */
const FIRST_DAY_PATH = 'orders.#firstOrderDay';
const DERIVED: Readonly<Record<string, number>> = {
  lastOrderDay: LAST_ORDER_DAY,
  '#firstOrderDay': FIRST_ORDER_DAY,
  returnShare: RETURN_SHARE,
  topCategory: TOP_CATEGORY,
  topCategoryShare: TOP_SHARE,
};
const SINCE: Readonly<Record<string, string>> = { daysSinceLastOrder: 'orders.lastOrderDay', daysSinceFirstOrder: FIRST_DAY_PATH };

interface Plan {
  readonly path: string;
  /** The first key: a part buildFacts puts together ("orders", "demographics", …). */
  readonly root: string;
  /** For order facts: the second key and how it is derived (0: the aggregates' own property). */
  readonly key: string;
  readonly derived: number;
  /** Keys below what the root (or, for order facts, the second key) gives. */
  readonly rest: readonly string[];
  readonly out: ColumnBuilder;
}

/**
 * A population's profiles read into columns once: every fact the definitions read (and their
 * statistics' fields) that does not depend on the evaluation time, with dates as day numbers. The
 * profiles are scattered in memory, so this is one visit per customer; factColumns then gives the
 * facts at any evaluation time from the columns alone (as a database table is loaded once).
 */
export interface ProfileColumns {
  readonly size: number;
  readonly definitions: readonly SegmentDefinition[];
  /** A column not depending on the time (built on demand for a path not read by the definitions). */
  loaded(path: string): Column;
  /** The customers with contact details, the only ones with demographics below "demographics". */
  readonly withContact: Int32Array;
  /** For the facts read customer by customer at an evaluation time (demographics). */
  readonly inputs: readonly CustomerFactsInput[];
}

/** The loaded paths of a catalog: a refresh loads batch after batch for the same definitions. */
const loadedPaths = new WeakMap<readonly SegmentDefinition[], readonly string[]>();

export function loadProfiles(inputs: readonly CustomerFactsInput[], definitions: readonly SegmentDefinition[]): ProfileColumns {
  const size = inputs.length;
  const built = new Map<string, Column>();

  // One pass over the customers fills the columns of every path asked.
  const fill = (paths: readonly string[]): void => {
    const plans: Plan[] = [];
    for (const path of new Set(paths)) {
      if (built.has(path)) continue;
      const [root = '', ...below] = path.split('.');
      const ordersKey = root === 'orders' && below.length > 0 ? (below[0] as string) : '';
      plans.push({
        path,
        root,
        key: ordersKey,
        derived: ordersKey !== '' && Object.hasOwn(DERIVED, ordersKey) ? (DERIVED[ordersKey] as number) : 0,
        rest: ordersKey === '' ? below : below.slice(1),
        out: new ColumnBuilder(size),
      });
    }
    if (plans.length === 0) return;
    const orderPlans = plans.filter((p) => p.key !== '');
    const rowPlans = plans.filter((p) => p.key === '');
    for (let i = 0; i < size; i++) {
      const input = inputs[i] as CustomerFactsInput;
      const orders = input.orders;
      if (orders !== undefined && orderPlans.length > 0) {
        for (const plan of orderPlans) {
          let value: unknown;
          switch (plan.derived) {
            case LAST_ORDER_DAY:
              value = epochDay(orders.lastOrderAt);
              break;
            case FIRST_ORDER_DAY:
              value = epochDay(orders.firstOrderAt);
              break;
            case RETURN_SHARE:
              value = returnShareOf(orders);
              break;
            case TOP_CATEGORY:
            case TOP_SHARE: {
              const top = topCategoryOf(orders);
              value = top === undefined ? ownEnumerable(orders, plan.key) : top[plan.derived === TOP_CATEGORY ? 0 : 1];
              break;
            }
            default:
              value = ownEnumerable(orders, plan.key);
          }
          plan.out.set(i, plan.rest.length === 0 ? value : walk(value, plan.rest));
        }
      }
      for (const plan of rowPlans) plan.out.set(i, walk(rootAt(input, plan.root), plan.rest));
    }
    for (const plan of plans) built.set(plan.path, plan.out.build());
  };


  // What the definitions and their statistics read, as loaded: "days since" as day numbers; RFM
  // scores and demographics depend on the evaluation time.
  const loadedPath = (path: string): string | undefined => {
    const [root = '', second = '', ...rest] = path.split('.');
    if (root === 'demographics' || root === 'rfm') return undefined;
    return root === 'orders' && rest.length === 0 && Object.hasOwn(SINCE, second) ? SINCE[second] : path;
  };
  let paths = loadedPaths.get(definitions);
  if (paths === undefined) {
    const read = [...columnFields(definitions), ...statsFieldsOf(definitions), ...Object.values(RFM_FIELDS), 'orders.daysSinceLastOrder'];
    loadedPaths.set(definitions, (paths = [...new Set(read.flatMap((path) => loadedPath(path) ?? []))]));
  }
  fill(paths);
  const withContact: number[] = [];
  for (let i = 0; i < size; i++) if ((inputs[i] as CustomerFactsInput).contact != null) withContact.push(i);
  return {
    size,
    definitions,
    inputs,
    withContact: Int32Array.from(withContact),
    loaded(path) {
      const column = built.get(path);
      if (column !== undefined) return column;
      fill([path]);
      return built.get(path) as Column;
    },
  };
}

/**
 * What lookupFact(buildFacts(inputs[i], now, population), path) is, for every i, as columns. The
 * population is these customers' own statistics unless `given` (a batch of a larger population,
 * scored against the statistics of everyone, as refreshCustomers does).
 */
export function factColumns(profiles: ProfileColumns, now: Date, given?: PopulationStats): FactColumns {
  const { size, definitions } = profiles;
  const today = todayOf(now);

  // Facts that depend on the evaluation time (days since a day, demographics) are made here; the
  // others were loaded.
  const orderColumn = (path: string): Column => {
    const [root = '', second = '', ...rest] = path.split('.');
    if (root === 'orders' && Object.hasOwn(SINCE, second)) {
      return rest.length > 0 ? absent(size) : daysSince(profiles.loaded(SINCE[second] as string), today);
    }
    if (root === 'demographics') return demographicsColumn(profiles, now, path.split('.').slice(1));
    return profiles.loaded(path);
  };

  // The RFM facts of DESIGN.md: before scoring (for the statistics) without r, f, m and score.
  const rfmColumn = (key: string, scored: boolean): Column => {
    switch (key) {
      case 'recencyDays':
        return column('orders.daysSinceLastOrder');
      case 'frequency':
        return column(RFM_FIELDS.frequency);
      case 'monetary':
        return column(RFM_FIELDS.monetary);
      case 'r':
        return scored ? (scores ??= scoresOf()).r : absent(size);
      case 'f':
        return scored ? (scores ??= scoresOf()).f : absent(size);
      case 'm':
        return scored ? (scores ??= scoresOf()).m : absent(size);
      case 'score':
        return scored ? rfmNames((scores ??= scoresOf())) : absent(size);
      default:
        return absent(size);
    }
  };

  // Each column is made once: definitions compare the same facts again and again (orders.orders,
  // rfm.r). The statistics' unscored RFM columns differ from the scored ones and are not kept.
  const made = new Map<string, Column>();
  const column = (path: string, scored = true): Column => {
    const keep = scored || !path.startsWith('rfm.');
    const kept = keep ? made.get(path) : undefined;
    if (kept !== undefined) return kept;
    const [root = '', second, ...rest] = path.split('.');
    let result: Column;
    if (root === 'rfm' && second !== undefined) {
      const parent = rfmColumn(second, scored);
      result = rest.length === 0 ? parent : below(parent, rest);
    } else {
      result = orderColumn(path);
    }
    if (keep) made.set(path, result);
    return result;
  };

  let scores: RfmScores | undefined;
  const scoresOf = (): RfmScores => {
    const recency = fields[RFM_FIELDS.recency];
    const frequency = fields[RFM_FIELDS.frequency];
    const monetary = fields[RFM_FIELDS.monetary];
    if (recency === undefined || frequency === undefined || monetary === undefined) return { r: absent(size), f: absent(size), m: absent(size) };
    // Every customer with order aggregates has a last order day (NaN for a date that does not parse).
    const lastOrderDay = column(RFM_FIELDS.recency);
    const hasOrders = lastOrderDay.kind === 'number' ? lastOrderDay.present : new Uint8Array(size).map((_, i) => ((profiles.inputs[i] as CustomerFactsInput).orders === undefined ? 0 : 1));
    return {
      r: quintiles(lastOrderDay, recency, hasOrders),
      f: quintiles(column(RFM_FIELDS.frequency), frequency, hasOrders),
      m: quintiles(column(RFM_FIELDS.monetary), monetary, hasOrders),
    };
  };
  let names: Column | undefined;
  const rfmNames = (rfm: RfmScores): Column => {
    if (names !== undefined) return names;
    const values = new Array<unknown>(size).fill(undefined);
    for (let i = 0; i < size; i++) {
      const [r, f, m] = [valueAt(rfm.r, i), valueAt(rfm.f, i), valueAt(rfm.m, i)];
      if (typeof r === 'number' && typeof f === 'number' && typeof m === 'number') values[i] = RFM_SCORES[(r - 1) * 25 + (f - 1) * 5 + (m - 1)];
    }
    return (names = { kind: 'value', values });
  };

  const below = (parent: Column, rest: readonly string[]): Column => {
    const out = new ColumnBuilder(size);
    // Numbers have no own properties a fact path can reach.
    if (parent.kind === 'value') for (let i = 0; i < size; i++) out.set(i, walk(parent.values[i], rest));
    return out.build();
  };

  // Last, once every column maker above exists.
  const population: PopulationStats = given ?? ownStatistics(definitions, (field) => column(field, false));
  const fields = population.fields;
  return { size, population, column: (path) => column(path) };
}

/** The statistics of a batch's own customers, as finalizeStats gives them, from their unscored columns. */
function ownStatistics(definitions: readonly SegmentDefinition[], unscored: (field: string) => Column): PopulationStats {
  const fields: Record<string, FieldStats> = {};
  for (const field of statsFieldsOf(definitions)) {
    const stats = fieldStatsOf(unscored(field).values);
    if (stats !== undefined) fields[field] = stats;
  }
  return { fields };
}

/**
 * Adds a batch of customers (loaded with the definitions the partial is for) to partial
 * statistics: what addToStats(partial, buildFacts(input, now, EMPTY_POPULATION)) does for each
 * (unscored facts, as the statistics are taken before scoring), read from columns.
 * Re-segmentation's first pass, page by page.
 */
export function addBatchToStats(partial: PartialStats, batch: ProfileColumns, now: Date): void {
  const columns = factColumns(batch, now, EMPTY_POPULATION);
  for (const field in partial.fields) addValuesToHistogram(partial.fields[field] as Histogram, columns.column(field).values);
}

/** today − day for every customer with a day (NaN stays NaN: a date that did not parse). */
function daysSince(days: Column, today: number): Column {
  if (days.kind === 'value') return { kind: 'value', values: days.values.map((d) => (d === undefined ? undefined : today - (d as number))) };
  const values = new Float64Array(days.values.length);
  for (let i = 0; i < values.length; i++) values[i] = today - (days.values[i] as number);
  return { kind: 'number', values, present: days.present };
}

/** A fact below "demographics": read from the customers with contact details (the others have none). */
function demographicsColumn(profiles: ProfileColumns, now: Date, rest: readonly string[]): Column {
  if (rest.length > 0 && profiles.withContact.length === 0) return absent(profiles.size);
  const out = new ColumnBuilder(profiles.size);
  if (rest.length === 0) {
    // "demographics" itself: every customer has the object, empty or not.
    for (let i = 0; i < profiles.size; i++) out.set(i, PRESENT);
  } else {
    for (const i of profiles.withContact) out.set(i, walk(demographicFacts((profiles.inputs[i] as CustomerFactsInput).contact, now), rest));
  }
  return out.build();
}

interface RfmScores {
  readonly r: Column;
  readonly f: Column;
  readonly m: Column;
}

/** The part of buildFacts's facts a path starts from. */
function rootAt(input: CustomerFactsInput, root: string): unknown {
  switch (root) {
    case 'customerId':
      return input.customerId;
    case 'contact':
      return input.contact ?? NO_CONTACT;
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
  const score = (v: number) => 1 + (v > q20 ? 1 : 0) + (v > q40 ? 1 : 0) + (v > q60 ? 1 : 0) + (v > q80 ? 1 : 0);
  if (source.kind === 'number') {
    // Absent numbers are NaN here and score 1, as undefined does.
    const numbers = source.values;
    for (let i = 0; i < size; i++) {
      if (hasOrders[i] !== 1) continue;
      values[i] = score(numbers[i] as number);
      present[i] = 1;
    }
  } else {
    // Other values compare as JavaScript compares them, as quintileScore does.
    for (let i = 0; i < size; i++) {
      if (hasOrders[i] !== 1) continue;
      values[i] = score(source.values[i] as number);
      present[i] = 1;
    }
  }
  return { kind: 'number', values, present };
}

const NO_CONTACT = Object.freeze({});
const PRESENT = Object.freeze({});

// Columns are never written once built: customers without a fact share one absent column per size.
let absentColumn: Column = { kind: 'number', values: new Float64Array(0), present: new Uint8Array(0) };

function absent(size: number): Column {
  if (absentColumn.values.length !== size) absentColumn = { kind: 'number', values: new Float64Array(size).fill(Number.NaN), present: new Uint8Array(size) };
  return absentColumn;
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
