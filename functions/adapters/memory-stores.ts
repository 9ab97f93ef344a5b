import { Readable } from 'node:stream';
import { createReadStream, readFileSync } from 'node:fs';
import type { CustomerStore, Contact, FileRecord, ProfileAggregates } from './ports/customers.ts';
import type { EmailTemplateContent, EmailTemplates } from './ports/email-templates.ts';
import type { ObjectRemover, ObjectStore, ObjectWriter, RangedObjectStore } from './ports/objects.ts';
import type { CustomerEvent, OrderLine } from '../core/records.ts';
import type { Membership, Transition } from '../core/segments/assign.ts';
import type { PopulationStats } from '../core/segments/population.ts';
import { customerIdHash, emailHash, externalIdHash } from '../core/privacy.ts';
import { contactUpdatesById, mergeContacts, sameContact, updateContacts } from '../core/contact-merge.ts';
import type { SuppressionEntry } from '../core/suppression.ts';

/**
 * The customer store in memory, for commands that read files directly (rfm, model) and for fast
 * tests of the ingest logic. Same contract as the DynamoDB store (test/integration/customer-store-contract.test.ts
 * runs both through the same cases); it counts writes too.
 */
export interface MemoryCustomerStore extends CustomerStore {
  readonly writes: () => number;
  readonly merges: () => readonly { aliasId: string; canonicalId: string; reason: string }[];
  readonly customerIds: () => string[];
  readonly transitions: () => readonly Transition[];
  readonly memberships: (customerId: string) => Membership[];
}

