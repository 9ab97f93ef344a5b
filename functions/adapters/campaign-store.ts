import { PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mapLimit } from '../core/collections.ts';
import type { LedgerEntry, SendStatus } from '../core/send-decision.ts';
import { customerIdHash, emailHash } from '../core/privacy.ts';
import type { SuppressionEntry } from '../core/suppression.ts';
import { readSuppressions } from './suppression-reader.ts';
import { TABLE_KEYS } from './table-schema.ts';
import type { Contact } from './ports/customers.ts';
import { isConditionFailure } from './dynamo-errors.ts';
import { batchGetAll, batchWriteAll, queryPages, queryPartition } from './dynamo-batch.ts';
import type { CampaignDecisionReader, CampaignStore, LedgerQueue, Recipient, SkipRecord } from './ports/campaigns.ts';

const pk = (id: string) => `C#${id}`;
const sk = (campaign: string) => `SEND#${campaign}`;

/** Where an entry waits: deferred ones until due, claimed or sending ones until resolved. */
function queueOf(status: SendStatus): LedgerQueue | undefined {
  if (status === 'DEFERRED') return 'DEFER';
  if (status === 'CLAIMED' || status === 'SENDING') return 'PENDING';
  return undefined;
}

/** Entries out of every queue, and skip records, sit in the segment index under this key, so a campaign's decisions can be listed. */
const decided = (campaign: string) => `DECIDED#${campaign}`;
const skipKey = (campaign: string) => `SKIP#${campaign}`;

function toItem(e: LedgerEntry): Record<string, unknown> {
  const queue = queueOf(e.status);
  return {
    pk: pk(e.customerId),
    sk: sk(e.campaign),
    ...e,
    gsi1pk: queue === undefined ? decided(e.campaign) : `${queue}#${e.campaign}`,
    gsi1sk: pk(e.customerId),
  };
}

function fromItem(item: Record<string, unknown>): LedgerEntry {
  const { pk: _pk, sk: _sk, gsi1pk: _g, gsi1sk: _s, ...rest } = item;
  return rest as unknown as LedgerEntry;
}

/** Calls per batch of reads or writes before a RetryableError: eleven, as this store's own loops made. */
const BATCH_ATTEMPTS = 11;

