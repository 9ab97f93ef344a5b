/** Sending e-mail in bulk, as the dispatcher needs it; the SES adapter is ../mailer.ts. */
export interface BulkEntry {
  readonly customerId: string;
  readonly email: string;
  readonly templateData: string;
  readonly headers: readonly { readonly name: string; readonly value: string }[];
}

export interface BulkSendRequest {
  readonly from: string;
  readonly templateName: string;
  readonly configurationSet?: string;
  readonly entries: readonly BulkEntry[];
}

export interface EntryResult {
  readonly customerId: string;
  /** SES's BulkEmailStatus, e.g. SUCCESS, TRANSIENT_FAILURE, MESSAGE_REJECTED. */
  readonly status: string;
  readonly messageId?: string;
  readonly error?: string;
}

/**
 * A SendBulkEmail call that failed as a whole. `throttled`: SES refused it for rate, resend later;
 * `refused`: SES answered with an error, nothing was sent; `unreached`: the request never got to
 * SES; `ambiguous`: no answer (timeout, 5xx, reset) — SES may have accepted it.
 */
export class BulkSendError extends Error {
  override readonly name = 'BulkSendError';
  constructor(readonly kind: 'throttled' | 'refused' | 'unreached' | 'ambiguous', message: string) {
    super(message);
  }
}

export interface Mailer {
  /** One SendBulkEmail call; the caller keeps it to at most 50 entries. */
  sendBulk(request: BulkSendRequest): Promise<EntryResult[]>;
  /** The account's MaxSendRate (recipients per second), undefined when SES will not say. */
  maxSendRate(): Promise<number | undefined>;
}

/** One message sent with its content inline (a campaign's test send): no stored template, no ledger. */
export interface SingleMessage {
  readonly from: string;
  readonly to: string;
  readonly content: { readonly subject: string; readonly html: string; readonly text: string };
  readonly templateData: string;
  readonly headers: readonly { readonly name: string; readonly value: string }[];
}

export interface SingleMailer {
  sendOne(message: SingleMessage): Promise<{ readonly messageId: string | undefined }>;
}
