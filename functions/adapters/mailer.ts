import { SendBulkEmailCommand, type SESv2Client } from '@aws-sdk/client-sesv2';
import type { BulkEntry } from '../core/campaign.ts';

export interface BulkSendRequest {
  readonly from: string;
  readonly templateName: string;
  readonly configurationSet?: string;
  readonly entries: readonly BulkEntry[];
}

export interface EntryResult {
  readonly customerId: string;
  readonly status: string;
  readonly messageId?: string;
  readonly error?: string;
}

export interface Mailer {
  /** One SendBulkEmail call; the caller keeps it to at most 50 entries. */
  sendBulk(request: BulkSendRequest): Promise<EntryResult[]>;
}

export function sesMailer(client: SESv2Client): Mailer {
  return {
    async sendBulk({ from, templateName, configurationSet, entries }) {
      const response = await client.send(
        new SendBulkEmailCommand({
          FromEmailAddress: from,
          ...(configurationSet ? { ConfigurationSetName: configurationSet } : {}),
          DefaultContent: { Template: { TemplateName: templateName, TemplateData: '{}' } },
          BulkEmailEntries: entries.map((e) => ({
            Destination: { ToAddresses: [e.email] },
            ReplacementEmailContent: { ReplacementTemplate: { ReplacementTemplateData: e.templateData } },
          })),
        }),
      );
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
  };
}
