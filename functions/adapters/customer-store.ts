import {
  ScanCommand,
  BatchGetCommand,
  type BatchGetCommandOutput,
  BatchWriteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import type { CustomerEvent, CustomerRecord, Order } from '../core/records.ts';
import type { EventAggregates, OrderAggregates } from '../core/profile.ts';
import type { Membership, MembershipChanges, Transition } from '../core/segments/assign.ts';
import type { PopulationStats } from '../core/segments/population.ts';
import { chunk } from '../core/campaign.ts';
import { TABLE_KEYS } from './table-schema.ts';
import { emailHash, externalIdHash } from '../core/privacy.ts';
import type { StoredFeedback } from './feedback-store.ts';
import type { EngagementFacts } from '../core/feedback/engagement.ts';
import { isConditionFailure } from './dynamo-errors.ts';

/**
 * The single table. Items of one customer share the partition C#<id>: CONTACT (from customer
 * files), PROFILE (order aggregates), O#<order> (the ledger), SEG#<segment> (membership, also in
 * the segment index), T#<at>#<segment> (transition), SEND#<campaign> (send ledger). FILE#<key>
 * items record which uploads are applied. One Query on C#<id> reads everything about a customer.
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
 * Suppression: pk=SUPPRESS#<sha256 of the address> sk=SUPPRESS {reason: erased | unsubscribed |
 *   bounced | complained, at}, and per customer pk=SUPPRESS#ID#<customerIdHash(id)> sk=SUPPRESS
 *   {reason: erased | unsubscribed, at}: an erased id (and every id merged into it) is never recreated
 *   by ingest or feedback, and an unsubscribed customer is not mailed at any address.
 */
export const SEGMENT_INDEX = TABLE_KEYS.segmentIndex.name;

export type Contact = Omit<CustomerRecord, 'customerId'>;

export interface Profile {
  readonly customerId: string;
  readonly contact?: Contact;
  readonly orders?: OrderAggregates;
  readonly events?: EventAggregates;
  /** E-mail engagement from SES feedback (the ENGAGEMENT item), as of the latest event. */
  readonly engagement?: EngagementFacts;
  readonly updatedAt?: string;
}

/** What the PROFILE item holds besides the id: aggregates recomputed from the ledgers. */
export interface ProfileAggregates {
  readonly orders: OrderAggregates | undefined;
  readonly events: EventAggregates | undefined;
}

/** What re-evaluating one customer changed: its aggregates, its memberships, or both. */
export interface CustomerUpdate {
  readonly customerId: string;
  readonly aggregates?: ProfileAggregates;
  readonly changes?: MembershipChanges;
}

/** Everything held about one customer that segment evaluation needs. */
export interface CustomerState {
  readonly profile: Profile | undefined;
  readonly orders: Order[];
  readonly events: CustomerEvent[];
  readonly memberships: Membership[];
  /** Recorded enters and exits, oldest first. */
  readonly transitions?: Transition[];
  /** SES feedback (sends, opens, clicks, ...), from which engagement facts are recomputed. */
  readonly feedback?: StoredFeedback[];
}

export interface FileRecord {
  readonly key: string;
  readonly etag: string;
  readonly status: 'applied';
  readonly report: unknown;
  readonly appliedAt: string;
  /** The version of the mapping file the data was read with (ObjectStore.readVersioned), when there was one. */
  readonly mappingVersion?: string;
}

export interface CustomerStore {
  getFile(key: string, etag: string): Promise<FileRecord | undefined>;
  /** Every applied version of a data file, in no particular order. */
  fileVersions(key: string): Promise<readonly FileRecord[]>;
  putFile(record: FileRecord): Promise<void>;
  /** Records that one chunk of a file finished one phase of a chunked ingest, with its counts; the first record stays. */
  putChunkState(key: string, etag: string, phase: string, chunk: number, state: Readonly<Record<string, unknown>>): Promise<void>;
  /** The states of a file's chunks that finished a phase (strongly consistent). */
  listChunkStates(key: string, etag: string, phase: string): Promise<Record<string, unknown>[]>;
  putOrders(orders: readonly Order[], source: string): Promise<void>;
  putContacts(customers: readonly CustomerRecord[], now: Date): Promise<void>;
  /** One Query: contact, aggregates, ledger and memberships of a customer. */
  loadCustomer(customerId: string): Promise<CustomerState>;
  /** Replaces the PROFILE item: the order aggregates, recomputed from the ledger. */
  /**
   * Writes the outcome of re-evaluating many customers (new aggregates, membership changes and
   * their transitions) in shared batches; returns the number of items written.
   */
  applyRefresh(updates: readonly CustomerUpdate[], now: Date): Promise<number>;
  putEvents(events: readonly CustomerEvent[], source: string): Promise<void>;
  getContacts(customerIds: readonly string[]): Promise<{ customerId: string; contact: Contact }[]>;
  listSegmentMembers(segment: string): AsyncGenerator<string[]>;
  /** The canonical id of each given id that was merged into another customer. */
  resolveAliases(customerIds: readonly string[]): Promise<Map<string, string>>;
  /**
   * Merges one customer into another: ledger, send ledger and contact (the canonical one's fields
   * win, the alias fills gaps) move over, the alias keeps only a pointer, and the merge is recorded.
   */
  mergeCustomer(aliasId: string, canonicalId: string, reason: string, now: Date): Promise<void>;
  /** Customer ids whose contact carries this address. */
  findByEmail(email: string): Promise<string[]>;
  /** The customer owning each address hash, for those that have one (one BatchGet per 100). */
  emailOwners(hashes: readonly string[]): Promise<Map<string, string>>;
  /** The customer owning each external-id hash, for those that have one (one BatchGet per 100). */
  externalIdOwners(hashes: readonly string[]): Promise<Map<string, string>>;
  /** Every item held about a customer, as stored. */
  exportCustomer(customerId: string): Promise<Record<string, unknown>[]>;
  /** Erases a customer and leaves only a suppression entry keyed by the hash of their address. */
  forgetCustomer(customerId: string, now: Date): Promise<{ deleted: number; suppressed: boolean }>;
  suppress(hash: string, reason: string, now: Date): Promise<void>;
  /** Which of these address hashes are suppressed (erased, unsubscribed, bounced, complained). */
  suppressedHashes(hashes: readonly string[]): Promise<Set<string>>;
  /** The population statistics of the last full evaluation (RFM quintiles, percentiles). */
  getPopulation(): Promise<PopulationStats | undefined>;
  putPopulation(stats: PopulationStats, asOf: Date): Promise<void>;
  /** Members of a segment, counted through the segment index (no table scan). */
  countSegmentMembers(segment: string): Promise<number>;
  /** One size snapshot per segment per day; writing a day again replaces it. */
  putSegmentSnapshot(date: string, sizes: Readonly<Record<string, number>>): Promise<void>;
  listSegmentSnapshots(): Promise<{ date: string; sizes: Record<string, number> }[]>;
  /**
   * Every PROFILE item (id and aggregates, no contact), a page at a time; `part` splits the table
   * into parallel scan segments.
   */
  scanProfiles(part?: { segment: number; totalSegments: number }): AsyncGenerator<Profile[]>;
}

const customerPk = (id: string) => `C#${id}`;
/** Chunk states sit under the file's partition, beside its FILE#<key>/E#<etag> record. */
const chunkSk = (etag: string, phase: string, chunk: number | undefined) =>
  `K#${etag}#${phase}#${chunk === undefined ? '' : String(chunk).padStart(5, '0')}`;

export function dynamoCustomerStore(client: DynamoDBDocumentClient, table: string): CustomerStore {
  async function batchWrite(items: readonly Record<string, unknown>[], deletes: readonly Record<string, unknown>[] = []) {
    const requests = [
      ...items.map((Item) => ({ PutRequest: { Item } })),
      ...deletes.map((Key) => ({ DeleteRequest: { Key } })),
    ];
    for (const batch of chunk(requests, 25)) {
      let pending: typeof batch | undefined = batch;
      for (let attempt = 0; pending && pending.length > 0; attempt++) {
        if (attempt > 0) await backoff(attempt);
        if (attempt > 10) throw new Error(`DynamoDB left ${pending.length} writes unprocessed after ${attempt} attempts`);
        const response = await client.send(new BatchWriteCommand({ RequestItems: { [table]: pending } }));
        pending = response.UnprocessedItems?.[table] as typeof batch | undefined;
      }
    }
  }

  /** Reads items by key, 100 per call, retrying unprocessed keys with backoff. */
  async function batchGet(keys: readonly Record<string, unknown>[]): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    for (const batch of chunk(keys, 100)) {
      let pending: Record<string, unknown>[] | undefined = batch;
      for (let attempt = 0; pending && pending.length > 0; attempt++) {
        if (attempt > 0) await backoff(attempt);
        if (attempt > 10) throw new Error(`DynamoDB left ${pending.length} reads unprocessed after ${attempt} attempts`);
        const response: BatchGetCommandOutput = await client.send(new BatchGetCommand({ RequestItems: { [table]: { Keys: pending } } }));
        items.push(...(response.Responses?.[table] ?? []));
        pending = response.UnprocessedKeys?.[table]?.Keys;
      }
    }
    return items;
  }

  /** Every item of a partition (whose sort key starts with prefix), page by page; consistent when asked. */
  async function queryAll(pk: string, prefix: string, consistentRead = false): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await client.send(
        new QueryCommand({
          TableName: table,
          KeyConditionExpression: prefix === '' ? 'pk = :pk' : 'pk = :pk AND begins_with(sk, :prefix)',
          ExpressionAttributeValues: prefix === '' ? { ':pk': pk } : { ':pk': pk, ':prefix': prefix },
          ...(consistentRead ? { ConsistentRead: true } : {}),
          ExclusiveStartKey: startKey,
        }),
      );
      items.push(...(page.Items ?? []));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return items;
  }

  return {
    async getFile(key, etag) {
      const { Item } = await client.send(new GetCommand({ TableName: table, Key: { pk: `FILE#${key}`, sk: `E#${etag}` } }));
      return Item as FileRecord | undefined;
    },
    async fileVersions(key) {
      const records: FileRecord[] = [];
      let start: Record<string, unknown> | undefined;
      do {
        const page = await client.send(
          new QueryCommand({ TableName: table, KeyConditionExpression: 'pk = :pk AND begins_with(sk, :e)', ExpressionAttributeValues: { ':pk': `FILE#${key}`, ':e': 'E#' }, ExclusiveStartKey: start }),
        );
        records.push(...((page.Items ?? []) as FileRecord[]));
        start = page.LastEvaluatedKey;
      } while (start !== undefined);
      return records;
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
      await batchWrite([...items.values()].map((o) => ({ pk: customerPk(o.customerId), sk: `O#${o.orderId}#${o.lineId}`, ...o, source })));
    },
    async putContacts(customers, now) {
      await batchWrite(
        customers.flatMap(({ customerId, ...contact }) => [
          { pk: customerPk(customerId), sk: 'CONTACT', customerId, contact, updatedAt: now.toISOString() },
          // The address → customer link, keyed by hash so the table's keys hold no address.
          ...(contact.email ? [{ pk: `EMAIL#${emailHash(contact.email)}`, sk: 'OWNER', customerId }] : []),
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
      const puts: Record<string, unknown>[] = [
        ...moved,
        { pk: customerPk(aliasId), sk: 'ALIAS', customerId: aliasId, canonicalId, reason, at: now.toISOString() },
        { pk: to, sk: `MERGE#${aliasId}`, aliasId, reason, at: now.toISOString() },
      ];
      if (aliasContact !== undefined) {
        const { Item } = await client.send(new GetCommand({ TableName: table, Key: { pk: to, sk: 'CONTACT' } }));
        const merged = { ...aliasContact, ...((Item?.contact ?? {}) as Contact) };
        puts.push({ pk: to, sk: 'CONTACT', customerId: canonicalId, contact: merged, updatedAt: now.toISOString() });
      }
      const deletes = [
        ...items.filter((i) => i.sk !== 'ALIAS').map((i) => ({ pk: i.pk, sk: i.sk })),
      ];
      // The alias's address now leads to the canonical customer.
      if (aliasContact?.email) puts.push({ pk: `EMAIL#${emailHash(aliasContact.email)}`, sk: 'OWNER', customerId: canonicalId });
      if (aliasContact?.externalId) puts.push({ pk: `XID#${externalIdHash(aliasContact.externalId)}`, sk: 'OWNER', customerId: canonicalId });
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
      const items = await queryAll(customerPk(customerId), '');
      const contact = items.find((i) => i.sk === 'CONTACT')?.contact as Contact | undefined;
      const hash = contact?.email ? emailHash(contact.email) : undefined;
      const deletes = [
        ...items.map((i) => ({ pk: i.pk, sk: i.sk })),
        ...(hash === undefined ? [] : [{ pk: `EMAIL#${hash}`, sk: 'OWNER' }]),
        ...(contact?.externalId ? [{ pk: `XID#${externalIdHash(contact.externalId)}`, sk: 'OWNER' }] : []),
      ];
      const suppression = hash === undefined ? [] : [{ pk: `SUPPRESS#${hash}`, sk: 'SUPPRESS', reason: 'erased', at: now.toISOString() }];
      await batchWrite(suppression, deletes);
      return { deleted: deletes.length, suppressed: hash !== undefined };
    },
    async suppress(hash, reason, now) {
      await client.send(new PutCommand({ TableName: table, Item: { pk: `SUPPRESS#${hash}`, sk: 'SUPPRESS', reason, at: now.toISOString() } }));
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
      await batchWrite([...items.values()].map((e) => ({ pk: customerPk(e.customerId), sk: `E#${e.occurredAt}#${e.eventId}`, ...e, source })));
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
      let startKey: Record<string, unknown> | undefined;
      do {
        const page = await client.send(
          new QueryCommand({
            TableName: table,
            IndexName: SEGMENT_INDEX,
            KeyConditionExpression: 'gsi1pk = :segment',
            ExpressionAttributeValues: { ':segment': `SEG#${segment}` },
            ExclusiveStartKey: startKey,
          }),
        );
        // The index projects keys only: the customer id is the table's partition key after "C#".
        yield (page.Items ?? []).map((i) => String(i.pk).slice(2));
        startKey = page.LastEvaluatedKey;
      } while (startKey);
    },
    async getPopulation() {
      const { Item } = await client.send(new GetCommand({ TableName: table, Key: { pk: 'STATS', sk: 'POPULATION' } }));
      return Item === undefined ? undefined : (Item.stats as PopulationStats);
    },
    async putPopulation(stats, asOf) {
      await client.send(new PutCommand({ TableName: table, Item: { pk: 'STATS', sk: 'POPULATION', stats, asOf: asOf.toISOString() } }));
    },
    async countSegmentMembers(segment) {
      let count = 0;
      let startKey: Record<string, unknown> | undefined;
      do {
        const page = await client.send(
          new QueryCommand({
            TableName: table,
            IndexName: SEGMENT_INDEX,
            KeyConditionExpression: 'gsi1pk = :segment',
            ExpressionAttributeValues: { ':segment': `SEG#${segment}` },
            Select: 'COUNT',
            ExclusiveStartKey: startKey,
          }),
        );
        count += page.Count ?? 0;
        startKey = page.LastEvaluatedKey;
      } while (startKey);
      return count;
    },
    async putSegmentSnapshot(date, sizes) {
      await client.send(new PutCommand({ TableName: table, Item: { pk: 'SNAPSHOT', sk: date, sizes } }));
    },
    async *scanProfiles(part) {
      let startKey: Record<string, unknown> | undefined;
      do {
        const page = await client.send(
          new ScanCommand({
            TableName: table,
            FilterExpression: 'sk = :profile',
            ExpressionAttributeValues: { ':profile': 'PROFILE' },
            ProjectionExpression: 'customerId, orders, events, updatedAt',
            ...(part === undefined ? {} : { Segment: part.segment, TotalSegments: part.totalSegments }),
            ExclusiveStartKey: startKey,
          }),
        );
        yield (page.Items ?? []) as Profile[];
        startKey = page.LastEvaluatedKey;
      } while (startKey);
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

/** Full-jitter exponential backoff for unprocessed batch items (DynamoDB's advice). */
function backoff(attempt: number): Promise<void> {
  const ceiling = Math.min(2_000, 25 * 2 ** attempt);
  return new Promise((resolve) => setTimeout(resolve, Math.random() * ceiling));
}

export async function mapLimit<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await fn(item);
    }
  });
  await Promise.all(workers);
}
