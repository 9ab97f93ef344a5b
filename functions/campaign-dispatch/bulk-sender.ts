import { MAX_BULK_DESTINATIONS } from '../core/campaign.ts';
import { chunk } from '../core/collections.ts';
import type { LedgerEntry } from '../core/send-decision.ts';
import type { CampaignStore } from '../adapters/ports/campaigns.ts';
import { BulkSendError, type BulkEntry, type Mailer } from '../adapters/ports/mailer.ts';
import type { Clock, RateLimiter } from './rate-limiter.ts';

/** Per-entry statuses after which SES did not take the message and a resend may succeed. */
const RETRYABLE = new Set(['TRANSIENT_FAILURE', 'ACCOUNT_THROTTLED']);
/** Statuses that stop every message for a while: the entry waits as a deferral instead of failing. */
const PAUSED = new Set(['ACCOUNT_SENDING_PAUSED', 'CONFIGURATION_SET_SENDING_PAUSED', 'ACCOUNT_DAILY_QUOTA_EXCEEDED', 'ACCOUNT_SUSPENDED']);

export interface Outgoing {
  /** The CLAIMED entry this run owns. */
  readonly entry: LedgerEntry;
  readonly message: BulkEntry;
}

export interface SendCounts {
  sent: number;
  failed: number;
  /** Re-sent entries (per-entry retryable status) and whole calls resent after throttling. */
  retried: number;
  /** Not accepted by SES for now (paused, or still failing after the retries): deferred to a later run. */
  postponed: number;
  /** No answer from SES: recorded UNCERTAIN and never resent automatically. */
  uncertain: number;
  bulkCalls: number;
}

export interface SenderDeps {
  readonly store: CampaignStore;
  readonly mailer: Mailer;
  readonly limiter: RateLimiter;
  readonly clock: Clock;
  readonly from: string;
  readonly configurationSet: string | undefined;
  readonly templateName: string;
  readonly now: Date;
  readonly maxAttempts?: number;
}

export function emptyCounts(): SendCounts {
  return { sent: 0, failed: 0, retried: 0, postponed: 0, uncertain: 0, bulkCalls: 0 };
}

/** Full jitter: a random wait up to an exponentially growing ceiling (AWS Architecture Blog). */
function backoffMs(attempt: number): number {
  return Math.random() * Math.min(5_000, 100 * 2 ** attempt);
}

/**
 * Sends owned claims in SendBulkEmail calls of at most 50 (fewer when the rate is lower, so one call
 * never exceeds a second's quota). Each batch is marked SENDING before its call and resolved after,
 * so a run that dies mid-call leaves SENDING entries that the next run records as UNCERTAIN rather
 * than sending them again.
 */
export async function sendOutgoing(deps: SenderDeps, outgoing: readonly Outgoing[], counts: SendCounts): Promise<void> {
  const size = Math.max(1, Math.min(MAX_BULK_DESTINATIONS, Math.floor(deps.limiter.perSecond)));
  const maxAttempts = deps.maxAttempts ?? 5;
  const at = deps.now.toISOString();
  for (const batch of chunk(outgoing, size)) {
    await deps.store.write(batch.map((o) => ({ ...o.entry, status: 'SENDING' })));
    const done: LedgerEntry[] = [];
    let pending = batch;
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt >= maxAttempts) {
        counts.postponed += pending.length;
        done.push(...pending.map((o) => deferred(o.entry, deps.now, 'ses-retries-exhausted')));
        break;
      }
      if (attempt > 0) await deps.clock.sleep(backoffMs(attempt));
      await deps.limiter.take(pending.length);
      counts.bulkCalls++;
      let results;
      try {
        results = await deps.mailer.sendBulk({
          from: deps.from,
          templateName: deps.templateName,
          configurationSet: deps.configurationSet,
          entries: pending.map((o) => o.message),
        });
      } catch (error) {
        if (!(error instanceof BulkSendError)) throw error;
        if (error.kind === 'throttled' || error.kind === 'unreached') {
          counts.retried += pending.length;
          continue;
        }
        if (error.kind === 'refused') {
          counts.failed += pending.length;
          done.push(...pending.map((o) => ({ ...o.entry, status: 'FAILED' as const, error: error.message.slice(0, 500), sentAt: at })));
        } else {
          counts.uncertain += pending.length;
          done.push(...pending.map((o) => ({ ...o.entry, status: 'UNCERTAIN' as const, error: error.message.slice(0, 500) })));
        }
        break;
      }
      const retry: Outgoing[] = [];
      for (const [i, result] of results.entries()) {
        const o = pending[i] as Outgoing;
        if (result.status === 'SUCCESS') {
          counts.sent++;
          done.push({ ...o.entry, status: 'SENT', sentAt: at, ...(result.messageId === undefined ? {} : { messageId: result.messageId }) });
        } else if (RETRYABLE.has(result.status)) {
          retry.push(o);
        } else if (PAUSED.has(result.status)) {
          counts.postponed++;
          done.push(deferred(o.entry, new Date(deps.now.getTime() + 3_600_000), result.status));
        } else {
          counts.failed++;
          done.push({ ...o.entry, status: 'FAILED', sentAt: at, error: `${result.status}${result.error ? `: ${result.error}` : ''}`.slice(0, 500) });
        }
      }
      counts.retried += retry.length;
      pending = retry;
    }
    await deps.store.write(done);
  }
}

function deferred(entry: LedgerEntry, notBefore: Date, reason: string): LedgerEntry {
  return { ...entry, status: 'DEFERRED', notBefore: notBefore.toISOString(), reason };
}
