import type { CustomerEvent, CustomerRecord, Order } from '../../core/records.ts';
import type { EventAggregates, OrderAggregates } from '../../core/profile.ts';
import type { Membership, MembershipChanges, Transition } from '../../core/segments/assign.ts';
import type { PopulationStats } from '../../core/segments/population.ts';
import type { SuppressionEntry } from '../../core/suppression.ts';
import type { EngagementFacts } from '../../core/feedback/engagement.ts';
import type { ContactSource, StoredContact } from '../../core/contact-merge.ts';
import type { StoredFeedback } from './feedback.ts';

/*
 * The customer side of the single table, as ports cut by what their callers need. The DynamoDB
 * adapter (../customer-store.ts) and the in-memory one (../memory-stores.ts) implement them all;
 * a caller asks for the narrowest it uses.
 */

/** The contact fields files set, with when and from which file consent last changed and its history. */
export type Contact = StoredContact;

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

/** What forgetCustomer did. */
export interface Erasure {
  readonly customerId: string;
  /** Ids that had been merged into the customer, erased with it. */
  readonly mergedIds: readonly string[];
  readonly itemsDeleted: number;
  /** The hashes of every address the customer had, now suppressed as erased (as are all their ids). */
  readonly addressHashes: readonly string[];
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

/** What ingest writes from a file: the order and event ledgers and contacts. */
export interface IngestLedger {
  putOrders(orders: readonly Order[], source: string): Promise<void>;
  putEvents(events: readonly CustomerEvent[], source: string): Promise<void>;
  /**
   * Applies what a customers file says: only the fields each record carries change, consent by the
   * rule of functions/core/contact-merge.ts, and only contacts that change are written.
   */
  putContacts(customers: readonly CustomerRecord[], now: Date, origin: ContactSource): Promise<void>;
}

/** Profiles and memberships: what segment evaluation reads and writes per customer. */
export interface ProfileStore {
  /** One Query: contact, aggregates, ledger and memberships of a customer. */
  loadCustomer(customerId: string): Promise<CustomerState>;
  /**
   * Writes the outcome of re-evaluating many customers (new aggregates, membership changes and
   * their transitions) in shared batches; returns the number of items written.
   */
  applyRefresh(updates: readonly CustomerUpdate[], now: Date): Promise<number>;
  getContacts(customerIds: readonly string[]): Promise<{ customerId: string; contact: Contact }[]>;
  listSegmentMembers(segment: string): AsyncGenerator<string[]>;
  /** Members of a segment, counted through the segment index (no table scan). */
  countSegmentMembers(segment: string): Promise<number>;
}

/** Identity and privacy: aliases and merges, address and external-id owners, export, erasure and suppression. */
export interface IdentityStore {
  /** The canonical id of each given id that was merged into another customer. */
  resolveAliases(customerIds: readonly string[]): Promise<Map<string, string>>;
  /**
   * Merges one customer into another: ledger, send ledger and contact (the canonical one's fields
   * win, the alias fills gaps, consent follows the latest change) move over, the alias keeps only
   * a pointer, and the merge is recorded.
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
  /**
   * Erases a canonical customer and every id merged into it (their items, alias pointers, address
   * and external-id links, SES message links) and keeps only suppression entries: SUPPRESS#<hash>
   * for every address they have had and SUPPRESS#ID#<hash> for every id.
   */
  forgetCustomer(customerId: string, now: Date): Promise<Erasure>;
  /** Suppresses an address hash; an erased address stays erased whatever reason comes later. */
  suppress(hash: string, reason: string, now: Date): Promise<void>;
  /** The per-customer entry SUPPRESS#ID#<customerIdHash(id)> (reason erased or unsubscribed). */
  suppressCustomer(customerId: string, reason: 'erased' | 'unsubscribed', now: Date): Promise<void>;
  /** Which of these customer ids were erased (ingest and feedback never recreate them). */
  erasedIds(customerIds: readonly string[]): Promise<Set<string>>;
  /** The suppression entries that concern one customer: every address they have had, every id of theirs. */
  suppressions(customerId: string): Promise<SuppressionEntry[]>;
  /** Which of these address hashes are suppressed (erased, unsubscribed, bounced, complained). */
  suppressedHashes(hashes: readonly string[]): Promise<Set<string>>;
}

/** Which uploads are applied, and the progress of a chunked ingest. */
export interface FileStore {
  getFile(key: string, etag: string): Promise<FileRecord | undefined>;
  /** Every applied version of a data file, in no particular order. */
  fileVersions(key: string): Promise<readonly FileRecord[]>;
  putFile(record: FileRecord): Promise<void>;
  /** Records that one chunk of a file finished one phase of a chunked ingest, with its counts; the first record stays. */
  putChunkState(key: string, etag: string, phase: string, chunk: number, state: Readonly<Record<string, unknown>>): Promise<void>;
  /** The states of a file's chunks that finished a phase (strongly consistent). */
  listChunkStates(key: string, etag: string, phase: string): Promise<Record<string, unknown>[]>;
}

/** Table-wide reads and writes of a full evaluation: population statistics, daily segment sizes, the profile scan. */
export interface PopulationStore {
  /** The population statistics of the last full evaluation (RFM quintiles, percentiles). */
  getPopulation(): Promise<PopulationStats | undefined>;
  putPopulation(stats: PopulationStats, asOf: Date): Promise<void>;
  /** One size snapshot per segment per day; writing a day again replaces it. */
  putSegmentSnapshot(date: string, sizes: Readonly<Record<string, number>>): Promise<void>;
  listSegmentSnapshots(): Promise<{ date: string; sizes: Record<string, number> }[]>;
  /**
   * Every PROFILE item (id and aggregates, no contact), a page at a time; `part` splits the table
   * into parallel scan segments.
   */
  scanProfiles(part?: { segment: number; totalSegments: number }): AsyncGenerator<Profile[]>;
}

/** Everything held about customers, for the callers that need it all (ingest of a file, the adapters). */
export type CustomerStore = IngestLedger & ProfileStore & IdentityStore & FileStore & PopulationStore;
