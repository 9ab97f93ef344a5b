import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { CustomerEvent, Order } from '../core/records.ts';
import type { Membership, Transition } from '../core/segments/assign.ts';
import type { PopulationStats } from '../core/segments/population.ts';
import { mapLimit } from '../core/collections.ts';
import { TABLE_KEYS } from './table-schema.ts';
import { customerIdHash, emailHash, externalIdHash } from '../core/privacy.ts';
import { readSuppressions } from './suppression-reader.ts';
import type { StoredFeedback } from './ports/feedback.ts';
import type { EngagementFacts } from '../core/feedback/engagement.ts';
import { isConditionFailure } from './dynamo-errors.ts';
import { RetryableError } from '../core/errors.ts';
import { contactUpdatesById, mergeContacts, sameContact, updateContacts } from '../core/contact-merge.ts';
import { backoff, batchGetAll, batchWriteAll, queryCount, queryPages, queryPartition, scanPages } from './dynamo-batch.ts';
import { customerPk, eventItem, orderItem } from './ledger-items.ts';
import type { Contact, CustomerState, CustomerStore, FileRecord, Profile } from './ports/customers.ts';

/**
 * The single table. Items of one customer share the partition C#<id>: CONTACT (from customer
 * files: {customerId, contact, updatedAt, version}, the contact merged field by field with when
 * and from which file consent changed, see functions/core/contact-merge.ts), PROFILE (order
 * aggregates), O#<order> (the ledger), SEG#<segment> (membership, also in the segment index),
 * T#<at>#<segment> (transition), SEND#<campaign> (send ledger). FILE#<key> items record which
 * uploads are applied. One Query on C#<id> reads everything about a customer.
 * Table-wide items: STATS/POPULATION (population statistics of the last full evaluation) and
 * SNAPSHOT/<date> (segment sizes per day).
 *
 * Send ledger (written by functions/adapters/campaign-store.ts), one item per customer and campaign:
 *   pk=C#<id> sk=SEND#<campaign> {customerId, campaign, status, claimedAt, marketing, segment?,
 *   sentAt?, messageId?, notBefore?, reason?, error?}. status is CLAIMED | SENDING | SENT | FAILED |
 *   HOLDOUT | DEFERRED | UNCERTAIN | DROPPED (meanings in functions/core/send-decision.ts). The item
 *   is created only by a conditional put, so a customer gets a campaign at most once. While DEFERRED
 *   it carries gsi1pk=DEFER#<campaign> and while CLAIMED or SENDING gsi1pk=PENDING#<campaign>
 *   (gsi1sk=C#<id>), so later runs find what waits through the segment index without a scan.
 * Campaign runs: pk=CAMPAIGN#<name> sk=LAST_RUN {at}: where the next entry-triggered run starts.
 * Addresses ever held: pk=C#<id> sk=ADDR#<emailHash> {customerId}, written beside the EMAIL#<hash>
 *   OWNER link and carried over by a merge, so erasure and suppression reach every address a
 *   customer has had (the CONTACT item holds only the latest). MERGE#<aliasId> items are carried too.
 * Suppression: pk=SUPPRESS#<sha256 of the address> sk=SUPPRESS {reason: erased | unsubscribed |
 *   bounced | complained, at}, and per customer pk=SUPPRESS#ID#<customerIdHash(id)> sk=SUPPRESS
 *   {reason: erased | unsubscribed, at}: an erased id (and every id merged into it) is never recreated
 *   by ingest or feedback, and an unsubscribed customer is not mailed at any address.
 */
const SEGMENT_INDEX = TABLE_KEYS.segmentIndex.name;

/** A FILE#<key> / E#<etag> item as the record it holds, without the table's keys. */
const fileRecord = ({ pk: _pk, sk: _sk, ...record }: Record<string, unknown>) => record as unknown as FileRecord;

/** Chunk states sit under the file's partition, beside its FILE#<key>/E#<etag> record. */
const chunkSk = (etag: string, phase: string, chunk: number | undefined) =>
  `K#${etag}#${phase}#${chunk === undefined ? '' : String(chunk).padStart(5, '0')}`;

