import type { Logger } from '@aws-lambda-powertools/logger';
import type { IdentityStore } from '../adapters/ports/customers.ts';
import { mapLimit } from '../core/collections.ts';
import type { FeedbackStore, SendingCounter } from '../adapters/ports/feedback.ts';
import { parseSesEvent, suppresses, toFeedback, type Feedback, type FeedbackKind } from '../core/feedback/ses-event.ts';
import { engagementFacts } from '../core/feedback/engagement.ts';
import { decideSending, SENDING_PAUSED_MESSAGE, windowDays, type GuardSettings } from '../core/feedback/sending-guard.ts';
import { InputError } from '../core/errors.ts';
import { emailHash } from '../core/privacy.ts';

export interface FeedbackDeps {
  readonly customers: IdentityStore;
  readonly feedback: FeedbackStore;
  readonly logger: Logger;
  readonly guard: GuardSettings;
  readonly now: Date;
}

/** One message of the feedback queue: its body is the EventBridge event of one SES event. */
export interface QueueRecord {
  readonly messageId: string;
  readonly body: string;
}

interface IncomingEvent {
  /** The queue message's id: what a failure is reported by (SQS batchItemFailures). */
  readonly recordId: string;
  /** EventBridge's event id, kept across redeliveries: it makes storing the event idempotent. */
  readonly eventId: string;
  readonly fb: Feedback;
}

/** erased: the message's customer was erased since, so nothing is written under their id. */
type FeedbackStatus = 'stored' | 'duplicate' | 'unknown-message' | 'erased';

export interface BatchOutcome {
  readonly events: number;
  /** Per status, then per kind. */
  readonly byStatus: Readonly<Record<string, number>>;
  readonly byKind: Readonly<Record<string, number>>;
  readonly suppressed: number;
  readonly paused: boolean;
  /** The records that failed, for SQS to redeliver alone (ReportBatchItemFailures); the rest are done. */
  readonly batchItemFailures: readonly { readonly itemIdentifier: string }[];
}

const COUNTERS: Readonly<Record<FeedbackKind, SendingCounter>> = {
  send: 'sends',
  delivery: 'deliveries',
  'hard-bounce': 'hardBounces',
  'soft-bounce': 'softBounces',
  complaint: 'complaints',
  open: 'opens',
  click: 'clicks',
  'rendering-failure': 'renderingFailures',
  reject: 'rejects',
  'delivery-delay': 'delays',
};

/**
 * Acts on a batch of SES events: suppresses the address of a hard bounce or complaint at once (by
 * its hash, even for mail strata cannot match to a send), stores each event once under its
 * customer (none for a customer erased since), counts new events per day, recomputes the engagement of the customers touched, and
 * lets the sending guard decide when bounces or complaints arrived. A record that cannot be read or
 * applied is reported in batchItemFailures and does not hold back the others; a failure of the
 * batch's shared steps (lookups, counters, engagement, guard) throws, and the whole batch comes
 * back, which storing each event once makes harmless.
 */