export function memoryCustomerStore(): MemoryCustomerStore {
  const files = new Map<string, FileRecord>();
  const chunkStates = new Map<string, Record<string, unknown>>();
  const contacts = new Map<string, Contact>();
  const profiles = new Map<string, ProfileAggregates & { updatedAt: string }>();
  const ledger = new Map<string, Map<string, OrderLine>>();
  const eventLedger = new Map<string, Map<string, CustomerEvent>>();
  const memberships = new Map<string, Map<string, Membership>>();
  const suppressed = new Map<string, { reason: string; at: string }>();
  const idSuppressed = new Map<string, { reason: string; at: string }>();
  // The EMAIL#<hash> and XID#<hash> OWNER links, every address each customer has had (ADDR#), and who merged into whom (MERGE#).
  const emailLinks = new Map<string, string>();
  const externalIdLinks = new Map<string, string>();
  const addresses = new Map<string, Set<string>>();
  const mergedInto = new Map<string, Set<string>>();
  const addAddress = (customerId: string, hash: string) => {
    emailLinks.set(hash, customerId);
    addresses.set(customerId, (addresses.get(customerId) ?? new Set()).add(hash));
  };
  const suppressUnlessErased = (held: Map<string, { reason: string; at: string }>, hash: string, reason: string, now: Date) => {
    if (held.get(hash)?.reason !== 'erased') held.set(hash, { reason, at: now.toISOString() });
  };
  const aliases = new Map<string, string>();
  // Keyed as the table keys them (MERGE#<alias>, T#<at>#<segment>#<change>), so writing one again replaces it.
  const merges = new Map<string, { aliasId: string; canonicalId: string; reason: string }>();
  const transitions = new Map<string, Transition>();
  const snapshots = new Map<string, Record<string, number>>();
  // Each customer's transition keys, so reading one customer does not go through everyone's.
  const transitionKeys = new Map<string, Set<string>>();
  const transitionSk = (t: Transition) => `T#${t.at}#${t.segment}#${t.change}`;
  const putTransition = (t: Transition) => {
    const sk = transitionSk(t);
    transitions.set(`${t.customerId}\u001f${sk}`, t);
    transitionKeys.set(t.customerId, (transitionKeys.get(t.customerId) ?? new Set()).add(sk));
  };
  /** A customer's transitions oldest first, in the order of their T#<at>#<segment>#<change> keys. */
  const transitionsOf = (customerId: string) =>
    [...(transitionKeys.get(customerId) ?? [])].sort().map((sk) => transitions.get(`${customerId}\u001f${sk}`) as Transition);
  /** Deletes the transitions of these customers, as deleting their partitions does; returns how many. */
  const dropTransitions = (ids: readonly string[]) => {
    let gone = 0;
    for (const id of ids) {
      for (const sk of transitionKeys.get(id) ?? []) gone += transitions.delete(`${id}\u001f${sk}`) ? 1 : 0;
      transitionKeys.delete(id);
    }
    return gone;
  };
  let population: PopulationStats | undefined;
  let writes = 0;

  return {
    writes: () => writes,
    merges: () => [...merges.values()],
    transitions: () => [...transitions.values()],
    memberships: (customerId) => [...(memberships.get(customerId)?.values() ?? [])],
    async getPopulation() {
      return population;
    },
    async putPopulation(stats) {
      writes++;
      population = stats;
    },
    async countSegmentMembers(segment) {
      return [...memberships.values()].filter((m) => m.has(segment)).length;
    },
    async putSegmentSnapshot(date, sizes) {
      writes++;
      snapshots.set(date, { ...sizes });
    },
    async *scanProfiles(part) {
      const ids = [...profiles.keys()].filter((_, i) => part === undefined || i % part.totalSegments === part.segment);
      yield ids.map((customerId) => {
        const { updatedAt, orders, events } = profiles.get(customerId) ?? { updatedAt: '', orders: undefined, events: undefined };
        return { customerId, updatedAt, ...(orders === undefined ? {} : { orders }), ...(events === undefined ? {} : { events }) };
      });
    },
    async listSegmentSnapshots() {
      return [...snapshots].sort(([a], [b]) => a.localeCompare(b)).map(([date, sizes]) => ({ date, sizes }));
    },
    customerIds: () => [...new Set([...contacts.keys(), ...ledger.keys(), ...eventLedger.keys()])],
    async getFile(key, etag) {
      return files.get(`${key}\u001f${etag}`);
    },
    async fileVersions(key) {
      return [...files.values()].filter((f) => f.key === key);
    },
    async putFile(record) {
      writes++;
      files.set(`${record.key}\u001f${record.etag}`, record);
    },
    async putChunkState(key, etag, phase, chunk, state) {
      const id = `${key}\u001f${etag}\u001f${phase}\u001f${String(chunk).padStart(5, '0')}`;
      if (chunkStates.has(id)) return;
      writes++;
      chunkStates.set(id, { ...state, chunk, phase });
    },
    async listChunkStates(key, etag, phase) {
      const prefix = `${key}\u001f${etag}\u001f${phase}\u001f`;
      return [...chunkStates.entries()].filter(([k]) => k.startsWith(prefix)).sort(([a], [b]) => a.localeCompare(b)).map(([, v]) => ({ ...v }));
    },
    async putOrders(orders) {
      for (const order of orders) {
        writes++;
        const lines = ledger.get(order.customerId) ?? new Map<string, OrderLine>();
        lines.set(`${order.orderId}#${order.lineId}`, order);
        ledger.set(order.customerId, lines);
      }
    },
    async putEvents(events) {
      for (const event of events) {
        writes++;
        const held = eventLedger.get(event.customerId) ?? new Map<string, CustomerEvent>();
        held.set(event.eventId, event);
        eventLedger.set(event.customerId, held);
      }
    },
    async putContacts(customers, now, origin) {
      for (const [customerId, fields] of contactUpdatesById(customers)) {
        const stored = contacts.get(customerId);
        const next = updateContacts(stored, fields, { ...origin, at: now.toISOString() });
        if (stored !== undefined && sameContact(next, stored)) continue;
        writes++;
        contacts.set(customerId, next);
      }
      // As in DynamoDB: every row carrying an address or external id links it, changed or not.
      for (const { customerId, email, externalId } of customers) {
        if (email) addAddress(customerId, emailHash(email));
        if (externalId) externalIdLinks.set(externalIdHash(externalId), customerId);
      }
    },
    async loadCustomer(customerId) {
      const contact = contacts.get(customerId);
      const profile = profiles.get(customerId);
      const known = contact !== undefined || profile !== undefined;
      return {
        profile: known
          ? {
              customerId,
              ...(contact === undefined ? {} : { contact }),
              ...(profile?.orders === undefined ? {} : { orders: profile.orders }),
              ...(profile?.events === undefined ? {} : { events: profile.events }),
              ...(profile ? { updatedAt: profile.updatedAt } : {}),
            }
          : undefined,
        orders: [...(ledger.get(customerId)?.values() ?? [])],
        events: [...(eventLedger.get(customerId)?.values() ?? [])],
        memberships: [...(memberships.get(customerId)?.values() ?? [])],
        transitions: transitionsOf(customerId),
        feedback: [],
      };
    },
    async applyRefresh(updates, now) {
      let count = 0;
      for (const { customerId, aggregates, changes } of updates) {
        if (aggregates !== undefined) {
          profiles.set(customerId, { ...aggregates, updatedAt: now.toISOString() });
          count++;
        }
        if (changes === undefined) continue;
        const current = memberships.get(customerId) ?? new Map<string, Membership>();
        for (const m of changes.enter) current.set(m.segment, m);
        for (const m of changes.exit) current.delete(m.segment);
        memberships.set(customerId, current);
        for (const t of changes.transitions) putTransition(t);
        count += changes.enter.length + changes.exit.length + changes.transitions.length;
      }
      writes += count;
      return count;
    },
    async getContacts(customerIds) {
      return customerIds.flatMap((customerId) => {
        const contact = contacts.get(customerId);
        return contact === undefined ? [] : [{ customerId, contact }];
      });
    },
    async *listSegmentMembers(segment) {
      yield [...memberships].filter(([, m]) => m.has(segment)).map(([id]) => id);
    },
    async resolveAliases(customerIds) {
      return new Map(customerIds.filter((id) => aliases.has(id)).map((id) => [id, aliases.get(id) ?? id]));
    },
    async mergeCustomer(aliasId, canonicalId, reason) {
      const lines = ledger.get(aliasId);
      if (lines !== undefined) {
        const target = ledger.get(canonicalId) ?? new Map<string, OrderLine>();
        for (const [k, line] of lines) target.set(k, { ...line, customerId: canonicalId });
        ledger.set(canonicalId, target);
      }
      const aliasEvents = eventLedger.get(aliasId);
      if (aliasEvents !== undefined) {
        const target = eventLedger.get(canonicalId) ?? new Map<string, CustomerEvent>();
        for (const [k, event] of aliasEvents) target.set(k, { ...event, customerId: canonicalId });
        eventLedger.set(canonicalId, target);
        eventLedger.delete(aliasId);
      }
      const aliasContact = contacts.get(aliasId);
      if (aliasContact !== undefined) contacts.set(canonicalId, mergeContacts(contacts.get(canonicalId), aliasContact));
      ledger.delete(aliasId);
      contacts.delete(aliasId);
      profiles.delete(aliasId);
      memberships.delete(aliasId);
      dropTransitions([aliasId]);
      aliases.set(aliasId, canonicalId);
      if (aliasContact?.email) addAddress(aliasId, emailHash(aliasContact.email));
      if (aliasContact?.externalId) externalIdLinks.set(externalIdHash(aliasContact.externalId), canonicalId);
      for (const hash of addresses.get(aliasId) ?? []) addAddress(canonicalId, hash);
      addresses.delete(aliasId);
      const merged = mergedInto.get(canonicalId) ?? new Set<string>();
      for (const id of [aliasId, ...(mergedInto.get(aliasId) ?? [])]) merged.add(id);
      mergedInto.set(canonicalId, merged);
      mergedInto.delete(aliasId);
      merges.set(`${canonicalId}#${aliasId}`, { aliasId, canonicalId, reason });
      writes += 2 + (lines?.size ?? 0);
    },
    async emailOwners(hashes) {
      return new Map(hashes.flatMap((h) => (emailLinks.has(h) ? [[h, emailLinks.get(h) ?? '']] : [])));
    },
    async externalIdOwners(hashes) {
      return new Map(hashes.flatMap((h) => (externalIdLinks.has(h) ? [[h, externalIdLinks.get(h) ?? '']] : [])));
    },
    async findByEmail(email) {
      const owner = emailLinks.get(emailHash(email));
      return owner === undefined ? [] : [owner];
    },
    async exportCustomer(customerId) {
      const { profile, orders, events, memberships: held } = await this.loadCustomer(customerId);
      return [...(profile ? [profile] : []), ...orders, ...events, ...held].map((item) => ({ ...item }));
    },
    async forgetCustomer(customerId, now) {
      const ids = [customerId, ...(mergedInto.get(customerId) ?? [])];
      const hashes = new Set(addresses.get(customerId) ?? []);
      const email = contacts.get(customerId)?.email;
      if (email !== undefined) hashes.add(emailHash(email));
      const externalIds = ids.flatMap((id) => {
        const externalId = contacts.get(id)?.externalId;
        return externalId === undefined ? [] : [externalIdHash(externalId)];
      });
      let deleted = 0;
      for (const id of ids) {
        deleted +=
          (contacts.delete(id) ? 1 : 0) +
          (profiles.delete(id) ? 1 : 0) +
          (aliases.delete(id) ? 1 : 0) +
          (ledger.get(id)?.size ?? 0) +
          (eventLedger.get(id)?.size ?? 0) +
          (memberships.get(id)?.size ?? 0) +
          (addresses.get(id)?.size ?? 0);
        deleted += dropTransitions([id]);
        ledger.delete(id);
        eventLedger.delete(id);
        memberships.delete(id);
        addresses.delete(id);
        idSuppressed.set(customerIdHash(id), { reason: 'erased', at: now.toISOString() });
      }
      deleted += mergedInto.get(customerId)?.size ?? 0;
      for (const hash of externalIds) {
        if (ids.includes(externalIdLinks.get(hash) ?? '')) {
          externalIdLinks.delete(hash);
          deleted++;
        }
      }
      mergedInto.delete(customerId);
      for (const hash of hashes) {
        if (ids.includes(emailLinks.get(hash) ?? '')) {
          emailLinks.delete(hash);
          deleted++;
        }
        suppressed.set(hash, { reason: 'erased', at: now.toISOString() });
      }
      writes += deleted + hashes.size + ids.length;
      return { customerId, mergedIds: ids.slice(1), itemsDeleted: deleted, addressHashes: [...hashes] };
    },
    async suppress(hash, reason, now) {
      writes++;
      suppressUnlessErased(suppressed, hash, reason, now);
    },
    async suppressCustomer(customerId, reason, now) {
      writes++;
      suppressUnlessErased(idSuppressed, customerIdHash(customerId), reason, now);
    },
    async erasedIds(customerIds) {
      return new Set(customerIds.filter((id) => idSuppressed.get(customerIdHash(id))?.reason === 'erased'));
    },
    async suppressions(customerId) {
      const email = contacts.get(customerId)?.email;
      const current = email === undefined ? undefined : emailHash(email);
      const entries: SuppressionEntry[] = [];
      for (const id of [customerId, ...(mergedInto.get(customerId) ?? [])]) {
        const held = idSuppressed.get(customerIdHash(id));
        if (held !== undefined) entries.push({ scope: 'id', hash: customerIdHash(id), ...held });
      }
      for (const hash of new Set([...(addresses.get(customerId) ?? []), ...(current === undefined ? [] : [current])])) {
        const held = suppressed.get(hash);
        if (held !== undefined) entries.push({ scope: 'address', hash, ...held, current: hash === current });
      }
      return entries;
    },
    async suppressedHashes(hashes) {
      return new Set(hashes.filter((h) => suppressed.has(h)));
    },
  };
}