/** Calls per batch of writes before a RetryableError: eleven, as this store's own loop made. */
const WRITE_ATTEMPTS = 11;

export function dynamoCustomerStore(client: DynamoDBDocumentClient, table: string): CustomerStore {
  /** The members of a segment, through the segment index. */
  const segmentQuery = (segment: string) => ({
    TableName: table,
    IndexName: SEGMENT_INDEX,
    KeyConditionExpression: 'gsi1pk = :segment',
    ExpressionAttributeValues: { ':segment': `SEG#${segment}` },
  });

  /** Puts then deletes, 25 per call, retrying unprocessed items with backoff (dynamo-batch.ts). */
  const batchWrite = (puts: readonly Record<string, unknown>[], deletes: readonly Record<string, unknown>[] = []) =>
    batchWriteAll(client, table, { puts, deletes }, { attempts: WRITE_ATTEMPTS });

  /** Reads items by key, 100 per call, retrying unprocessed keys with backoff (dynamo-batch.ts). */
  const batchGet = (keys: readonly Record<string, unknown>[], consistentRead = false) => batchGetAll(client, table, keys, { consistentRead });

  /** Every item of a partition (whose sort key starts with prefix), page by page; consistent when asked. */
  const queryAll = (pk: string, prefix: string, consistentRead = false) => queryPartition(client, table, pk, prefix, consistentRead);

  /**
   * Read-merge-write of one CONTACT item, conditional on the version it was read at: a writer that
   * lost the race reads again and merges again, so no field and no opt-out of the other is lost.
   * Nothing is written when the merge changes nothing (a retried file).
   */
  async function writeContact(customerId: string, read: Record<string, unknown> | undefined, merge: (stored: Contact | undefined) => Contact, now: Date): Promise<boolean> {
    let item = read;
    for (let attempt = 0; ; attempt++) {
      const stored = item?.contact as Contact | undefined;
      const next = merge(stored);
      if (item !== undefined && sameContact(next, stored)) return false;
      const version = typeof item?.version === 'number' ? item.version : undefined;
      try {
        await client.send(
          new PutCommand({
            TableName: table,
            Item: { pk: customerPk(customerId), sk: 'CONTACT', customerId, contact: next, updatedAt: now.toISOString(), version: (version ?? 0) + 1 },
            // Items written before versions were kept have none: the first versioned write claims them.
            ConditionExpression: item === undefined ? 'attribute_not_exists(pk)' : version === undefined ? 'attribute_not_exists(version)' : 'version = :version',
            ...(version === undefined ? {} : { ExpressionAttributeValues: { ':version': version } }),
          }),
        );
        return true;
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
        if (attempt >= CONTACT_WRITE_ATTEMPTS) throw new RetryableError(`the contact of customer ${customerId} kept changing during ${attempt + 1} attempts to write it`);
        await backoff(attempt + 1);
        ({ Item: item } = await client.send(new GetCommand({ TableName: table, Key: { pk: customerPk(customerId), sk: 'CONTACT' }, ConsistentRead: true })));
      }
    }
  }

  return {
    async getFile(key, etag) {
      const { Item } = await client.send(new GetCommand({ TableName: table, Key: { pk: `FILE#${key}`, sk: `E#${etag}` } }));
      return Item === undefined ? undefined : fileRecord(Item);
    },
    async fileVersions(key) {
      return (await queryAll(`FILE#${key}`, 'E#')).map(fileRecord);
    },
    async putFile(record) {
      await client.send(new PutCommand({ TableName: table, Item: { pk: `FILE#${record.key}`, sk: `E#${record.etag}`, ...record } }));
    },
    async putChunkState(key, etag, phase, chunk, state) {
      try {
        // The first run of a chunk to finish keeps its counts; a duplicate run (two joins racing) found less to do.
        await client.send(
          new PutCommand({
            TableName: table,
            Item: { ...state, pk: `FILE#${key}`, sk: chunkSk(etag, phase, chunk), chunk, phase },
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        );
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
      }
    },
    async listChunkStates(key, etag, phase) {
      // Consistent: a join counts the chunks that finished just before it.
      const items = await queryAll(`FILE#${key}`, chunkSk(etag, phase, undefined), true);
      return items.map(({ pk: _pk, sk: _sk, ...state }) => state);
    },
    async putOrders(orders, source) {
      // Rows repeated within one batch share a key, and BatchWriteItem refuses duplicate keys.
      const items = new Map(orders.map((o) => [`${o.customerId}\u001f${o.orderId}\u001f${o.lineId}`, o]));
      await batchWrite([...items.values()].map((o) => orderItem(o, source)));
    },
    async putContacts(customers, now, origin) {
      const change = { ...origin, at: now.toISOString() };
      const updates = contactUpdatesById(customers);
      // One consistent BatchGet per 100 contacts, then a conditional put for each that changes.
      const stored = await batchGet([...updates.keys()].map((id) => ({ pk: customerPk(id), sk: 'CONTACT' })), true);
      const byId = new Map(stored.map((i) => [String(i.customerId), i]));
      await mapLimit([...updates], CONTACT_WRITERS, async ([customerId, fields]) => {
        await writeContact(customerId, byId.get(customerId), (contact) => updateContacts(contact, fields, change), now);
      });
      await batchWrite(
        customers.flatMap(({ customerId, ...contact }) => [
          // The address → customer link, keyed by hash so the table's keys hold no address.
          ...(contact.email ? [{ pk: `EMAIL#${emailHash(contact.email)}`, sk: 'OWNER', customerId }] : []),
          // Every address the customer has had, so erasure and suppression can reach the old ones.
          ...(contact.email ? [{ pk: customerPk(customerId), sk: `ADDR#${emailHash(contact.email)}`, customerId }] : []),
          ...(contact.externalId ? [{ pk: `XID#${externalIdHash(contact.externalId)}`, sk: 'OWNER', customerId }] : []),
        ]),
      );
    },
    async resolveAliases(customerIds) {
      const items = await batchGet([...new Set(customerIds)].map((id) => ({ pk: customerPk(id), sk: 'ALIAS' })));
      return new Map(items.map((i) => [String(i.customerId), String(i.canonicalId)]));
    },
    async mergeCustomer(aliasId, canonicalId, reason, now) {
      const items = await queryAll(customerPk(aliasId), '');
      const to = customerPk(canonicalId);
      const moved = items
        .filter((i) => ['O#', 'E#', 'SEND#'].some((prefix) => String(i.sk).startsWith(prefix)))
        .map((i) => ({ ...i, pk: to, customerId: canonicalId }));
      const aliasContact = items.find((i) => i.sk === 'CONTACT')?.contact as Contact | undefined;
      // The merged contact is written first: a crash before the batch below leaves the alias whole,
      // and merging it again changes nothing.
      if (aliasContact !== undefined) {
        const { Item } = await client.send(new GetCommand({ TableName: table, Key: { pk: to, sk: 'CONTACT' }, ConsistentRead: true }));
        await writeContact(canonicalId, Item, (contact) => mergeContacts(contact, aliasContact), now);
      }
      const puts: Record<string, unknown>[] = [
        ...moved,
        { pk: customerPk(aliasId), sk: 'ALIAS', customerId: aliasId, canonicalId, reason, at: now.toISOString() },
        { pk: to, sk: `MERGE#${aliasId}`, aliasId, reason, at: now.toISOString() },
      ];
      const deletes = [
        ...items.filter((i) => i.sk !== 'ALIAS').map((i) => ({ pk: i.pk, sk: i.sk })),
      ];
      // The alias's address now leads to the canonical customer.
      if (aliasContact?.email) puts.push({ pk: `EMAIL#${emailHash(aliasContact.email)}`, sk: 'OWNER', customerId: canonicalId });
      if (aliasContact?.externalId) puts.push({ pk: `XID#${externalIdHash(aliasContact.externalId)}`, sk: 'OWNER', customerId: canonicalId });
      puts.push(...carriedIdentities(items, canonicalId, aliasContact?.email));
      await batchWrite(puts, deletes);
    },
    async findByEmail(email) {
      const owners = await this.emailOwners([emailHash(email)]);
      return [...owners.values()];
    },
    async emailOwners(hashes) {
      const items = await batchGet([...new Set(hashes)].map((h) => ({ pk: `EMAIL#${h}`, sk: 'OWNER' })));
      return new Map(items.map((i) => [String(i.pk).slice('EMAIL#'.length), String(i.customerId)]));
    },
    async externalIdOwners(hashes) {
      const items = await batchGet([...new Set(hashes)].map((h) => ({ pk: `XID#${h}`, sk: 'OWNER' })));
      return new Map(items.map((i) => [String(i.pk).slice('XID#'.length), String(i.customerId)]));
    },
    async exportCustomer(customerId) {
      return queryAll(customerPk(customerId), '');
    },
    async forgetCustomer(customerId, now) {
      // The customer, then every id merged into it (MERGE# items, followed through older merges too).
      const ids = [customerId];
      const items: Record<string, unknown>[] = [];
      for (let i = 0; i < ids.length; i++) {
        const held = await queryAll(customerPk(ids[i] as string), '');
        items.push(...held);
        for (const item of held) {
          const alias = String(item.sk).startsWith('MERGE#') ? String(item.aliasId) : undefined;
          if (alias !== undefined && !ids.includes(alias)) ids.push(alias);
        }
      }
      const { hashes, externalIds, messageIds } = erasedIdentities(items);
      const owned = (owners: Map<string, string>, prefix: string) =>
        [...owners].filter(([, owner]) => ids.includes(owner)).map(([hash]) => ({ pk: `${prefix}#${hash}`, sk: 'OWNER' }));
      const deletes = [
        ...items.map((i) => ({ pk: i.pk, sk: i.sk })),
        // Links that another customer took over since stay theirs.
        ...owned(await this.emailOwners([...hashes]), 'EMAIL'),
        ...owned(await this.externalIdOwners([...externalIds]), 'XID'),
        // SES events for these sends would otherwise still find the customer through the message id.
        ...[...messageIds].map((id) => ({ pk: `MSG#${id}`, sk: 'MSG' })),
      ];
      const at = now.toISOString();
      const suppressions = [
        ...[...hashes].map((h) => ({ pk: `SUPPRESS#${h}`, sk: 'SUPPRESS', reason: 'erased', at })),
        ...ids.map((id) => ({ pk: `SUPPRESS#ID#${customerIdHash(id)}`, sk: 'SUPPRESS', reason: 'erased', at })),
      ];
      // Suppression first: a crash in between leaves the customer unmailable, never erased yet mailable.
      await batchWrite(suppressions);
      await batchWrite([], deletes);
      return { customerId, mergedIds: ids.slice(1), itemsDeleted: deletes.length, addressHashes: [...hashes] };
    },
    async suppress(hash, reason, now) {
      try {
        await client.send(
          new PutCommand({
            TableName: table,
            Item: { pk: `SUPPRESS#${hash}`, sk: 'SUPPRESS', reason, at: now.toISOString() },
            // A bounce reported after an erasure must not turn the erasure into a bounce.
            ConditionExpression: 'attribute_not_exists(pk) OR #reason <> :erased',
            ExpressionAttributeNames: { '#reason': 'reason' },
            ExpressionAttributeValues: { ':erased': 'erased' },
          }),
        );
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
      }
    },
    async suppressCustomer(customerId, reason, now) {
      const key = { pk: `SUPPRESS#ID#${customerIdHash(customerId)}`, sk: 'SUPPRESS' };
      try {
        await client.send(
          new PutCommand({
            TableName: table,
            Item: { ...key, reason, at: now.toISOString() },
            ConditionExpression: 'attribute_not_exists(pk) OR #reason <> :erased',
            ExpressionAttributeNames: { '#reason': 'reason' },
            ExpressionAttributeValues: { ':erased': 'erased' },
          }),
        );
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
      }
    },
    async erasedIds(customerIds) {
      const byHash = new Map([...new Set(customerIds)].map((id) => [customerIdHash(id), id]));
      const items = await batchGet([...byHash.keys()].map((h) => ({ pk: `SUPPRESS#ID#${h}`, sk: 'SUPPRESS' })));
      return new Set(items.filter((i) => i.reason === 'erased').map((i) => byHash.get(String(i.pk).slice('SUPPRESS#ID#'.length)) ?? ''));
    },
    async suppressions(customerId) {
      const { Item } = await client.send(new GetCommand({ TableName: table, Key: { pk: customerPk(customerId), sk: 'CONTACT' } }));
      const email = (Item?.contact as Contact | undefined)?.email;
      const found = await readSuppressions(client, table, batchGet, [{ customerId, currentHash: email ? emailHash(email) : undefined }]);
      return found.get(customerId) ?? [];
    },
    async suppressedHashes(hashes) {
      const items = await batchGet([...new Set(hashes)].map((h) => ({ pk: `SUPPRESS#${h}`, sk: 'SUPPRESS' })));
      return new Set(items.map((i) => String(i.pk).slice('SUPPRESS#'.length)));
    },
    async loadCustomer(customerId) {
      return customerStateFromItems(customerId, await queryAll(customerPk(customerId), ''));
    },
    async putEvents(events, source) {
      const items = new Map(events.map((e) => [`${e.customerId}\u001f${e.eventId}`, e]));
      await batchWrite([...items.values()].map((e) => eventItem(e, source)));
    },
    async applyRefresh(updates, now) {
      const transitions: Record<string, unknown>[] = [];
      const puts: Record<string, unknown>[] = [];
      const deletes: Record<string, unknown>[] = [];
      for (const { customerId, aggregates, changes } of updates) {
        const pk = customerPk(customerId);
        if (aggregates !== undefined) {
          puts.push({ pk, sk: 'PROFILE', customerId, orders: aggregates.orders, events: aggregates.events, updatedAt: now.toISOString() });
        }
        if (changes === undefined) continue;
        for (const m of changes.enter) puts.push({ pk, sk: `SEG#${m.segment}`, ...m, customerId, gsi1pk: `SEG#${m.segment}`, gsi1sk: pk });
        for (const t of changes.transitions) transitions.push({ pk, sk: `T#${t.at}#${t.segment}#${t.change}`, ...t });
        for (const m of changes.exit) deletes.push({ pk, sk: `SEG#${m.segment}` });
      }
      // Transitions first, in calls of their own: a crash in between leaves a transition without
      // its membership change, which the next evaluation at the same time redoes under the same
      // key, never a membership change whose transition is lost.
      await batchWrite(transitions);
      await batchWrite(puts, deletes);
      return transitions.length + puts.length + deletes.length;
    },
    async getContacts(customerIds) {
      const items = await batchGet(customerIds.map((id) => ({ pk: customerPk(id), sk: 'CONTACT' })));
      return items.map((i) => ({ customerId: String(i.customerId), contact: i.contact as Contact }));
    },
    async *listSegmentMembers(segment) {
      for await (const page of queryPages(client, segmentQuery(segment))) {
        // The index projects keys only: the customer id is the table's partition key after "C#".
        yield (page.Items ?? []).map((i) => String(i.pk).slice(2));
      }
    },
    async getPopulation() {
      const { Item } = await client.send(new GetCommand({ TableName: table, Key: { pk: 'STATS', sk: 'POPULATION' } }));
      return Item === undefined ? undefined : (Item.stats as PopulationStats);
    },
    async putPopulation(stats, asOf) {
      await client.send(new PutCommand({ TableName: table, Item: { pk: 'STATS', sk: 'POPULATION', stats, asOf: asOf.toISOString() } }));
    },
    async countSegmentMembers(segment) {
      return queryCount(client, segmentQuery(segment));
    },
    async putSegmentSnapshot(date, sizes) {
      await client.send(new PutCommand({ TableName: table, Item: { pk: 'SNAPSHOT', sk: date, sizes } }));
    },
    async *scanProfiles(part) {
      const profiles = {
        TableName: table,
        FilterExpression: 'sk = :profile',
        ExpressionAttributeValues: { ':profile': 'PROFILE' },
        ProjectionExpression: 'customerId, orders, events, updatedAt',
      };
      for await (const page of scanPages(client, profiles, part)) yield (page.Items ?? []) as Profile[];
    },
    async listSegmentSnapshots() {
      const items = await queryAll('SNAPSHOT', '');
      return items.map((i) => ({ date: String(i.sk), sizes: i.sizes as Record<string, number> }));
    },
  };
}

/**
 * A customer's state from the items of its partition (as a Query or a Scan returns them), so a
 * scan that already read them needs no second read.
 */
export function customerStateFromItems(customerId: string, items: readonly Record<string, unknown>[]): CustomerState {
  let contact: Contact | undefined;
  let profile: Record<string, unknown> | undefined;
  const orders: Order[] = [];
  const events: CustomerEvent[] = [];
  const memberships: Membership[] = [];
  const transitions: Transition[] = [];
  const feedback: StoredFeedback[] = [];
  let engagement: EngagementFacts | undefined;
  for (const { pk: _pk, sk, ...item } of items) {
    const kind = String(sk);
    if (kind === 'CONTACT') contact = item.contact as Contact;
    else if (kind === 'ENGAGEMENT') engagement = item.engagement as EngagementFacts;
    else if (kind.startsWith('FB#')) feedback.push(item as unknown as StoredFeedback);
    else if (kind === 'PROFILE') profile = item;
    else if (kind.startsWith('O#')) {
      const { source: _source, ...order } = item;
      orders.push(order as unknown as Order);
    } else if (kind.startsWith('E#')) {
      const { source: _source, ...event } = item;
      events.push(event as unknown as CustomerEvent);
    } else if (kind.startsWith('SEG#')) {
      memberships.push({ segment: String(item.segment), since: String(item.since), why: (item.why ?? []) as Membership['why'] });
    } else if (kind.startsWith('T#')) {
      transitions.push(item as unknown as Transition);
    }
  }
  const known = contact !== undefined || profile !== undefined;
  return {
    profile: known
      ? ({ ...profile, customerId, ...(contact === undefined ? {} : { contact }), ...(engagement === undefined ? {} : { engagement }) } as Profile)
      : undefined,
    orders,
    events,
    memberships,
    transitions,
    feedback,
  };
}

/** Conditional contact puts in flight at once: single-item writes, so several overlap to keep ingest fast. */
const CONTACT_WRITERS = 32;
const CONTACT_WRITE_ATTEMPTS = 10;
/**
 * What a merge carries to the canonical customer besides ledgers and contact: every address the
 * alias has had (and its address links) and the ids merged into the alias before.
 */
function carriedIdentities(aliasItems: readonly Record<string, unknown>[], canonicalId: string, aliasEmail: string | undefined): Record<string, unknown>[] {
  const to = customerPk(canonicalId);
  const hashes = new Set(aliasItems.filter((i) => String(i.sk).startsWith('ADDR#')).map((i) => String(i.sk).slice('ADDR#'.length)));
  if (aliasEmail) hashes.add(emailHash(aliasEmail));
  return [
    ...[...hashes].flatMap((h) => [
      { pk: to, sk: `ADDR#${h}`, customerId: canonicalId },
      // The current address's link is written above too; one put per key in a batch.
      ...(aliasEmail && emailHash(aliasEmail) === h ? [] : [{ pk: `EMAIL#${h}`, sk: 'OWNER', customerId: canonicalId }]),
    ]),
    ...aliasItems.filter((i) => String(i.sk).startsWith('MERGE#')).map((i) => ({ ...i, pk: to })),
  ];
}

/** The address hashes, external-id hashes and SES message ids found among an erased customer's items. */
function erasedIdentities(items: readonly Record<string, unknown>[]) {
  const hashes = new Set<string>();
  const externalIds = new Set<string>();
  const messageIds = new Set<string>();
  for (const item of items) {
    const sk = String(item.sk);
    if (sk.startsWith('ADDR#')) hashes.add(sk.slice('ADDR#'.length));
    else if (sk === 'CONTACT') {
      const contact = item.contact as Contact | undefined;
      if (contact?.email) hashes.add(emailHash(contact.email));
      if (contact?.externalId) externalIds.add(externalIdHash(contact.externalId));
    } else if (sk.startsWith('SEND#') && typeof item.messageId === 'string') messageIds.add(item.messageId);
  }
  return { hashes, externalIds, messageIds };
}
