import { CreateEmailTemplateCommand, GetEmailTemplateCommand, NotFoundException, UpdateEmailTemplateCommand, type SESv2Client } from '@aws-sdk/client-sesv2';

import type { EmailTemplateContent, EmailTemplates } from './ports/email-templates.ts';

const toSes = (c: EmailTemplateContent) => ({ Subject: c.subject, Html: c.html, Text: c.text });

export function sesEmailTemplates(client: SESv2Client): EmailTemplates {
  return {
    async get(name) {
      try {
        const found = await client.send(new GetEmailTemplateCommand({ TemplateName: name }));
        const c = found.TemplateContent;
        return { subject: c?.Subject ?? '', html: c?.Html ?? '', text: c?.Text ?? '' };
      } catch (error) {
        // By its status too: the local emulator names the error in the body, where the SDK does not look.
        const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
        if (error instanceof NotFoundException || e.name === 'NotFoundException' || e.$metadata?.httpStatusCode === 404) return undefined;
        throw error;
      }
    },
    async create(name, content) {
      await client.send(new CreateEmailTemplateCommand({ TemplateName: name, TemplateContent: toSes(content) }));
    },
    async update(name, content) {
      await client.send(new UpdateEmailTemplateCommand({ TemplateName: name, TemplateContent: toSes(content) }));
    },
  };
}
