import { dynamoDocumentClient } from '../../functions/adapters/aws-clients.ts';
import { dynamoFeedbackStore } from '../../functions/adapters/feedback-store.ts';
import type { SendingGuardState } from '../../functions/adapters/ports/feedback.ts';
import { decideSending, DEFAULT_GUARD_SETTINGS, windowDays, type GuardDecision } from '../../functions/core/feedback/sending-guard.ts';
import type { StackNames } from './target.ts';

export interface SendingStatus {
  readonly guard: SendingGuardState | null;
  /** The guard's figures over its window as of `now`. */
  readonly window: GuardDecision;
}

/** Whether sending is paused, and the bounce and complaint rates over the guard's window. */
export async function sendingStatus(stack: StackNames, now: Date): Promise<SendingStatus> {
  const store = dynamoFeedbackStore(dynamoDocumentClient(), stack.tableName);
  const counts = await store.dailySendingCounts(windowDays(now, DEFAULT_GUARD_SETTINGS.windowDays));
  return { guard: (await store.sendingGuard()) ?? null, window: decideSending(counts, now) };
}

/** Lifts the guard's pause: someone has looked at why the rates rose. */
export async function resumeSending(stack: StackNames, now: Date): Promise<void> {
  await dynamoFeedbackStore(dynamoDocumentClient(), stack.tableName).resumeSending(now);
}
