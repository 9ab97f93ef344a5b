import { z } from 'zod';
import { parseOrThrow } from './validation.ts';

/** SES accepts at most 50 destinations in one SendBulkEmail call. */
export const MAX_BULK_DESTINATIONS = 50;

export const campaignSchema = z
  .object({
    name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'lower-case letters, digits and dashes'),
    segment: z.string().min(1),
    template: z
      .object({
        subject: z.string().min(1),
        html: z.string().min(1),
        text: z.string().min(1),
      })
      .strict(),
    /** Template data used when a profile lacks a field, so no e-mail reads "Hello ,". */
    defaults: z.record(z.string(), z.string()).default({}),
  })
  .strict();

export type Campaign = z.infer<typeof campaignSchema>;

export function parseCampaign(json: unknown, source: string): Campaign {
  return parseOrThrow(campaignSchema, json, 'campaign', source);
}

/** The SES template name of a campaign: stable, so the stack and the dispatcher agree. */
export function templateName(campaign: Pick<Campaign, 'name'>): string {
  return `strata-${campaign.name}`;
}

export interface Recipient {
  readonly customerId: string;
  readonly email: string;
  readonly firstName?: string;
}

export interface BulkEntry {
  readonly customerId: string;
  readonly email: string;
  readonly templateData: string;
}

export function toBulkEntries(campaign: Campaign, recipients: readonly Recipient[]): BulkEntry[] {
  return recipients.map((r) => ({
    customerId: r.customerId,
    email: r.email,
    templateData: JSON.stringify({ ...campaign.defaults, ...(r.firstName ? { firstName: r.firstName } : {}) }),
  }));
}

export function chunk<T>(items: readonly T[], size: number): T[][] {
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`chunk size must be a positive integer, got ${size}`);
  const chunks: T[][] = [];
  for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size));
  return chunks;
}
