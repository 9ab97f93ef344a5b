import * as z from 'zod';
import type { CustomerEvent, CustomerRecord, OrderLine } from '../core/records.ts';
import type { IdentityStore, IngestLedger, ProfileStore } from '../adapters/ports/customers.ts';
import type { BatchJournal } from '../commons/batch-journal.ts';
import { resolveIdentities, type IdentityMerge } from './resolve-identities.ts';
import type { IngestValue } from './ingest-rows.ts';

const WRITE_BATCH = 500;

/** How a write batch's merges are kept in the file's journal. */
export const mergesSchema = z.object({
  merges: z.array(z.object({ aliasId: z.string(), canonicalId: z.string(), reason: z.enum(['same external id', 'same e-mail']) })),
});


/**
 * Writes cleaned records in batches: identities resolved, ledgers and contacts written, and the
 * customers touched collected for re-evaluation. The ETag tells a retry of this upload (which
 * changes no consent again) from a new upload of the same key.
 */
export function createApplier(
  store: IngestLedger & IdentityStore & ProfileStore,
  key: string,
  now: Date,
  origin: {
    readonly etag?: string;
    readonly recordedAt?: Date | undefined;
    readonly onErased?: (rows: readonly IngestValue[]) => Promise<void>;
    readonly journal?: BatchJournal<{ merges: IdentityMerge[] }> | undefined;
  } = {},
) {
  const contactSource = { source: key, ...(origin.etag === undefined ? {} : { revision: origin.etag }) };
  const touched = new Set<string>();
  let orders: OrderLine[] = [];
  let customers: CustomerRecord[] = [];
  let events: CustomerEvent[] = [];
  const merges: IdentityMerge[] = [];
  const claimedEmails = new Map<string, string>();
  let batch = 0;
  const flush = async () => {
    const number = batch++;
    let made: readonly IdentityMerge[] = [];
    const resolved = await resolveIdentities(store, { orders, customers, events }, claimedEmails, now, async (decided) => {
      made = await journaledMerges(origin.journal, number, decided);
    });
    if (resolved.erased.length > 0) await origin.onErased?.(resolved.erased);
    if (resolved.orders.length > 0) await store.putOrders(resolved.orders, key);
    if (resolved.events.length > 0) await store.putEvents(resolved.events, key);
    for (const e of resolved.events) touched.add(e.customerId);
    if (resolved.customers.length > 0) await store.putContacts(resolved.customers, origin.recordedAt ?? now, contactSource);
    for (const o of resolved.orders) touched.add(o.customerId);
    for (const c of resolved.customers) touched.add(c.customerId);
    for (const m of made) touched.delete(m.aliasId);
    merges.push(...made);
    orders = [];
    customers = [];
    events = [];
  };
  return {
    add(value: IngestValue): Promise<void> | undefined {
      if ('orderId' in value) orders.push(value);
      else if ('eventId' in value) events.push(value);
      else customers.push(value);
      if (orders.length + customers.length + events.length >= WRITE_BATCH) return flush();
      return undefined;
    },
    async finish(): Promise<{ touched: Set<string>; merges: IdentityMerge[] }> {
      await flush();
      return { touched, merges };
    },
  };
}

/**
 * The merges a write batch reports. A retry finds those an earlier attempt made already (it decides
 * fewer or none), so the ones recorded before that attempt's first merge are the batch's.
 */
async function journaledMerges(journal: BatchJournal<{ merges: IdentityMerge[] }> | undefined, batch: number, decided: readonly IdentityMerge[]): Promise<readonly IdentityMerge[]> {
  if (journal === undefined) return decided;
  if (decided.length === 0) return journal.recorded(batch)?.merges ?? [];
  return (await journal.record(batch, { merges: [...decided] })).merges;
}
