import type { RecipientProfile } from '../../core/campaign-content.ts';
import type { LedgerEntry, SendStatus } from '../../core/send-decision.ts';
import type { SuppressionEntry } from '../../core/suppression.ts';
import type { SuppressionSubject } from '../suppression-reader.ts';

/** A customer as the dispatcher sees them: contact, order aggregates, last open, memberships asked for. */
export interface Recipient extends RecipientProfile {
  readonly lastOpenAt?: string;
  /** Segment → membership start, for the segments the caller asked about that the customer is in. */
  readonly memberSince: Readonly<Record<string, string>>;
}

/** Ledger items also sit in the segment index under these keys while a later run must find them. */
export type LedgerQueue = 'DEFER' | 'PENDING';

export interface ClaimRequest {
  readonly customerId: string;
  readonly campaign: string;
  readonly status: Extract<SendStatus, 'CLAIMED' | 'HOLDOUT' | 'DEFERRED'>;
  readonly marketing: boolean;
  readonly segment?: string;
  readonly notBefore?: string;
  readonly reason?: string;
}

/**
 * A decision that left no send ledger entry: the customer was a candidate but got nothing. Kept
 * apart from the ledger (item SKIP#<campaign>, one per customer and campaign, overwritten by the
 * next such decision), so it never blocks a later send nor counts towards the frequency cap.
 */
export interface SkipRecord {
  readonly customerId: string;
  readonly campaign: string;
  readonly decision: 'suppressed' | 'capped' | 'no-address' | 'outranked';
  readonly at: string;
  readonly segment?: string;
}

/** Every customer a campaign decided about: ledger entries and skip records, in pages. */
export interface CampaignDecisionReader {
  decisions(campaign: string): AsyncGenerator<{ readonly ledger: readonly LedgerEntry[]; readonly skips: readonly SkipRecord[] }>;
}

/**
 * The send ledger and the reads a campaign run needs. Every transition that could lead to a send
 * is conditional (claim: the item must not exist; reclaim: it must still be what was read), so two
 * runs never both own a send.
 */
export interface CampaignStore {
  recipients(customerIds: readonly string[], segments: readonly string[]): Promise<Map<string, Recipient>>;
  /** Every ledger entry of each customer (one Query per customer), for the cap and duplicates. */
  ledgers(customerIds: readonly string[]): Promise<Map<string, LedgerEntry[]>>;
  suppressedHashes(hashes: readonly string[]): Promise<Set<string>>;
  /** The suppression entries of each customer: every address they have had, their id and the ids merged into them. */
  suppressions(subjects: readonly SuppressionSubject[]): Promise<Map<string, SuppressionEntry[]>>;
  /** Creates the entry; false when one exists. */
  claim(request: ClaimRequest, now: Date): Promise<boolean>;
  /** Takes over an entry still exactly as read (a due deferral, a stale claim); false when it changed. */
  reclaim(entry: LedgerEntry, now: Date): Promise<boolean>;
  /** Overwrites entries this run owns (SENDING before the call, SENT / FAILED / UNCERTAIN after), in batches. */
  write(entries: readonly LedgerEntry[]): Promise<void>;
  /** Records candidates this run decided not to mail (bounded: one item per customer and campaign). */
  recordSkips(skips: readonly SkipRecord[]): Promise<void>;
  /** Customer ids whose entry of this campaign waits in a queue. */
  queued(queue: LedgerQueue, campaign: string): AsyncGenerator<string[]>;
  lastRun(campaign: string): Promise<string | undefined>;
  setLastRun(campaign: string, at: Date): Promise<void>;
}
