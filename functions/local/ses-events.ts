import { createHash } from 'node:crypto';
import type { LocalStack } from './local-stack.ts';
import { chunk } from '../core/collections.ts';
import { FEEDBACK_BATCH_SIZE } from '../core/feedback/sending-guard.ts';
import type { BatchOutcome } from '../feedback/process-feedback.ts';

/** A mail as aws-ses-v2-local keeps it (GET /store). */
export interface StoredMail {
  readonly messageId: string;
  readonly from: string;
  readonly destination: { readonly to: readonly string[] };
  readonly subject: string;
  readonly body: { readonly html?: string; readonly text?: string };
  readonly at: number;
}

export interface SimulationOptions {
  /** The time the mail counts as sent (the dispatcher's clock, e.g. the demo's as-of date). Default: when the emulator stored it. */
  readonly sentAt?: Date;
  readonly configurationSet: string;
  /** Shares of delivered success@ mail that is opened, and clicked (clickers also open). */
  readonly openShare?: number;
  readonly clickShare?: number;
}

const ACCOUNT = '000000000000';
const REGION = 'us-east-1';
const SIMULATOR_DOMAIN = 'simulator.amazonses.com';

/**
 * The SES events (EventBridge envelope, SES record in `detail`) that SES would publish for a mail,
 * following the mailbox simulator: success@ is delivered (a fixed share, chosen by the address,
 * opens and clicks), bounce@ bounces hard, complaint@ is delivered then complained about, ooto@ is
 * delivered (the auto-reply raises no event), suppressionlist@ bounces hard as suppressed. Other
 * addresses are delivered. A mail that still holds template braces failed to render.
 */
export function simulateSesEvents(mail: StoredMail, options: SimulationOptions): { id: string }[] {
  const sentAt = options.sentAt ?? new Date(mail.at);
  const to = [...mail.destination.to];
  const address = to[0] ?? '';
  const [localPart = '', domain = ''] = address.toLowerCase().split('@');
  const mailbox = domain === SIMULATOR_DOMAIN ? localPart.split('+')[0] : 'other';
  const at = (ms: number) => new Date(sentAt.getTime() + ms).toISOString();
  const record = (eventType: string, extra: Record<string, unknown>) => ({
    eventType,
    mail: {
      timestamp: sentAt.toISOString(),
      source: mail.from,
      sourceArn: `arn:aws:ses:${REGION}:${ACCOUNT}:identity/${mail.from.split('@')[1] ?? mail.from}`,
      sendingAccountId: ACCOUNT,
      messageId: mail.messageId,
      destination: to,
      headersTruncated: false,
      headers: [
        { name: 'From', value: mail.from },
        { name: 'To', value: to.join(', ') },
        { name: 'Subject', value: mail.subject },
        { name: 'MIME-Version', value: '1.0' },
      ],
      commonHeaders: { from: [mail.from], to, messageId: mail.messageId, subject: mail.subject },
      tags: { 'ses:configuration-set': [options.configurationSet], 'ses:from-domain': [mail.from.split('@')[1] ?? ''], 'ses:caller-identity': ['strata-local'] },
    },
    ...extra,
  });
  const envelope = (detailType: string, detail: ReturnType<typeof record>, time: string) => ({
    version: '0',
    id: eventId(mail.messageId, detailType),
    'detail-type': detailType,
    source: 'aws.ses',
    account: ACCOUNT,
    time,
    region: REGION,
    resources: [`arn:aws:ses:${REGION}:${ACCOUNT}:configuration-set/${options.configurationSet}`],
    detail,
  });
  const rendered = `${mail.subject}${mail.body.html ?? ''}${mail.body.text ?? ''}`;
  if (rendered.includes('{{')) {
    return [envelope('Email Rendering Failed', record('Rendering Failure', { failure: { errorMessage: 'Attribute is not present in the rendering data.', templateName: 'unknown' } }), at(0))];
  }
  const send = envelope('Email Sent', record('Send', { send: {} }), at(0));
  const delivery = envelope(
    'Email Delivered',
    record('Delivery', { delivery: { timestamp: at(3_000), processingTimeMillis: 3_000, recipients: to, smtpResponse: '250 2.6.0 Message received', reportingMTA: 'a8-70.smtp-out.amazonses.com' } }),
    at(3_000),
  );
  const bounce = (subType: string, status: string, diagnosticCode: string) =>
    envelope(
      'Email Bounced',
      record('Bounce', {
        bounce: {
          bounceType: 'Permanent',
          bounceSubType: subType,
          bouncedRecipients: to.map((emailAddress) => ({ emailAddress, action: 'failed', status, diagnosticCode })),
          timestamp: at(2_000),
          feedbackId: `${mail.messageId}-bounce`,
          reportingMTA: 'dns; amazonses.com',
        },
      }),
      at(2_000),
    );
  switch (mailbox) {
    case 'bounce':
      return [send, bounce('General', '5.1.1', 'smtp; 550 5.1.1 user unknown')];
    case 'suppressionlist':
      return [send, bounce('Suppressed', '5.1.1', 'Amazon SES has suppressed sending to this address because it is on the suppression list.')];
    case 'complaint':
      return [
        send,
        delivery,
        envelope('Email Complaint Received', record('Complaint', { complaint: { complainedRecipients: to.map((emailAddress) => ({ emailAddress })), timestamp: at(3_600_000), feedbackId: `${mail.messageId}-complaint`, complaintFeedbackType: 'abuse', arrivalDate: at(3_600_000) } }), at(3_600_000)),
      ];
    case 'success': {
      const share = shareOf(address);
      const opened = share < (options.openShare ?? 0.35);
      const clicked = share < (options.clickShare ?? 0.08);
      const openAt = 3_600_000 + Math.floor(share * 20 * 3_600_000);
      return [
        send,
        delivery,
        ...(opened ? [envelope('Email Opened', record('Open', { open: { timestamp: at(openAt), ipAddress: '192.0.2.1', userAgent: 'strata-local' } }), at(openAt))] : []),
        ...(clicked ? [envelope('Email Clicked', record('Click', { click: { timestamp: at(openAt + 45_000), ipAddress: '192.0.2.1', userAgent: 'strata-local', link: 'https://example.com/', linkTags: {} } }), at(openAt + 45_000))] : []),
      ];
    }
    default:
      return [send, delivery];
  }
}

