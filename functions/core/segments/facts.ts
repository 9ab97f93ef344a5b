import type { EventAggregates, OrderAggregates } from '../profile.ts';
import type { CustomerRecord, CustomerEvent, OrderLine } from '../records.ts';
import type { ModelFacts } from '../models/clv.ts';
import { RFM_FIELDS, quintileScore, type PopulationStats } from './population.ts';

/**
 * The facts a segment condition reads, built from one customer's stored state at an evaluation
 * time. Time-relative facts (days since the last order, age) are computed here from `now`, so the
 * same profile gives different facts on different days without anything being rewritten.
 */
export type Facts = Readonly<Record<string, unknown>>;

/** Model outputs per customer (issue "Predictive models"); absent until a model has been fitted. */
export type { ModelFacts };

export interface CustomerFactsInput {
  readonly customerId: string;
  readonly contact?: Omit<CustomerRecord, 'customerId'> | undefined;
  readonly orders?: OrderAggregates | undefined;
  readonly events?: EventAggregates | undefined;
  readonly model?: ModelFacts | undefined;
  /** E-mail engagement counted by the feedback loop, when it keeps its own aggregates. */
  readonly engagement?: Readonly<Record<string, unknown>> | undefined;
}

/** What event conditions look at besides the facts: the raw events and order lines. */
export interface Ledgers {
  readonly events: readonly Pick<CustomerEvent, 'type' | 'occurredAt' | 'properties'>[];
  readonly orderLines: readonly Pick<OrderLine, 'orderedAt' | 'category' | 'cancelled' | 'amount'>[];
}

export const NO_LEDGERS: Ledgers = { events: [], orderLines: [] };

const DAY_MS = 86_400_000;
const NO_CONTACT: Omit<CustomerRecord, 'customerId'> = Object.freeze({});

/** Whole days between two instants' UTC dates (what "recency in days" means in DESIGN.md). */
export function daysBetween(earlier: string | Date, later: Date): number {
  return Math.round((utcDay(later) - utcDay(earlier)) / DAY_MS);
}

function utcDay(at: string | Date): number {
  const ms = typeof at === 'string' ? Date.parse(at.length === 10 ? `${at}T00:00:00Z` : at) : at.getTime();
  return Math.floor(ms / DAY_MS) * DAY_MS;
}

/** Days since 1970-01-01 of an ISO date or timestamp's UTC date. */
export function epochDay(at: string): number {
  return Math.floor(Date.parse(at.length === 10 ? `${at}T00:00:00Z` : at) / DAY_MS);
}

export function buildFacts(input: CustomerFactsInput, now: Date, population: PopulationStats): Facts {
  const orders = input.orders === undefined ? undefined : orderFacts(input.orders, now);
  const contact = input.contact ?? NO_CONTACT;
  return {
    customerId: input.customerId,
    contact,
    demographics: demographics(contact, now),
    ...(orders === undefined ? {} : { orders }),
    ...(orders === undefined ? {} : { rfm: rfmFacts(orders, population) }),
    ...(input.events === undefined ? {} : { events: input.events }),
    ...(input.model === undefined ? {} : { model: input.model }),
    ...(input.engagement === undefined ? {} : { engagement: input.engagement }),
  };
}

function orderFacts(orders: OrderAggregates, now: Date): Record<string, unknown> {
  let topCategory: string | undefined;
  let topCategoryShare = -1;
  if (orders.categoryMix !== undefined) {
    for (const [category, share] of Object.entries(orders.categoryMix)) {
      if (share > topCategoryShare) [topCategory, topCategoryShare] = [category, share];
    }
  }
  const today = Math.floor(now.getTime() / DAY_MS);
  const lastOrderDay = epochDay(orders.lastOrderAt);
  const returned = orders.orders + orders.cancelledOrders;
  return {
    ...orders,
    lastOrderDay,
    daysSinceLastOrder: today - lastOrderDay,
    daysSinceFirstOrder: today - epochDay(orders.firstOrderAt),
    returnShare: returned > 0 ? round4(orders.cancelledOrders / returned) : 0,
    ...(topCategory === undefined ? {} : { topCategory, topCategoryShare }),
  };
}

/**
 * The same facts scored against other population statistics: the two passes of a full evaluation
 * build a customer's facts once and score them when the population is known.
 */
export function withPopulation(facts: Facts, population: PopulationStats): Facts {
  const orders = facts.orders as Record<string, unknown> | undefined;
  return orders === undefined ? facts : { ...facts, rfm: rfmFacts(orders, population) };
}

