import { aggregateEvents, aggregateOrders } from '../core/profile.ts';
import { stableJson } from '../core/stable-json.ts';
import { diffMemberships } from '../core/segments/assign.ts';
import type { SegmentDefinition } from '../core/segments/definition.ts';
import { mapLimit, type CustomerStore } from '../adapters/customer-store.ts';

export interface RefreshSummary {
  readonly customers: number;
  readonly writes: number;
  readonly entered: Readonly<Record<string, number>>;
  readonly exited: Readonly<Record<string, number>>;
}

/**
 * Recomputes each customer's order aggregates from the ledger, evaluates the segments and writes
 * only the memberships that changed, with a transition for each. Shared by ingest (the customers a
 * file touched) and re-segmentation (everyone).
 */
export async function refreshCustomers(
  store: CustomerStore,
  customerIds: Iterable<string>,
  definitions: readonly SegmentDefinition[],
  now: Date,
): Promise<RefreshSummary> {
  const ids = [...new Set(customerIds)];
  const entered: Record<string, number> = {};
  const exited: Record<string, number> = {};
  let writes = 0;
  await mapLimit(ids, 16, async (customerId) => {
    const { profile, orders, events, memberships } = await store.loadCustomer(customerId);
    const aggregates = { orders: aggregateOrders(orders), events: aggregateEvents(events) };
    // A PROFILE item for every known customer, rewritten only when its aggregates change.
    if (profile?.updatedAt === undefined || stableJson(aggregates) !== stableJson({ orders: profile.orders, events: profile.events })) {
      await store.putProfile(customerId, aggregates, now);
      writes++;
    }
    const facts = { customerId, contact: profile?.contact ?? {}, ...aggregates };
    const changes = diffMemberships(customerId, facts, definitions, memberships, now);
    if (changes.transitions.length > 0) writes += await store.applyMembershipChanges(customerId, changes);
    for (const m of changes.enter) entered[m.segment] = (entered[m.segment] ?? 0) + 1;
    for (const m of changes.exit) exited[m.segment] = (exited[m.segment] ?? 0) + 1;
  });
  return { customers: ids.length, writes, entered, exited };
}