/** An object store over local files (read) and memory (written objects). */
export function fileObjectStore(files: Readonly<Record<string, string>>): ObjectStore & { readonly written: Map<string, string> } {
  const written = new Map<string, string>();
  return {
    written,
    async openStream(key): Promise<Readable> {
      const file = files[key];
      if (file === undefined) throw new Error(`no such object ${key}`);
      return createReadStream(file);
    },
    async readText(key) {
      const file = files[key];
      return written.get(key) ?? (file === undefined ? undefined : readFileSync(file, 'utf-8'));
    },
    async put(key, body) {
      written.set(key, body);
    },
    createWriter: (key) => memoryWriter((body) => written.set(key, body)),
    async list(prefix) {
      return [...new Set([...Object.keys(files), ...written.keys()])].filter((k) => k.startsWith(prefix)).sort();
    },
  };
}

/**
 * A bucket in memory that can read byte ranges, for tests of chunked ingest. Streams come in
 * small pieces so chunk boundaries fall inside them as they do over the network.
 */
export function memoryRangedStore(initial: Readonly<Record<string, string | Buffer>>, pieceBytes = 4096): RangedObjectStore & ObjectRemover & { readonly objects: Map<string, Buffer> } {
  const objects = new Map<string, Buffer>(Object.entries(initial).map(([k, v]) => [k, Buffer.from(v)]));
  // Every write is a new version, as an upload is in S3 (new upload time even for the same bytes).
  let uploads = 0;
  const versions = new Map([...objects.keys()].map((k) => [k, ++uploads]));
  const set = (key: string, body: Buffer) => {
    objects.set(key, body);
    versions.set(key, ++uploads);
  };
  const get = (key: string) => {
    const body = objects.get(key);
    if (body === undefined) throw new Error(`no such object ${key}`);
    return body;
  };
  const stream = (body: Buffer) =>
    Readable.from((function* () {
      for (let i = 0; i < body.length; i += pieceBytes) yield body.subarray(i, i + pieceBytes);
    })(), { objectMode: false });
  return {
    objects,
    size: async (key) => get(key).length,
    openStream: async (key) => stream(get(key)),
    openRange: async (key, start, end) => stream(get(key).subarray(start, end)),
    readText: async (key) => objects.get(key)?.toString('utf-8'),
    readVersioned: async (key) => {
      const body = objects.get(key);
      return body === undefined ? undefined : { text: body.toString('utf-8'), version: String(versions.get(key)) };
    },
    readBytes: async (key) => objects.get(key),
    list: async (prefix) => [...objects.keys()].filter((k) => k.startsWith(prefix)).sort(),
    put: async (key, body) => set(key, Buffer.from(body)),
    putBytes: async (key, body) => set(key, Buffer.from(body)),
    createWriter: (key) => memoryWriter((body) => set(key, Buffer.from(body))),
    delete: async (key) => {
      objects.delete(key);
      versions.delete(key);
    },
  };
}

/** Collects what is written and hands the whole text over on close. */
export function memoryWriter(onClose: (body: string) => void): ObjectWriter {
  const parts: string[] = [];
  return {
    async write(text) {
      parts.push(text);
    },
    async close() {
      onClose(parts.join(''));
    },
  };
}

/** SES's stored templates in memory, counting the writes so tests see when a run updated one. */
export function memoryEmailTemplates(): EmailTemplates & { readonly templates: Map<string, EmailTemplateContent>; readonly writes: string[] } {
  const templates = new Map<string, EmailTemplateContent>();
  const writes: string[] = [];
  return {
    templates,
    writes,
    get: async (name) => templates.get(name),
    async create(name, content) {
      if (templates.has(name)) throw new Error(`template ${name} already exists`);
      templates.set(name, content);
      writes.push(name);
    },
    async update(name, content) {
      if (!templates.has(name)) throw new Error(`no template ${name}`);
      templates.set(name, content);
      writes.push(name);
    },
  };
}