/** RFM per DESIGN.md against the population statistics; absent before any statistics exist. */
function rfmFacts(orders: Record<string, unknown>, population: PopulationStats): Record<string, unknown> | undefined {
  const recencyDays = orders.daysSinceLastOrder as number;
  const frequency = orders.orders as number;
  const monetary = orders.revenue as number;
  const r = quintileScore(population, RFM_FIELDS.recency, orders.lastOrderDay as number);
  const f = quintileScore(population, RFM_FIELDS.frequency, frequency);
  const m = quintileScore(population, RFM_FIELDS.monetary, monetary);
  if (r === undefined || f === undefined || m === undefined) return { recencyDays, frequency, monetary };
  return { recencyDays, frequency, monetary, r, f, m, score: `${r}${f}${m}` };
}

const AGE_BANDS = [
  [18, '18-24'],
  [25, '25-34'],
  [35, '35-44'],
  [45, '45-54'],
  [55, '55-64'],
  [65, '65-plus'],
] as const;

/**
 * Demographics normalized from whatever the source held: an exact birth date gives the age at the
 * evaluation time; a declared band ("19-24", "65+", "Under 15K", "35-49K") is mapped to strata's
 * bands by its lower (age) or upper-and-lower (income) bound.
 */
function demographics(contact: Omit<CustomerRecord, 'customerId'>, now: Date): Record<string, unknown> {
  const facts: Record<string, unknown> = {};
  if (contact === NO_CONTACT) return facts;
  if (contact.birthDate !== undefined) {
    const born = new Date(`${contact.birthDate.slice(0, 10)}T00:00:00Z`);
    if (!Number.isNaN(born.getTime())) {
      let age = now.getUTCFullYear() - born.getUTCFullYear();
      if (now.getUTCMonth() < born.getUTCMonth() || (now.getUTCMonth() === born.getUTCMonth() && now.getUTCDate() < born.getUTCDate())) age--;
      if (age >= 0 && age < 130) facts.age = age;
    }
  }
  const lowerAge = typeof facts.age === 'number' ? facts.age : firstNumber(contact.ageBand);
  if (lowerAge !== undefined) {
    const band = [...AGE_BANDS].reverse().find(([from]) => lowerAge >= from);
    facts.ageBand = band?.[1] ?? 'under-18';
  }
  if (contact.gender !== undefined) facts.gender = normalizeGender(contact.gender);
  const income = incomeBand(contact.incomeBand);
  if (income !== undefined) facts.incomeBand = income;
  if (contact.country !== undefined) facts.country = contact.country.trim().toUpperCase();
  if (contact.region !== undefined) facts.region = contact.region.trim();
  if (contact.city !== undefined) facts.city = contact.city.trim();
  if (contact.interests !== undefined) facts.interests = contact.interests.map((i) => i.trim().toLowerCase());
  return facts;
}

function normalizeGender(raw: string): string {
  const g = raw.trim().toLowerCase();
  if (['f', 'female', 'woman', 'w'].includes(g)) return 'female';
  if (['m', 'male', 'man'].includes(g)) return 'male';
  return g === '' || g === 'unknown' || g === 'u' ? 'unknown' : 'other';
}

/** Income bands in thousands per year: low under 35, middle 35–99, high 100 and over. */
function incomeBand(raw: string | undefined): 'low' | 'middle' | 'high' | undefined {
  if (raw === undefined) return undefined;
  const text = raw.toLowerCase().replace(/,/g, '');
  const numbers = [...text.matchAll(/(\d+(?:\.\d+)?)\s*(k)?/g)].map((m) => Number(m[1]) * (m[2] === undefined && Number(m[1]) >= 1000 ? 0.001 : 1));
  if (numbers.length === 0) return undefined;
  // "Under 15K" is bounded above; "250K+" and "35-49K" by their lower bound.
  const thousands = /under|less|below|</.test(text) ? (numbers[0] ?? 0) - 1 : (numbers[0] ?? 0);
  return thousands < 35 ? 'low' : thousands < 100 ? 'middle' : 'high';
}

function firstNumber(text: string | undefined): number | undefined {
  const match = text?.match(/\d+/);
  return match ? Number(match[0]) : undefined;
}

/** Reads a dotted path through own properties only: "contact.constructor" never reaches a prototype. */
export function lookupFact(facts: Facts, path: string): unknown {
  let value: unknown = facts;
  for (const key of path.split('.')) {
    if (value === null || typeof value !== 'object' || !Object.hasOwn(value, key)) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

function round4(n: number): number {
  return Math.round(n * 10_000) / 10_000;
}