export function dynamoCampaignStore(client: DynamoDBDocumentClient, table: string, concurrency = 16): CampaignStore & CampaignDecisionReader {
  const batchGet = (keys: readonly Record<string, unknown>[]) => batchGetAll(client, table, keys, { attempts: BATCH_ATTEMPTS });

  return {
    async recipients(customerIds, segments) {
      const keys = customerIds.flatMap((id) => [
        { pk: pk(id), sk: 'CONTACT' },
        { pk: pk(id), sk: 'PROFILE' },
        ...segments.map((s) => ({ pk: pk(id), sk: `SEG#${s}` })),
      ]);
      const byCustomer = new Map<string, { contact?: Contact; profile?: Record<string, unknown>; since: Record<string, string> }>();
      for (const item of await batchGet(keys)) {
        const id = String(item.pk).slice(2);
        const entry = byCustomer.get(id) ?? { since: {} };
        const kind = String(item.sk);
        if (kind === 'CONTACT') entry.contact = item.contact as Contact;
        else if (kind === 'PROFILE') entry.profile = item;
        else if (kind.startsWith('SEG#')) entry.since[kind.slice(4)] = String(item.since);
        byCustomer.set(id, entry);
      }
      const result = new Map<string, Recipient>();
      for (const [customerId, { contact, profile, since }] of byCustomer) {
        const orders = profile?.orders as Recipient['orders'];
        const engagement = profile?.engagement as { lastOpenAt?: string } | undefined;
        const events = profile?.events as { lastByType?: Record<string, string> } | undefined;
        const lastOpenAt = engagement?.lastOpenAt ?? events?.lastByType?.email_open;
        result.set(customerId, {
          customerId,
          memberSince: since,
          ...(contact === undefined ? {} : { contact }),
          ...(orders === undefined ? {} : { orders }),
          ...(lastOpenAt === undefined ? {} : { lastOpenAt }),
        });
      }
      return result;
    },
    async ledgers(customerIds) {
      const result = new Map<string, LedgerEntry[]>();
      await mapLimit([...new Set(customerIds)], concurrency, async (id) => {
        result.set(id, (await queryPartition(client, table, pk(id), 'SEND#')).map(fromItem));
      });
      return result;
    },
    async suppressedHashes(hashes) {
      const items = await batchGet([...new Set(hashes)].map((h) => ({ pk: `SUPPRESS#${h}`, sk: 'SUPPRESS' })));
      return new Set(items.map((i) => String(i.pk).slice('SUPPRESS#'.length)));
    },
    async suppressions(subjects) {
      return readSuppressions(client, table, batchGet, subjects, concurrency);
    },
    async claim(request, now) {
      const entry: LedgerEntry = { ...request, claimedAt: now.toISOString() };
      try {
        await client.send(new PutCommand({ TableName: table, Item: toItem(entry), ConditionExpression: 'attribute_not_exists(pk)' }));
        return true;
      } catch (error) {
        if (isConditionFailure(error)) return false;
        throw error;
      }
    },
    async reclaim(entry, now) {
      const queue = queueOf('CLAIMED');
      try {
        await client.send(
          new UpdateCommand({
            TableName: table,
            Key: { pk: pk(entry.customerId), sk: sk(entry.campaign) },
            UpdateExpression: 'SET #status = :claimed, claimedAt = :now, gsi1pk = :queue, gsi1sk = :pk REMOVE notBefore, reason',
            ConditionExpression: '#status = :status AND claimedAt = :claimedAt',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: {
              ':claimed': 'CLAIMED', ':now': now.toISOString(), ':queue': `${queue}#${entry.campaign}`, ':pk': pk(entry.customerId),
              ':status': entry.status, ':claimedAt': entry.claimedAt,
            },
          }),
        );
        return true;
      } catch (error) {
        if (isConditionFailure(error)) return false;
        throw error;
      }
    },
    async write(entries) {
      // A sent message also gets MSG#<messageId>, so SES events (feedback) find their customer and campaign.
      const items = entries.flatMap((e) => [
        toItem(e),
        ...(e.messageId === undefined ? [] : [{ pk: `MSG#${e.messageId}`, sk: 'MSG', customerId: e.customerId, campaign: e.campaign }]),
      ]);
      await batchWriteAll(client, table, { puts: items }, { attempts: BATCH_ATTEMPTS });
    },
    async recordSkips(skips) {
      const items = skips.map((s) => ({ pk: pk(s.customerId), sk: skipKey(s.campaign), ...s, gsi1pk: decided(s.campaign), gsi1sk: pk(s.customerId) }));
      await batchWriteAll(client, table, { puts: items }, { attempts: BATCH_ATTEMPTS });
    },
    async *decisions(campaign) {
      // The index holds keys only: each page of keys is read back in one batch.
      for (const key of [`PENDING#${campaign}`, `DEFER#${campaign}`, decided(campaign)]) {
        const query = { TableName: table, IndexName: TABLE_KEYS.segmentIndex.name, KeyConditionExpression: 'gsi1pk = :key', ExpressionAttributeValues: { ':key': key } };
        for await (const page of queryPages(client, query)) {
          const items = await batchGet((page.Items ?? []).map((i) => ({ pk: i.pk, sk: i.sk })));
          const ledger = items.filter((i) => String(i.sk).startsWith('SEND#')).map(fromItem);
          const skips = items.filter((i) => String(i.sk).startsWith('SKIP#')).map((i) => fromItem(i) as unknown as SkipRecord);
          yield { ledger, skips };
        }
      }
    },
    async *queued(queue, campaign) {
      const waiting = { TableName: table, IndexName: TABLE_KEYS.segmentIndex.name, KeyConditionExpression: 'gsi1pk = :queue', ExpressionAttributeValues: { ':queue': `${queue}#${campaign}` } };
      for await (const page of queryPages(client, waiting)) yield (page.Items ?? []).map((i) => String(i.pk).slice(2));
    },
    async lastRun(campaign) {
      const items = await batchGet([{ pk: `CAMPAIGN#${campaign}`, sk: 'LAST_RUN' }]);
      const at = items[0]?.at;
      return typeof at === 'string' ? at : undefined;
    },
    async setLastRun(campaign, at) {
      await client.send(new PutCommand({ TableName: table, Item: { pk: `CAMPAIGN#${campaign}`, sk: 'LAST_RUN', at: at.toISOString() } }));
    },
  };
}

