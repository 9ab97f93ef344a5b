import type { Logger } from '@aws-lambda-powertools/logger';
import { mapLimit, type CustomerStore } from '../adapters/customer-store.ts';
import type { FeedbackStore, SendingCounter } from '../adapters/feedback-store.ts';
import { suppresses, toFeedback, type Feedback, type FeedbackKind, type SesEventBridgeEvent } from '../core/feedback/ses-event.ts';
import { engagementFacts } from '../core/feedback/engagement.ts';
import { decideSending, SENDING_PAUSED_MESSAGE, windowDays, type GuardSettings } from '../core/feedback/sending-guard.ts';
import { emailHash } from '../core/privacy.ts';

export interface FeedbackDeps {
  readonly customers: CustomerStore;
  readonly feedback: FeedbackStore;
  readonly logger: Logger;
  readonly guard: GuardSettings;
  readonly now: Date;
}

export interface IncomingEvent {
  /** EventBridge's event id, kept across redeliveries: it makes storing the event idempotent. */
  readonly eventId: string;
  readonly event: SesEventBridgeEvent;
}

/** erased: the message's customer was erased since, so nothing is written under their id. */
export type FeedbackStatus = 'stored' | 'duplicate' | 'unknown-message' | 'erased';

export interface BatchOutcome {
  readonly events: number;
  /** Per status, then per kind. */
  readonly byStatus: Readonly<Record<string, number>>;
  readonly byKind: Readonly<Record<string, number>>;
  readonly suppressed: number;
  readonly paused: boolean;
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
 * lets the sending guard decide when bounces or complaints arrived.
 */
export async function processFeedbackBatch(deps: FeedbackDeps, batch: readonly IncomingEvent[]): Promise<BatchOutcome> {
  const { customers, feedback: store, logger } = deps;
  const parsed = batch.map(({ eventId, event }) => ({ eventId, fb: toFeedback(event.detail) }));
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
  await mapLimit(parsed, 8, async ({ eventId, fb }) => {
    byKind[fb.kind] = (byKind[fb.kind] ?? 0) + 1;
    if (suppresses(fb.kind)) {
      const n = await suppress(customers, fb, now);
      suppressed += n;
    }
    const message = sent.get(fb.messageId);
    const status = message !== undefined && erased.has(message.customerId) ? 'erased' : await store1(deps, message, eventId, fb);
    byStatus[status] = (byStatus[status] ?? 0) + 1;
    if (status !== 'stored') return;
    const key = `${fb.at.slice(0, 10)}\u001f${COUNTERS[fb.kind]}`;
    counters.set(key, (counters.get(key) ?? 0) + 1);
    const customerId = sent.get(fb.messageId)?.customerId;
    if (customerId !== undefined && (fb.kind === 'open' || fb.kind === 'click' || fb.kind === 'send')) engaged.add(customerId);
    if (fb.kind === 'hard-bounce' || fb.kind === 'complaint') guardNeeded = true;
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
  const outcome = { events: batch.length, byStatus, byKind, suppressed, paused };
  logger.info('feedback processed', { ...outcome });
  return outcome;
}

async function suppress(customers: CustomerStore, fb: Feedback, now: Date): Promise<number> {
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
