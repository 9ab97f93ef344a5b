import type { FeedbackKind } from '../../core/feedback/ses-event.ts';
import type { EngagementFacts } from '../../core/feedback/engagement.ts';
import type { DailyCounts, GuardDecision } from '../../core/feedback/sending-guard.ts';

/** A stored SES feedback event of one customer (item C#<id> / FB#<eventId>). */
export interface StoredFeedback {
  readonly eventId: string;
  readonly messageId: string;
  readonly campaign: string;
  readonly kind: FeedbackKind;
  readonly at: string;
  readonly detail?: string;
}

/** What the send ledger knows of an SES message id (item MSG#<messageId>, written by recordSend). */
export interface SentMessage {
  readonly customerId: string;
  readonly campaign: string;
}

/** The sending guard's flag (item GUARD / SENDING), which dispatch reads before every campaign. */
export interface SendingGuardState {
  readonly paused: boolean;
  readonly reasons: readonly string[];
  readonly at: string;
}

export const SENDING_COUNTERS = ['sends', 'deliveries', 'hardBounces', 'softBounces', 'complaints', 'opens', 'clicks', 'renderingFailures', 'rejects', 'delays'] as const;
export type SendingCounter = (typeof SENDING_COUNTERS)[number];

/** The feedback side of the single table: events per customer, daily counters and the guard flag. */
export interface FeedbackStore {
  /** The customer and campaign of each known SES message id. */
  findSentMessages(messageIds: readonly string[]): Promise<Map<string, SentMessage>>;
  /** Stores a feedback event once; false when an event with that id was stored before. */
  putFeedback(customerId: string, feedback: StoredFeedback): Promise<boolean>;
  listFeedback(customerId: string): Promise<StoredFeedback[]>;
  putEngagement(customerId: string, facts: EngagementFacts, now: Date): Promise<void>;
  /** Adds to a counter of the day (UTC yyyy-mm-dd). */
  countSending(day: string, counter: SendingCounter, amount: number): Promise<void>;
  dailySendingCounts(days: readonly string[]): Promise<DailyCounts[]>;
  sendingGuard(): Promise<SendingGuardState | undefined>;
  /** True while the guard holds sending paused. */
  sendingPaused(): Promise<boolean>;
  pauseSending(decision: GuardDecision, now: Date): Promise<void>;
  resumeSending(now: Date): Promise<void>;
}