/** The same contract in memory, for the dispatch benchmark and fast tests of the run logic. */
export interface MemoryCampaignStore extends CampaignStore, CampaignDecisionReader {
  addRecipient(recipient: Recipient): void;
  suppressHash(hash: string, reason?: string): void;
  /** A suppression entry of the customer's id (SUPPRESS#ID#). */
  suppressCustomer(customerId: string, reason: 'erased' | 'unsubscribed'): void;
  /** An address the customer had before (an ADDR# item). */
  addPastAddress(customerId: string, hash: string): void;
  entries(): LedgerEntry[];
  skips(): SkipRecord[];
}

export function memoryCampaignStore(): MemoryCampaignStore {
  const recipients = new Map<string, Recipient>();
  const ledger = new Map<string, LedgerEntry>();
  const suppressed = new Map<string, string>();
  const idSuppressed = new Map<string, string>();
  const pastAddresses = new Map<string, Set<string>>();
  const runs = new Map<string, string>();
  const skipped = new Map<string, SkipRecord>();
  const key = (customerId: string, campaign: string) => `${customerId}\u001f${campaign}`;
  return {
    addRecipient(r) {
      recipients.set(r.customerId, r);
    },
    suppressHash(hash, reason = 'unsubscribed') {
      suppressed.set(hash, reason);
    },
    suppressCustomer(customerId, reason) {
      idSuppressed.set(customerIdHash(customerId), reason);
    },
    addPastAddress(customerId, hash) {
      pastAddresses.set(customerId, (pastAddresses.get(customerId) ?? new Set()).add(hash));
    },
    async suppressions(subjects) {
      const at = new Date(0).toISOString();
      return new Map(
        subjects.map(({ customerId, currentHash }) => {
          const idHash = customerIdHash(customerId);
          const idReason = idSuppressed.get(idHash);
          const hashes = new Set([...(pastAddresses.get(customerId) ?? []), ...(currentHash === undefined ? [] : [currentHash])]);
          const entries: SuppressionEntry[] = [
            ...(idReason === undefined ? [] : [{ scope: 'id' as const, hash: idHash, reason: idReason, at }]),
            ...[...hashes].flatMap((hash) => {
              const reason = suppressed.get(hash);
              return reason === undefined ? [] : [{ scope: 'address' as const, hash, reason, at, current: hash === currentHash }];
            }),
          ];
          return [customerId, entries];
        }),
      );
    },
    entries: () => [...ledger.values()],
    skips: () => [...skipped.values()],
    async recordSkips(skips) {
      for (const s of skips) skipped.set(key(s.customerId, s.campaign), s);
    },
    async *decisions(campaign) {
      yield { ledger: [...ledger.values()].filter((e) => e.campaign === campaign), skips: [...skipped.values()].filter((s) => s.campaign === campaign) };
    },
    async recipients(ids, segments) {
      const found = new Map<string, Recipient>();
      for (const id of ids) {
        const r = recipients.get(id);
        if (r !== undefined) found.set(id, { ...r, memberSince: Object.fromEntries(Object.entries(r.memberSince).filter(([s]) => segments.includes(s))) });
      }
      return found;
    },
    async ledgers(ids) {
      const byCustomer = new Map<string, LedgerEntry[]>(ids.map((id) => [id, []]));
      for (const e of ledger.values()) byCustomer.get(e.customerId)?.push(e);
      return byCustomer;
    },
    async suppressedHashes(hashes) {
      return new Set(hashes.filter((h) => suppressed.has(h)));
    },
    async claim(request, now) {
      const k = key(request.customerId, request.campaign);
      if (ledger.has(k)) return false;
      ledger.set(k, { ...request, claimedAt: now.toISOString() });
      return true;
    },
    async reclaim(entry, now) {
      const k = key(entry.customerId, entry.campaign);
      const current = ledger.get(k);
      if (current?.status !== entry.status || current.claimedAt !== entry.claimedAt) return false;
      const { notBefore: _n, reason: _r, ...rest } = current;
      ledger.set(k, { ...rest, status: 'CLAIMED', claimedAt: now.toISOString() });
      return true;
    },
    async write(entries) {
      for (const e of entries) ledger.set(key(e.customerId, e.campaign), e);
    },
    async *queued(queue, campaign) {
      yield [...ledger.values()].filter((e) => e.campaign === campaign && queueOf(e.status) === queue).map((e) => e.customerId);
    },
    async lastRun(campaign) {
      return runs.get(campaign);
    },
    async setLastRun(campaign, at) {
      runs.set(campaign, at.toISOString());
    },
  };
}

/** The address hash used by the suppression list, for callers holding a recipient. */
export function recipientHash(recipient: Recipient): string | undefined {
  return recipient.contact?.email ? emailHash(recipient.contact.email) : undefined;
}
