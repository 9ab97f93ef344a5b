import { emailHash, externalIdHash } from '../core/privacy.ts';
import type { CustomerEvent, CustomerRecord, OrderLine } from '../core/records.ts';
import type { IdentityStore, ProfileStore } from '../adapters/ports/customers.ts';
import { combineRecords, contactFieldsOf } from '../core/contact-merge.ts';

export interface IdentityMerge {
  readonly aliasId: string;
  readonly canonicalId: string;
  readonly reason: MergeReason;
}

export type MergeReason = 'same external id' | 'same e-mail';

/** The keys that identify a person across records, strongest first: an id another system gave them, then their address. */
function identityKeys(record: CustomerRecord): { readonly claim: string; readonly hash: string; readonly kind: 'external' | 'email'; readonly reason: MergeReason }[] {
  return [
    ...(record.externalId === undefined ? [] : [{ claim: `x:${externalIdHash(record.externalId)}`, hash: externalIdHash(record.externalId), kind: 'external' as const, reason: 'same external id' as const }]),
    ...(record.email === undefined ? [] : [{ claim: `e:${emailHash(record.email)}`, hash: emailHash(record.email), kind: 'email' as const, reason: 'same e-mail' as const }]),
  ];
}

/** The quarantine reason of a row about an erased customer (it names no one). */
export const ERASED_CUSTOMER = 'erased customer';

/**
 * One person, one profile. Before a batch is written: ids merged earlier are replaced by their
 * canonical id, and a customer whose external id or e-mail already belongs to another customer
 * (stored, or earlier in this file) is merged into that one; the external id decides when the two
 * point at different customers. `claimed` carries the owners of both across batches. Rows whose
 * customer (by id, canonical id, or the owner of their address or external id) was erased are left
 * out and returned as `erased`, as given, so that an erased customer is never recreated.
 */
export async function resolveIdentities(
  store: IdentityStore & ProfileStore,
  batch: { readonly orders: readonly OrderLine[]; readonly customers: readonly CustomerRecord[]; readonly events: readonly CustomerEvent[] },
  claimed: Map<string, string>,
  now: Date,
  beforeWrites?: (merges: readonly IdentityMerge[]) => Promise<void>,
): Promise<{ orders: OrderLine[]; customers: CustomerRecord[]; events: CustomerEvent[]; merges: IdentityMerge[]; erased: (OrderLine | CustomerRecord | CustomerEvent)[] }> {
  const ids = [...batch.orders, ...batch.customers, ...batch.events].map((r) => r.customerId);
  const aliases = await store.resolveAliases(ids);
  const canonical = (id: string) => aliases.get(id) ?? id;
  const merges: IdentityMerge[] = [];
  // One BatchGet per 100 keys instead of a lookup per row.
  const unknown = batch.customers.flatMap(identityKeys).filter((k) => !claimed.has(k.claim));
  const storedEmails = await store.emailOwners(unknown.filter((k) => k.kind === 'email').map((k) => k.hash));
  const storedExternal = await store.externalIdOwners(unknown.filter((k) => k.kind === 'external').map((k) => k.hash));
  const storedOwner = (key: ReturnType<typeof identityKeys>[number]) => (key.kind === 'email' ? storedEmails : storedExternal).get(key.hash);
  const erasedIds = await store.erasedIds([...ids, ...aliases.values(), ...storedEmails.values(), ...storedExternal.values()]);
  const isErased = (id: string) => erasedIds.has(id) || erasedIds.has(canonical(id));
  const erased: (OrderLine | CustomerRecord | CustomerEvent)[] = [];
  // One contact per canonical id in the batch (DynamoDB refuses two writes of a key in one batch).
  const contacts = new Map<string, CustomerRecord>();
  const add = (record: CustomerRecord, fillGapsOnly: boolean) => {
    const existing = contacts.get(record.customerId);
    contacts.set(record.customerId, existing === undefined ? record : combineRecords(existing, record, fillGapsOnly));
  };
  // Decided first, written after: `beforeWrites` sees every merge of the batch before the first one is made.
  const decided: { record: CustomerRecord; customerId: string; owner: string; reason: MergeReason }[] = [];
  for (const record of batch.customers) {
    const customerId = canonical(record.customerId);
    const keys = identityKeys(record);
    const ownedBy = keys.map((key) => claimed.get(key.claim) ?? storedOwner(key));
    if (isErased(record.customerId) || ownedBy.some((owner) => owner !== undefined && isErased(owner))) {
      erased.push(record);
      continue;
    }
    let owner: string | undefined;
    let reason: MergeReason = 'same e-mail';
    for (const key of keys) {
      const found = claimed.get(key.claim) ?? mapDefined(storedOwner(key), canonical);
      if (found !== undefined && owner === undefined) {
        owner = found;
        reason = key.reason;
      }
    }
    owner ??= customerId;
    for (const key of keys) if (!claimed.has(key.claim)) claimed.set(key.claim, owner);
    if (owner !== customerId) {
      aliases.set(record.customerId, owner);
      aliases.set(customerId, owner);
      merges.push({ aliasId: customerId, canonicalId: owner, reason });
    }
    decided.push({ record, customerId, owner, reason });
  }
  await beforeWrites?.(merges);
  for (const { record, customerId, owner, reason } of decided) {
    if (owner !== customerId) await store.mergeCustomer(customerId, owner, reason, now);
    // The owner's contact wins, stored or earlier in this batch; a row of a merged id only fills
    // what it lacks. (A retry meets the rows it merged before under their owner's id: the same.)
    const merged = owner !== record.customerId;
    if (merged && !contacts.has(owner)) {
      const stored = (await store.loadCustomer(owner)).profile?.contact;
      // Its stored consent is no statement of this file, so only this row's consent goes on.
      if (stored !== undefined) {
        const { consent: _consent, ...fields } = contactFieldsOf(stored);
        contacts.set(owner, { ...fields, customerId: owner });
      }
    }
    add({ ...record, customerId: owner }, merged);
  }
  const customers = [...contacts.values()];
  const live = <T extends { customerId: string }>(rows: readonly T[]): T[] => rows.filter((r) => !isErased(r.customerId) || (erased.push(r), false));
  const orders = live(batch.orders).map((o) => (aliases.has(o.customerId) ? { ...o, customerId: canonical(o.customerId) } : o));
  const events = live(batch.events).map((e) => (aliases.has(e.customerId) ? { ...e, customerId: canonical(e.customerId) } : e));
  return { orders, customers, events, merges, erased };
}

function mapDefined<T, U>(value: T | undefined, f: (value: T) => U): U | undefined {
  return value === undefined ? undefined : f(value);
}
