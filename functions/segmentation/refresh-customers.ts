import * as z from 'zod';
import { aggregateEvents, aggregateOrders } from '../core/profile.ts';
import { stableJson } from '../core/stable-json.ts';
import { diffDecisions, type Membership } from '../core/segments/assign.ts';
import { orderDefinitions } from '../core/segments/catalog.ts';
import type { SegmentDefinition } from '../core/segments/definition.ts';
import { buildFacts, type CustomerFactsInput, type Ledgers, type ModelFacts } from '../core/segments/facts.ts';
import { loadProfiles } from '../core/segments/columns.ts';
import { evaluateBatch, isMember } from '../core/segments/evaluate-columns.ts';
import type { OrderAggregates } from '../core/profile.ts';
import { EMPTY_POPULATION, type PopulationStats } from '../core/segments/population.ts';
import { chunk, mapLimit } from '../core/collections.ts';
import { engagementFacts, feedbackAsEvents } from '../core/feedback/engagement.ts';
import type { CustomerUpdate, PopulationStore, ProfileStore } from '../adapters/ports/customers.ts';
import type { BatchJournal } from '../commons/batch-journal.ts';

export interface RefreshSummary {
  readonly customers: number;
  readonly writes: number;
  readonly entered: Readonly<Record<string, number>>;
  readonly exited: Readonly<Record<string, number>>;
}

export interface RefreshOptions {
  /** Population statistics (RFM quintiles, percentile thresholds); default: the stored ones. */
  readonly population?: PopulationStats;
  /** Model outputs for a customer's order aggregates, once a model has been fitted. */
  readonly scoreModel?: (orders: OrderAggregates, now: Date) => ModelFacts | undefined;
  /**
   * Each batch's outcome, recorded before its writes: a retry after a crash mid-refresh finds part
   * of the changes made and writes only the rest, but counts what the first attempt found.
   */
  readonly journal?: BatchJournal<RefreshSummary>;
}

/** What refreshCustomers holds of a customer between reading and deciding. */
interface ReadCustomer {
  readonly input: CustomerFactsInput;
  readonly aggregates: { readonly orders: OrderAggregates | undefined; readonly events: ReturnType<typeof aggregateEvents> };
  readonly changedAggregates: boolean;
  readonly ledgers: Ledgers;
  readonly memberships: readonly Membership[];
}

/** Customers read and re-evaluated together; their writes share BatchWriteItem calls. */
export const REFRESH_BATCH = 200;

/**
 * Recomputes each customer's aggregates from the ledgers, evaluates the segments and writes only
 * what changed (aggregates, memberships, a transition per change). Shared by ingest (the customers
 * a file touched) and re-segmentation (everyone).
 */
export async function refreshCustomers(
  store: ProfileStore & PopulationStore,
  customerIds: Iterable<string>,
  definitions: readonly SegmentDefinition[],
  now: Date,
  options: RefreshOptions = {},
): Promise<RefreshSummary> {
  const ordered = orderDefinitions(definitions);
  const population = options.population ?? (await store.getPopulation()) ?? EMPTY_POPULATION;
  const ids = [...new Set(customerIds)];
  // A journal's batches are found again by number, so they must hold the same customers on a retry.
  if (options.journal !== undefined) ids.sort();
  const entered: Record<string, number> = {};
  const exited: Record<string, number> = {};
  let writes = 0;
  for (const [index, batch] of chunk(ids, REFRESH_BATCH).entries()) {
    const read: ReadCustomer[] = [];
    await mapLimit(batch, 16, async (customerId) => {
      const { profile, orders, events, memberships, feedback = [] } = await store.loadCustomer(customerId);
      const aggregates = { orders: aggregateOrders(orders), events: aggregateEvents(events) };
      // A PROFILE item for every known customer, rewritten only when its aggregates change.
      const changedAggregates =
        profile?.updatedAt === undefined || stableJson(aggregates) !== stableJson({ orders: profile.orders, events: profile.events });
      const model = aggregates.orders === undefined ? undefined : options.scoreModel?.(aggregates.orders, now);
      // SES feedback: engagement.* facts, and opens, clicks and deliveries among the events conditions count.
      const engagement = feedback.length === 0 ? undefined : { ...engagementFacts(feedback, now) };
      const ledgers = { events: feedback.length === 0 ? events : [...events, ...feedbackAsEvents(feedback)], orderLines: orders };
      read.push({ input: { customerId, contact: profile?.contact, ...aggregates, model, engagement }, aggregates, changedAggregates, ledgers, memberships });
    });
    // The batch decided at once in columns; a customer's facts are built only to explain a change.
    const members = evaluateBatch(ordered, loadProfiles(read.map((c) => c.input), ordered), now, population, (i) => read[i]?.ledgers);
    const updates: CustomerUpdate[] = [];
    const found = { customers: batch.length, writes: 0, entered: {} as Record<string, number>, exited: {} as Record<string, number> };
    read.forEach(({ input, aggregates, changedAggregates, ledgers, memberships }, i) => {
      const { customerId } = input;
      const matched = members.map((m) => isMember(m, i));
      const changes = diffDecisions(customerId, matched, ordered, memberships, { now, population, ledgers }, () => buildFacts(input, now, population));
      if (changedAggregates || changes.transitions.length > 0) {
        updates.push({ customerId, ...(changedAggregates ? { aggregates } : {}), ...(changes.transitions.length > 0 ? { changes } : {}) });
      }
      for (const m of changes.enter) found.entered[m.segment] = (found.entered[m.segment] ?? 0) + 1;
      for (const m of changes.exit) found.exited[m.segment] = (found.exited[m.segment] ?? 0) + 1;
    });
    found.writes = updates.reduce((n, u) => n + itemsWritten(u), 0);
    const counted = options.journal === undefined ? found : await options.journal.record(index, found);
    if (updates.length > 0) await store.applyRefresh(updates, now);
    writes += counted.writes;
    for (const [segment, n] of Object.entries(counted.entered)) entered[segment] = (entered[segment] ?? 0) + n;
    for (const [segment, n] of Object.entries(counted.exited)) exited[segment] = (exited[segment] ?? 0) + n;
  }
  // Segments in name order: counts read back from a journal (DynamoDB keeps no key order) report the same.
  return { customers: ids.length, writes, entered: byName(entered), exited: byName(exited) };
}

function byName(counts: Readonly<Record<string, number>>): Record<string, number> {
  return Object.fromEntries(Object.entries(counts).sort(([a], [b]) => a.localeCompare(b)));
}

/** Items applyRefresh writes for one update: the PROFILE, each membership put or delete, each transition. */
function itemsWritten({ aggregates, changes }: CustomerUpdate): number {
  return (aggregates === undefined ? 0 : 1) + (changes === undefined ? 0 : changes.enter.length + changes.exit.length + changes.transitions.length);
}

/** How a refresh batch's outcome is stored in a journal. */
export const refreshSummarySchema = z.object({
  customers: z.number(),
  writes: z.number(),
  entered: z.record(z.string(), z.number()),
  exited: z.record(z.string(), z.number()),
});