export async function processFeedbackBatch(deps: FeedbackDeps, records: readonly QueueRecord[]): Promise<BatchOutcome> {
  const { customers, feedback: store, logger } = deps;
  const failures = new Set<string>();
  const failed = (recordId: string, error: unknown) => {
    failures.add(recordId);
    // Validation and SDK messages name fields and ids, never values such as addresses.
    logger.warn('feedback record failed', { messageId: recordId, error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) });
  };
  const parsed: IncomingEvent[] = [];
  for (const r of records) {
    try {
      const event = parseSesEvent(parseJson(r.body, r.messageId), `in SQS message ${r.messageId}`);
      parsed.push({ recordId: r.messageId, eventId: event.id ?? r.messageId, fb: toFeedback(event.detail) });
    } catch (error) {
      failed(r.messageId, error);
    }
  }
  // The clock is never earlier than the events it has seen: replaying history with a fixed as-of
  // time (STRATA_AS_OF) must still count the opens that follow the sends.
  const now = new Date(Math.max(deps.now.getTime(), ...parsed.map((p) => Date.parse(p.fb.at)).filter((t) => !Number.isNaN(t))));
  const sent = await store.findSentMessages(parsed.map((p) => p.fb.messageId));
  const erased = await customers.erasedIds([...sent.values()].map((s) => s.customerId));

  let suppressed = 0;
  const byStatus: Record<string, number> = {};
  const byKind: Record<string, number> = {};
  const counters = new Map<string, number>();
  const engaged = new Set<string>();
  let guardNeeded = false;
  await mapLimit(parsed, 8, async ({ recordId, eventId, fb }) => {
    let status: FeedbackStatus;
    let addresses = 0;
    try {
      if (suppresses(fb.kind)) addresses = await suppress(customers, fb, now);
      const message = sent.get(fb.messageId);
      status = message !== undefined && erased.has(message.customerId) ? 'erased' : await store1(deps, message, eventId, fb);
    } catch (error) {
      failed(recordId, error);
      return;
    }
    // Added after the awaits: `suppressed += await …` would read the total before other records' additions.
    suppressed += addresses;
    byKind[fb.kind] = (byKind[fb.kind] ?? 0) + 1;
    byStatus[status] = (byStatus[status] ?? 0) + 1;
    if (status === 'unknown-message' || status === 'erased') return;
    // A redelivered event (duplicate) recomputes engagement and the guard again: if the batch that
    // stored it failed after storing, its redelivery finishes the job.
    const customerId = sent.get(fb.messageId)?.customerId;
    if (customerId !== undefined && (fb.kind === 'open' || fb.kind === 'click' || fb.kind === 'send')) engaged.add(customerId);
    if (fb.kind === 'hard-bounce' || fb.kind === 'complaint') guardNeeded = true;
    if (status !== 'stored') return;
    const key = `${fb.at.slice(0, 10)}\u001f${COUNTERS[fb.kind]}`;
    counters.set(key, (counters.get(key) ?? 0) + 1);
  });
  for (const { fb } of parsed) {
    if (!sent.has(fb.messageId)) logger.warn('feedback for a message not in the send ledger', { messageId: fb.messageId, kind: fb.kind });
  }

  await mapLimit([...counters], 4, async ([key, n]) => {
    const [day = '', counter = ''] = key.split('\u001f');
    await store.countSending(day, counter as SendingCounter, n);
  });
  await mapLimit([...engaged], 8, async (customerId) => {
    await store.putEngagement(customerId, engagementFacts(await store.listFeedback(customerId), now), now);
  });

  // More sends only lower the rates, so only bounces and complaints can tip the guard.
  let paused = false;
  if (guardNeeded) {
    const decision = decideSending(await store.dailySendingCounts(windowDays(now, deps.guard.windowDays)), now, deps.guard);
    paused = decision.paused;
    if (decision.paused && !(await store.sendingPaused())) {
      await store.pauseSending(decision, now);
      // A metric filter on this message drives the "sending paused" CloudWatch alarm.
      logger.error(SENDING_PAUSED_MESSAGE, { reasons: decision.reasons, sends: decision.sends, hardBounces: decision.hardBounces, complaints: decision.complaints });
    }
  }
  const batchItemFailures = records.filter((r) => failures.has(r.messageId)).map((r) => ({ itemIdentifier: r.messageId }));
  logger.info('feedback processed', { events: records.length, byStatus, byKind, suppressed, paused, failed: batchItemFailures.length });
  return { events: records.length, byStatus, byKind, suppressed, paused, batchItemFailures };
}

/** JSON.parse's own message quotes the text, which may hold an address: the error names the message instead. */
function parseJson(body: string, messageId: string): unknown {
  try {
    return JSON.parse(body) as unknown;
  } catch {
    throw new InputError(`SQS message ${messageId} is not JSON`);
  }
}

async function suppress(customers: IdentityStore, fb: Feedback, now: Date): Promise<number> {
  for (const address of fb.recipients) await customers.suppress(emailHash(address), fb.kind === 'complaint' ? 'complained' : 'bounced', now);
  return fb.recipients.length;
}

async function store1(deps: FeedbackDeps, sent: { customerId: string; campaign: string } | undefined, eventId: string, fb: Feedback): Promise<FeedbackStatus> {
  if (sent === undefined) return 'unknown-message';
  const stored = await deps.feedback.putFeedback(sent.customerId, {
    eventId,
    messageId: fb.messageId,
    campaign: sent.campaign,
    kind: fb.kind,
    at: fb.at,
    ...(fb.detail === undefined ? {} : { detail: fb.detail }),
  });
  return stored ? 'stored' : 'duplicate';
}
