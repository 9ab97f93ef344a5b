import { GetAccountCommand, SendBulkEmailCommand, SendEmailCommand, type SESv2Client } from '@aws-sdk/client-sesv2';

import { BulkSendError, type Mailer, type SingleMailer } from './ports/mailer.ts';

const THROTTLING = new Set(['TooManyRequestsException', 'ThrottlingException', 'LimitExceededException', 'Throttling']);
const UNREACHED = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN']);

export function classifySendError(error: unknown): BulkSendError {
  const e = error as { name?: string; code?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  const status = e.$metadata?.httpStatusCode;
  const message = `${e.name ?? 'Error'}: ${e.message ?? String(error)}`;
  if (THROTTLING.has(e.name ?? '') || status === 429) return new BulkSendError('throttled', message);
  if (status !== undefined && status >= 400 && status < 500) return new BulkSendError('refused', message);
  if (UNREACHED.has(e.code ?? '') || UNREACHED.has(e.name ?? '')) return new BulkSendError('unreached', message);
  return new BulkSendError('ambiguous', message);
}

/**
 * SES v2 through a client that must not retry on its own (maxAttempts 1): an SDK retry after a
 * timeout could send a batch twice, so the dispatcher decides which failures are safe to resend.
 */
export function sesMailer(client: SESv2Client): Mailer {
  return {
    async sendBulk({ from, templateName, configurationSet, entries }) {
      let response;
      try {
        response = await client.send(
          new SendBulkEmailCommand({
            FromEmailAddress: from,
            ...(configurationSet ? { ConfigurationSetName: configurationSet } : {}),
            DefaultContent: { Template: { TemplateName: templateName, TemplateData: '{}' } },
            BulkEmailEntries: entries.map((e) => ({
              Destination: { ToAddresses: [e.email] },
              ReplacementEmailContent: { ReplacementTemplate: { ReplacementTemplateData: e.templateData } },
              ...(e.headers.length > 0 ? { ReplacementHeaders: e.headers.map((h) => ({ Name: h.name, Value: h.value })) } : {}),
            })),
          }),
        );
      } catch (error) {
        throw classifySendError(error);
      }
      const results = response.BulkEmailEntryResults ?? [];
      return entries.map((entry, i) => {
        const result = results[i];
        return {
          customerId: entry.customerId,
          status: result?.Status ?? 'UNKNOWN',
          ...(result?.MessageId ? { messageId: result.MessageId } : {}),
          ...(result?.Error ? { error: result.Error } : {}),
        };
      });
    },
    async maxSendRate() {
      try {
        const account = await client.send(new GetAccountCommand({}));
        return account.SendQuota?.MaxSendRate;
      } catch {
        return undefined; // the local emulator has no account unless told; the configured fallback applies
      }
    },
  };
}

/** SendEmail with the template's content inline: SES renders it as it renders a stored template. */
export function sesSingleMailer(client: SESv2Client): SingleMailer {
  return {
    async sendOne({ from, to, content, templateData, headers }) {
      const sent = await client.send(
        new SendEmailCommand({
          FromEmailAddress: from,
          Destination: { ToAddresses: [to] },
          Content: {
            Template: {
              TemplateContent: { Subject: content.subject, Html: content.html, Text: content.text },
              TemplateData: templateData,
              ...(headers.length > 0 ? { Headers: headers.map((h) => ({ Name: h.name, Value: h.value })) } : {}),
            },
          },
        }),
      );
      return { messageId: sent.MessageId };
    },
  };
}
