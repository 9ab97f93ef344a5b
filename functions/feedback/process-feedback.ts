import type { Logger } from '@aws-lambda-powertools/logger';
import type { CustomerStore } from '../adapters/customer-store.ts';
import type { FeedbackStore, SendingCounter } from '../adapters/feedback-store.ts';
import { suppresses, toFeedback, type FeedbackKind, type SesEventBridgeEvent } from '../core/feedback/ses-event.ts';
import { engagementFacts } from '../core/feedback/engagement.ts';
import { decideSending, windowDays, type GuardSettings } from '../core/feedback/sending-guard.ts';
import { emailHash } from '../core/privacy.ts';

export interface FeedbackDeps {
  readonly customers: CustomerStore;
  readonly feedback: FeedbackStore;
  readonly logger: Logger;
  readonly guard: GuardSettings;
  readonly now: Date;
}

export type FeedbackOutcome =
  | { readonly status: 'stored'; readonly kind: FeedbackKind; readonly customerId: string; readonly suppressed: number; readonly paused: boolean }
  | { readonly status: 'duplicate'; readonly kind: FeedbackKind }
  | { readonly status: 'unknown-message'; readonly kind: FeedbackKind; readonly suppressed: number };

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
 * Acts on one SES event: suppresses the address of a hard bounce or complaint at once (by its
 * hash, even for mail strata cannot match), stores the event once under its customer, recomputes
 * their engagement, counts it for the day and lets the sending guard decide.
 */
export async function processFeedback(deps: FeedbackDeps, event: SesEventBridgeEvent, eventId: string): Promise<FeedbackOutcome> {
  const { customers, feedback: store, logger, now } = deps;
  const fb = toFeedback(event.detail);
  let suppressed = 0;
  if (suppresses(fb.kind)) {
    for (const address of fb.recipients) {
      await customers.suppress(emailHash(address), fb.kind === 'complaint' ? 'complained' : 'bounced', now);
      suppressed++;
    }
  }
  const sent = (await store.findSentMessages([fb.messageId])).get(fb.messageId);
  if (sent === undefined) {
    logger.warn('feedback for a message not in the send ledger', { messageId: fb.messageId, kind: fb.kind });
    return { status: 'unknown-message', kind: fb.kind, suppressed };
  }
  const stored = await store.putFeedback(sent.customerId, {
    eventId,
    messageId: fb.messageId,
    campaign: sent.campaign,
    kind: fb.kind,
    at: fb.at,
    ...(fb.detail === undefined ? {} : { detail: fb.detail }),
  });
  if (!stored) return { status: 'duplicate', kind: fb.kind };

  await store.countSending(fb.at.slice(0, 10), COUNTERS[fb.kind]);
  if (fb.kind === 'open' || fb.kind === 'click' || fb.kind === 'send') {
    await store.putEngagement(sent.customerId, engagementFacts(await store.listFeedback(sent.customerId), now), now);
  }
  let paused = false;
  if (fb.kind === 'send' || fb.kind === 'hard-bounce' || fb.kind === 'complaint') {
    const decision = decideSending(await store.dailySendingCounts(windowDays(now, deps.guard.windowDays)), now, deps.guard);
    paused = decision.paused;
    if (decision.paused && !(await store.sendingPaused())) {
      await store.pauseSending(decision, now);
      // A metric filter on this message drives the "sending paused" CloudWatch alarm.
      logger.error('sending paused', { reasons: decision.reasons, sends: decision.sends, hardBounces: decision.hardBounces, complaints: decision.complaints });
    }
  }
  logger.info('feedback stored', { messageId: fb.messageId, kind: fb.kind, customerId: sent.customerId, campaign: sent.campaign, suppressed });
  return { status: 'stored', kind: fb.kind, customerId: sent.customerId, suppressed, paused };
}
