import * as z from 'zod';
import { parseOrThrow } from './validation.ts';
import { isTimeZone } from './time-zone.ts';

/** SES accepts at most 50 destinations in one SendBulkEmail call. */
export const MAX_BULK_DESTINATIONS = 50;

const segmentName = z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'a segment name: lower-case letters, digits and dashes');
const hour = z.number().int().min(0).max(23);

// Checked here so a typo fails at synth, not at send time.
const timeZone = z.string().refine(isTimeZone, { message: 'an IANA time zone such as Europe/Berlin' });

/**
 * EventBridge Scheduler cron without the `cron(...)` wrapper: minutes hours day-of-month month
 * day-of-week year, where one of day-of-month and day-of-week must be `?`.
 */
const cron = z
  .string()
  .regex(/^\S+ \S+ \S+ \S+ \S+ \S+$/, 'six fields: minutes hours day-of-month month day-of-week year, e.g. "0 9 ? * TUE *"')
  .refine((c) => { const f = c.split(' '); return f[2] === '?' || f[4] === '?'; }, { message: 'day-of-month or day-of-week must be "?"' });

const triggerSchema = z.discriminatedUnion('type', [
  z
    .object({
      type: z.literal('enter'),
      /** Customers whose membership started within this many days count as entering when no run came before. */
      lookbackDays: z.number().int().min(1).max(90).default(1),
      /** Days after entering before the send: steps of a series are enter campaigns with growing delays. */
      delayDays: z.number().int().min(0).max(365).default(0),
    })
    .strict(),
  z
    .object({
      type: z.literal('exit'),
      lookbackDays: z.number().int().min(1).max(90).default(1),
      delayDays: z.number().int().min(0).max(365).default(0),
    })
    .strict(),
  z.object({ type: z.literal('broadcast'), cron, timeZone }).strict(),
]);

const productSchema = z.object({ title: z.string().min(1), url: z.url() }).strict();

const contentSchema = z
  .object({
    subject: z.string().min(1),
    /** The MJML source, a file next to the campaign definition; compiled to the template's HTML part. */
    mjml: z.string().regex(/^[\w.-]+\.mjml$/, 'a file name ending in .mjml, next to the campaign file'),
    text: z.string().min(1),
    /** Values for template fields a profile lacks, so no e-mail reads "Hello ,". */
    defaults: z.record(z.string(), z.string()).default({}),
    /** Product suggestions chosen by the customer's category affinity (orders.categoryMix). */
    suggestions: z
      .object({
        count: z.number().int().min(1).max(6).default(3),
        byCategory: z.record(z.string(), z.array(productSchema).min(1)).default({}),
        /** Shown when the customer has no known category or too few products match. */
        fallback: z.array(productSchema).min(1),
      })
      .strict()
      .optional(),
  })
  .strict();

const offerSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('none') }).strict(),
  z
    .object({
      type: z.literal('code'),
      code: z.string().regex(/^[A-Z0-9-]{3,32}$/, 'upper-case letters, digits and dashes'),
      /** A different code per target segment, for measuring each segment's redemptions apart. */
      bySegment: z.record(segmentName, z.string().regex(/^[A-Z0-9-]{3,32}$/, 'upper-case letters, digits and dashes')).default({}),
      description: z.string().min(1),
    })
    .strict(),
]);

const timingSchema = z
  .object({
    /** Local hours [start, end) in the customer's time zone; outside them the send waits. */
    sendWindow: z
      .object({ startHour: hour, endHour: z.number().int().min(1).max(24) })
      .strict()
      .refine((w) => w.startHour < w.endHour, { message: 'startHour must be before endHour' })
      .default({ startHour: 9, endHour: 20 }),
    /** Wait until the local hour the customer last opened an e-mail, when known and inside the window. */
    bestHour: z.boolean().default(true),
  })
  .strict();

