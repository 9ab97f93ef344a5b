import { emailHash } from '../core/privacy.ts';
import type { CustomerEvent, CustomerRecord, OrderLine } from '../core/records.ts';
import type { CustomerStore } from '../adapters/customer-store.ts';

export interface IdentityMerge {
  readonly aliasId: string;
  readonly canonicalId: string;
  readonly reason: 'same e-mail';
}

/**
 * One person, one profile. Before a batch is written: ids merged earlier are replaced by their
 * canonical id, and a customer whose e-mail already belongs to another customer (stored, or
 * earlier in this file) is merged into that one. `claimed` carries e-mail owners across batches.
 */
export async function resolveIdentities(
  store: CustomerStore,
  batch: { readonly orders: readonly OrderLine[]; readonly customers: readonly CustomerRecord[]; readonly events: readonly CustomerEvent[] },
  claimed: Map<string, string>,
  now: Date,
): Promise<{ orders: OrderLine[]; customers: CustomerRecord[]; events: CustomerEvent[]; merges: IdentityMerge[] }> {
  const ids = [...batch.orders, ...batch.customers, ...batch.events].map((r) => r.customerId);
  const aliases = await store.resolveAliases(ids);
  const canonical = (id: string) => aliases.get(id) ?? id;
  const merges: IdentityMerge[] = [];
  // One BatchGet per 100 addresses instead of a lookup per row.
  const unknown = batch.customers.flatMap((c) => (c.email === undefined ? [] : [emailHash(c.email)])).filter((h) => !claimed.has(h));
  const stored = await store.emailOwners(unknown);
  // One contact per canonical id in the batch (DynamoDB refuses two writes of a key in one batch).
  const contacts = new Map<string, CustomerRecord>();
  const add = (record: CustomerRecord, fillGapsOnly: boolean) => {
    const existing = contacts.get(record.customerId);
    contacts.set(record.customerId, existing === undefined ? record : fillGapsOnly ? { ...record, ...existing } : { ...existing, ...record });
  };
  for (const record of batch.customers) {
    const customerId = canonical(record.customerId);
    if (record.email === undefined) {
      add({ ...record, customerId }, customerId !== record.customerId);
      continue;
    }
    const hash = emailHash(record.email);
    let owner = claimed.get(hash);
    if (owner === undefined) {
      owner = canonical(stored.get(hash) ?? customerId);
      claimed.set(hash, owner);
    }
    if (owner !== customerId) {
      await store.mergeCustomer(customerId, owner, 'same e-mail', now);
      aliases.set(record.customerId, owner);
      aliases.set(customerId, owner);
      merges.push({ aliasId: customerId, canonicalId: owner, reason: 'same e-mail' });
      // The owner's contact wins, stored or earlier in this batch; this row only fills what it lacks.
      if (!contacts.has(owner)) {
        const stored = (await store.loadCustomer(owner)).profile?.contact;
        if (stored !== undefined) contacts.set(owner, { ...stored, customerId: owner });
      }
      add({ ...record, customerId: owner }, true);
    } else {
      add({ ...record, customerId }, customerId !== record.customerId);
    }
  }
  const customers = [...contacts.values()];
  const orders = batch.orders.map((o) => (aliases.has(o.customerId) ? { ...o, customerId: canonical(o.customerId) } : o));
  const events = batch.events.map((e) => (aliases.has(e.customerId) ? { ...e, customerId: canonical(e.customerId) } : e));
  return { orders, customers, events, merges };
}