export interface DeliveryReport {
  readonly mails: number;
  readonly events: number;
  readonly byKind: Readonly<Record<string, number>>;
  readonly byStatus: Readonly<Record<string, number>>;
  readonly suppressed: number;
  readonly paused: boolean;
}

const delivered = new WeakMap<LocalStack, Set<string>>();

/**
 * The local stand-in for SES event publishing, which aws-ses-v2-local lacks: reads the mailbox,
 * and for the mail not handled before invokes the real feedback handler with the events SES would
 * publish, as the queue behind the EventBridge rule would deliver them (SQS batches whose message
 * bodies are the EventBridge events). Re-delivery is harmless: the handler stores each event once.
 */
export async function deliverSesEvents(stack: LocalStack, options: Omit<SimulationOptions, 'configurationSet'> = {}): Promise<DeliveryReport> {
  const configurationSet = stack.functions.find((f) => f.entry === 'functions/campaign-dispatch/send/handler.ts')?.environment.CONFIGURATION_SET ?? 'strata-local';
  const { emails } = (await (await fetch(`${stack.endpoints.ses}/store`)).json()) as { emails: StoredMail[] };
  const done = delivered.get(stack) ?? new Set<string>();
  delivered.set(stack, done);
  const fresh = emails.filter((m) => !done.has(m.messageId));
  const events = fresh.flatMap((mail) => simulateSesEvents(mail, { ...options, configurationSet }));
  const byKind: Record<string, number> = {};
  const byStatus: Record<string, number> = {};
  let suppressed = 0;
  let paused = false;
  for (const batch of chunk(events, FEEDBACK_BATCH_SIZE)) {
    const Records = batch.map((event) => ({
      messageId: (event as { id: string }).id,
      receiptHandle: 'local',
      body: JSON.stringify(event),
      attributes: {},
      messageAttributes: {},
      md5OfBody: '',
      eventSource: 'aws:sqs',
      eventSourceARN: `arn:aws:sqs:${REGION}:${ACCOUNT}:strata-feedback`,
      awsRegion: REGION,
    }));
    const outcome = await stack.invoke<BatchOutcome>('functions/feedback/handler.ts', { Records });
    for (const [k, n] of Object.entries(outcome.byKind)) byKind[k] = (byKind[k] ?? 0) + n;
    for (const [k, n] of Object.entries(outcome.byStatus)) byStatus[k] = (byStatus[k] ?? 0) + n;
    suppressed += outcome.suppressed;
    paused ||= outcome.paused;
  }
  for (const mail of fresh) done.add(mail.messageId);
  return { mails: fresh.length, events: events.length, byKind, byStatus, suppressed, paused };
}

/** A number in [0, 1) fixed by the address, so the same customers open in every run. */
function shareOf(address: string): number {
  return createHash('sha256').update(address.toLowerCase()).digest().readUInt32BE(0) / 2 ** 32;
}

/** A stable EventBridge-style id per mail and event type. */
function eventId(messageId: string, detailType: string): string {
  const h = createHash('sha256').update(`${messageId}\u001f${detailType}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}
