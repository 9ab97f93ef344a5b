import * as z from 'zod';
import { parseOrThrow } from '../validation.ts';

/**
 * SES event publishing records (configuration set → EventBridge), as documented in "Contents of
 * event data that Amazon SES publishes": only the fields strata reads are declared, the rest pass.
 */
const recipientsSchema = z.array(z.object({ emailAddress: z.string() }).loose());

const mailSchema = z
  .object({
    messageId: z.string().min(1),
    timestamp: z.string().min(1),
    destination: z.array(z.string()).default([]),
    tags: z.record(z.string(), z.array(z.string())).optional(),
  })
  .loose();

const sesRecordSchema = z
  .object({
    eventType: z.string().optional(),
    /** The name of eventType in identity notifications (without a configuration set). */
    notificationType: z.string().optional(),
    mail: mailSchema,
    bounce: z
      .object({ bounceType: z.string(), bounceSubType: z.string().optional(), bouncedRecipients: recipientsSchema, timestamp: z.string() })
      .loose()
      .optional(),
    complaint: z
      .object({ complainedRecipients: recipientsSchema, timestamp: z.string(), complaintFeedbackType: z.string().optional() })
      .loose()
      .optional(),
    delivery: z.object({ timestamp: z.string(), recipients: z.array(z.string()) }).loose().optional(),
    open: z.object({ timestamp: z.string() }).loose().optional(),
    click: z.object({ timestamp: z.string(), link: z.string().optional() }).loose().optional(),
    failure: z.object({ errorMessage: z.string(), templateName: z.string().optional() }).loose().optional(),
    deliveryDelay: z.object({ timestamp: z.string() }).loose().optional(),
  })
  .loose();

export type SesRecord = z.infer<typeof sesRecordSchema>;

/** What EventBridge delivers: the SES record in `detail`. */
const sesEventBridgeSchema = z
  .object({ id: z.string().min(1).optional(), source: z.literal('aws.ses'), 'detail-type': z.string(), detail: sesRecordSchema })
  .loose();

export type SesEventBridgeEvent = z.infer<typeof sesEventBridgeSchema>;

export type FeedbackKind =
  | 'send'
  | 'delivery'
  | 'hard-bounce'
  | 'soft-bounce'
  | 'complaint'
  | 'open'
  | 'click'
  | 'rendering-failure'
  | 'reject'
  | 'delivery-delay';

/** One SES event reduced to what strata acts on; addresses stay here and never reach storage or logs. */
export interface Feedback {
  readonly kind: FeedbackKind;
  readonly messageId: string;
  /** When it happened (the event's own timestamp, else the send's). */
  readonly at: string;
  /** The recipients the event is about (the bounced or complaining ones, else the destination). */
  readonly recipients: readonly string[];
  /** Bounce subtype, complaint type, template name or clicked link: no personal data. */
  readonly detail?: string;
}

export function parseSesEvent(event: unknown, source: string): SesEventBridgeEvent {
  return parseOrThrow(sesEventBridgeSchema, event, 'SES event', source);
}

/**
 * The meaning of one SES record. Permanent bounces are hard; Transient and Undetermined ones are
 * soft (SES documents Undetermined as "could not determine a specific reason", not a bad address).
 */
export function toFeedback(record: SesRecord): Feedback {
  const type = record.eventType ?? record.notificationType ?? '';
  const { messageId, timestamp, destination } = record.mail;
  const base = { messageId, at: timestamp, recipients: destination };
  switch (type) {
    case 'Send':
      return { ...base, kind: 'send' };
    case 'Delivery':
      return { ...base, kind: 'delivery', at: record.delivery?.timestamp ?? timestamp, recipients: record.delivery?.recipients ?? destination };
    case 'Bounce': {
      const bounce = record.bounce;
      const hard = bounce?.bounceType === 'Permanent';
      return {
        ...base,
        kind: hard ? 'hard-bounce' : 'soft-bounce',
        at: bounce?.timestamp ?? timestamp,
        recipients: bounce?.bouncedRecipients.map((r) => r.emailAddress) ?? destination,
        detail: [bounce?.bounceType, bounce?.bounceSubType].filter(Boolean).join('/'),
      };
    }
    case 'Complaint':
      return {
        ...base,
        kind: 'complaint',
        at: record.complaint?.timestamp ?? timestamp,
        recipients: record.complaint?.complainedRecipients.map((r) => r.emailAddress) ?? destination,
        ...(record.complaint?.complaintFeedbackType ? { detail: record.complaint.complaintFeedbackType } : {}),
      };
    case 'Open':
      return { ...base, kind: 'open', at: record.open?.timestamp ?? timestamp };
    case 'Click':
      return { ...base, kind: 'click', at: record.click?.timestamp ?? timestamp, ...(record.click?.link ? { detail: record.click.link } : {}) };
    case 'Rendering Failure':
      return { ...base, kind: 'rendering-failure', ...(record.failure?.templateName ? { detail: record.failure.templateName } : {}) };
    case 'Reject':
      return { ...base, kind: 'reject' };
    case 'DeliveryDelay':
      return { ...base, kind: 'delivery-delay', at: record.deliveryDelay?.timestamp ?? timestamp };
    default:
      throw new TypeError(`unknown SES event type "${type}" for message ${messageId}`);
  }
}

/** Whether the address must never be mailed again: a hard bounce or a complaint. */
export function suppresses(kind: FeedbackKind): boolean {
  return kind === 'hard-bounce' || kind === 'complaint';
}
