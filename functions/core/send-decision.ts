import { createHash } from 'node:crypto';
import type { Campaign } from './campaign.ts';

/**
 * A send ledger entry (item SEND#<campaign> of the customer). CLAIMED: reserved, SES not called
 * yet; SENDING: handed to SES; SENT / FAILED: SES's answer; HOLDOUT: kept out as control;
 * DEFERRED: waits for the customer's send window; UNCERTAIN: SES may or may not have accepted it
 * (a run died mid-call), so it is never sent again automatically; DROPPED: a deferred or stale
 * claim that became unsendable (suppressed, capped) before it went.
 */
export type SendStatus = 'CLAIMED' | 'SENDING' | 'SENT' | 'FAILED' | 'HOLDOUT' | 'DEFERRED' | 'UNCERTAIN' | 'DROPPED';

export interface LedgerEntry {
  readonly customerId: string;
  readonly campaign: string;
  readonly status: SendStatus;
  readonly claimedAt: string;
  readonly marketing: boolean;
  readonly segment?: string;
  readonly sentAt?: string;
  readonly notBefore?: string;
  readonly messageId?: string;
  readonly error?: string;
  readonly reason?: string;
}

export interface SendPolicy {
  /** Zone for customers without contact.timezone. */
  readonly defaultTimeZone: string;
  /** At most `capCount` marketing e-mails per customer in any `capDays` days, across campaigns. */
  readonly capCount: number;
  readonly capDays: number;
}

/** A stable number in [0, 1) per (campaign, customer): the same customer stays in or out of a holdout on every run. */
function holdoutBucket(campaign: string, customerId: string): number {
  const digest = createHash('sha256').update(`${campaign}\u001f${customerId}`).digest();
  return digest.readUInt32BE(0) / 2 ** 32;
}

export function inHoldout(campaign: Pick<Campaign, 'name' | 'holdout'>, customerId: string): boolean {
  return holdoutBucket(campaign.name, customerId) < campaign.holdout;
}

/** Hour (0-23) and minute of an instant in a time zone. */
function localTime(at: Date, timeZone: string): { hour: number; minute: number; second: number } {
  const parts = new Intl.DateTimeFormat('en-GB', { timeZone, hourCycle: 'h23', hour: 'numeric', minute: 'numeric', second: 'numeric' }).formatToParts(at);
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0);
  return { hour: get('hour'), minute: get('minute'), second: get('second') };
}

/** Marketing e-mails the ledger shows in the cap window (those that may have gone out count). */
function recentMarketingSends(ledger: readonly LedgerEntry[], now: Date, days: number): number {
  const from = now.getTime() - days * 86_400_000;
  return ledger.filter((e) => e.marketing && ['CLAIMED', 'SENDING', 'SENT', 'UNCERTAIN'].includes(e.status) && Date.parse(e.sentAt ?? e.claimedAt) > from).length;
}

export type Decision =
  | { readonly kind: 'no-address' }
  | { readonly kind: 'suppressed' }
  | { readonly kind: 'already'; readonly status: SendStatus }
  | { readonly kind: 'outranked' }
  | { readonly kind: 'capped' }
  | { readonly kind: 'holdout' }
  | { readonly kind: 'defer'; readonly notBefore: Date; readonly reason: 'quiet-hours' | 'best-hour' }
  | { readonly kind: 'send' };

export interface DecisionInput {
  readonly campaign: Campaign;
  readonly customerId: string;
  readonly email: string | undefined;
  readonly consent: boolean | undefined;
  /** The address hash is on the suppression list (unsubscribed, bounced, complained, erased). */
  readonly suppressed: boolean;
  /** Every ledger entry of the customer, all campaigns. */
  readonly ledger: readonly LedgerEntry[];
  /** A higher-priority campaign already took this customer in this run. */
  readonly takenThisRun: boolean;
  readonly timeZone: string | undefined;
  /** When the customer last opened an e-mail, for their best hour. */
  readonly lastOpenAt: string | undefined;
  readonly now: Date;
  /** A CLAIMED entry older than this belongs to a run that died before calling SES. */
  readonly staleBefore: Date;
  readonly policy: SendPolicy;
}

/** Whether this run may take over an existing entry: a due deferral, or a claim whose run died before SES. */
function resumable(entry: LedgerEntry, now: Date, staleBefore: Date): boolean {
  if (entry.status === 'DEFERRED') return entry.notBefore === undefined || Date.parse(entry.notBefore) <= now.getTime();
  return entry.status === 'CLAIMED' && Date.parse(entry.claimedAt) < staleBefore.getTime();
}

/**
 * What to do with one customer for one campaign, in this order: no address or consent, suppressed,
 * already in the ledger (a due deferral goes on), outranked by a campaign of higher priority in this
 * run, over the frequency cap, in the holdout, outside the local send window (deferred), else send.
 * An entry this run may resume (see resumable) goes through the same checks, except the holdout.
 * The holdout is drawn among customers who would otherwise be mailed, so both groups compare.
 */
export function decide(input: DecisionInput): Decision {
  const { campaign, now } = input;
  if (input.email === undefined || input.email === '') return { kind: 'no-address' };
  if (campaign.marketing && input.consent === false) return { kind: 'suppressed' };
  if (input.suppressed) return { kind: 'suppressed' };
  const own = input.ledger.find((e) => e.campaign === campaign.name);
  if (own !== undefined && !resumable(own, now, input.staleBefore)) return { kind: 'already', status: own.status };
  if (input.takenThisRun && campaign.marketing) return { kind: 'outranked' };
  if (campaign.marketing) {
    const others = input.ledger.filter((e) => e.campaign !== campaign.name);
    if (recentMarketingSends(others, now, input.policy.capDays) >= input.policy.capCount) return { kind: 'capped' };
  }
  // A resumed customer was already drawn outside the holdout; drawing again would give the same answer.
  if (own === undefined && inHoldout(campaign, input.customerId)) return { kind: 'holdout' };
  const wait = waitForWindow(campaign, input.timeZone ?? input.policy.defaultTimeZone, input.lastOpenAt, now);
  return wait === undefined ? { kind: 'send' } : { kind: 'defer', ...wait };
}

/**
 * When the customer's local clock is outside the campaign's window (quiet hours) or before the
 * hour they last opened mail (when inside the window), the instant the send may go; else undefined.
 * Whole local hours: a change of UTC offset within the wait shifts it by that hour at most.
 */
function waitForWindow(
  campaign: Pick<Campaign, 'timing'>,
  timeZone: string,
  lastOpenAt: string | undefined,
  now: Date,
): { notBefore: Date; reason: 'quiet-hours' | 'best-hour' } | undefined {
  const { startHour, endHour } = campaign.timing.sendWindow;
  const local = localTime(now, timeZone);
  const startOfHour = now.getTime() - (local.minute * 60 + local.second) * 1000 - now.getUTCMilliseconds();
  const at = (hours: number) => new Date(startOfHour + hours * 3_600_000);
  if (local.hour < startHour) return { notBefore: at(startHour - local.hour), reason: 'quiet-hours' };
  if (local.hour >= endHour) return { notBefore: at(24 - local.hour + startHour), reason: 'quiet-hours' };
  if (campaign.timing.bestHour && lastOpenAt !== undefined && !Number.isNaN(Date.parse(lastOpenAt))) {
    const best = localTime(new Date(lastOpenAt), timeZone).hour;
    if (best >= startHour && best < endHour && local.hour < best) return { notBefore: at(best - local.hour), reason: 'best-hour' };
  }
  return undefined;
}