const campaignSchema = z
  .object({
    name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'lower-case letters, digits and dashes'),
    description: z.string().default(''),
    /** Members of any of these segments are the audience. */
    segments: z.array(segmentName).min(1),
    trigger: triggerSchema,
    channel: z.enum(['email', 'audience']).default('email'),
    content: contentSchema.optional(),
    offer: offerSchema.default({ type: 'none' }),
    timing: timingSchema.default({ sendWindow: { startHour: 9, endHour: 20 }, bestHour: true }),
    /** Marketing e-mails count towards the frequency cap and carry unsubscribe headers. */
    marketing: z.boolean().default(true),
    /** Share of the audience kept out as a control group, by a stable hash of (campaign, customer). */
    holdout: z.number().min(0).max(0.5).default(0.1),
    /** When a customer qualifies for several campaigns in one run, the highest priority wins. */
    priority: z.number().int().min(0).max(1000).default(100),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.channel === 'email' && c.content === undefined) ctx.addIssue({ code: 'custom', path: ['content'], message: 'an e-mail campaign needs content' });
    if (c.channel === 'audience' && c.content !== undefined) ctx.addIssue({ code: 'custom', path: ['content'], message: 'an audience export sends no e-mail; remove content' });
    if (c.offer.type === 'code') {
      for (const segment of Object.keys(c.offer.bySegment)) {
        if (!c.segments.includes(segment)) ctx.addIssue({ code: 'custom', path: ['offer', 'bySegment', segment], message: `${segment} is not one of the campaign's segments` });
      }
    }
  });

export type Campaign = z.infer<typeof campaignSchema>;
export type Product = z.infer<typeof productSchema>;

export function parseCampaign(json: unknown, source: string): Campaign {
  return parseOrThrow(campaignSchema, json, 'campaign', source);
}

/** Checks a set of campaigns together: names must be unique. */
export function parseCampaigns(entries: readonly { json: unknown; source: string }[]): Campaign[] {
  const campaigns = entries.map((e) => parseCampaign(e.json, e.source));
  const seen = new Map<string, string>();
  for (const [i, c] of campaigns.entries()) {
    const source = entries[i]?.source ?? '';
    const first = seen.get(c.name);
    if (first !== undefined) throw new Error(`campaign name ${c.name} is used by both ${first} and ${source}`);
    seen.set(c.name, source);
  }
  return campaigns;
}

/** The SES template name of a campaign: stable, so the dispatcher and the IAM grant (strata-*) agree. */
export function templateName(campaign: Pick<Campaign, 'name'>): string {
  return `${TEMPLATE_PREFIX}${campaign.name}`;
}

export const TEMPLATE_PREFIX = 'strata-';

/**
 * Campaigns are data in the bucket: config/campaigns/<name>.json (the definition), <name>.mjml (its
 * source), <name>.html (compiled from it when it was written) and, while paused, <name>.paused.
 */
export const CAMPAIGNS_PREFIX = 'config/campaigns/';

export interface CampaignKeys {
  readonly definition: string;
  readonly mjml: string;
  readonly html: string;
  readonly paused: string;
}

export function campaignKeys(name: string): CampaignKeys {
  const base = `${CAMPAIGNS_PREFIX}${name}`;
  return { definition: `${base}.json`, mjml: `${base}.mjml`, html: `${base}.html`, paused: `${base}.paused` };
}

/** The campaign a key under config/campaigns/ belongs to, and which of its objects it is. */
export function campaignOfKey(key: string): { name: string; part: keyof CampaignKeys } | undefined {
  const match = /^config\/campaigns\/([^/]+)\.(json|mjml|html|paused)$/.exec(key);
  if (match === null) return undefined;
  const part = ({ json: 'definition', mjml: 'mjml', html: 'html', paused: 'paused' } as const)[match[2] as 'json' | 'mjml' | 'html' | 'paused'];
  return { name: match[1] ?? '', part };
}

/** Highest priority first; the name breaks ties so every run orders campaigns the same way. */
export function byPriority(a: Campaign, b: Campaign): number {
  return b.priority - a.priority || a.name.localeCompare(b.name);
}
