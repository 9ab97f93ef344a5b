import { describe, expect, it } from 'vitest';
import { InputError } from '../../functions/core/errors.ts';
import { MAX_BULK_DESTINATIONS, byPriority, parseCampaign, parseCampaigns, templateName, type Campaign } from '../../functions/core/campaign.ts';
import { readCampaignDir } from '../../functions/commons/campaign-catalog.ts';
import { DEFAULT_CAMPAIGN_DIR } from '../../lib/campaigns.ts';

const content = { subject: 'Hello {{firstName}}', mjml: 'hello.mjml', text: 'Hello {{firstName}}' };
const minimal = { name: 'spring', segments: ['first-time-buyers'], trigger: { type: 'enter' }, content };

describe('the SES bulk limit', () => {
  it('sizes chunks for the SES limit of 50 destinations', () => {
    expect(MAX_BULK_DESTINATIONS).toBe(50);
  });
});

describe('parseCampaign', () => {
  it('fills the documented defaults', () => {
    // Act
    const campaign = parseCampaign(minimal, 'c.json');

    // Assess
    expect(campaign).toEqual({
      name: 'spring', description: '', segments: ['first-time-buyers'], trigger: { type: 'enter', lookbackDays: 1, delayDays: 0 },
      channel: 'email', content: { ...content, defaults: {} }, offer: { type: 'none' },
      timing: { sendWindow: { startHour: 9, endHour: 20 }, bestHour: true }, marketing: true, holdout: 0.1, priority: 100,
    });
  });

  it('accepts a broadcast, a per-segment code and an audience export', () => {
    // Act
    const broadcast = parseCampaign({ ...minimal, segments: ['vip', 'high-value'], trigger: { type: 'broadcast', cron: '0 9 ? * TUE *', timeZone: 'Europe/Berlin' },
      offer: { type: 'code', code: 'VIP10', bySegment: { vip: 'VIP20' }, description: '10% off' } }, 'c.json');
    const audience = parseCampaign({ name: 'lookalike', segments: ['vip'], trigger: { type: 'broadcast', cron: '0 3 1 * ? *', timeZone: 'UTC' }, channel: 'audience' }, 'a.json');

    // Assess
    expect(broadcast.offer).toEqual({ type: 'code', code: 'VIP10', bySegment: { vip: 'VIP20' }, description: '10% off' });
    expect(audience.content).toBeUndefined();
  });

  it.each<{ readonly label: string; readonly json: unknown; readonly message: string }>([
    { label: 'a name with capitals', json: { ...minimal, name: 'Spring' }, message: 'invalid campaign c.json: name: lower-case letters, digits and dashes' },
    { label: 'no segment', json: { ...minimal, segments: [] }, message: 'invalid campaign c.json: segments: Too small: expected array to have >=1 items' },
    { label: 'a segment name with spaces', json: { ...minimal, segments: ['first time'] }, message: 'invalid campaign c.json: segments.0: a segment name: lower-case letters, digits and dashes' },
    { label: 'an unknown trigger', json: { ...minimal, trigger: { type: 'birthday' } }, message: "invalid campaign c.json: trigger.type: Invalid discriminator value. Expected 'enter' | 'exit' | 'broadcast'" },
    { label: 'a five-field cron', json: { ...minimal, trigger: { type: 'broadcast', cron: '0 9 * * 2', timeZone: 'UTC' } }, message: 'invalid campaign c.json: trigger.cron: six fields: minutes hours day-of-month month day-of-week year, e.g. "0 9 ? * TUE *"' },
    { label: 'a cron without "?"', json: { ...minimal, trigger: { type: 'broadcast', cron: '0 9 * * TUE *', timeZone: 'UTC' } }, message: 'invalid campaign c.json: trigger.cron: day-of-month or day-of-week must be "?"' },
    { label: 'an unknown time zone', json: { ...minimal, trigger: { type: 'broadcast', cron: '0 9 ? * TUE *', timeZone: 'Mars/Olympus' } }, message: 'invalid campaign c.json: trigger.timeZone: an IANA time zone such as Europe/Berlin' },
    { label: 'content without MJML', json: { ...minimal, content: { subject: 's', text: 't' } }, message: 'invalid campaign c.json: content.mjml: Invalid input: expected string, received undefined' },
    { label: 'HTML instead of an MJML file', json: { ...minimal, content: { ...content, mjml: '<mjml></mjml>' } }, message: 'invalid campaign c.json: content.mjml: a file name ending in .mjml, next to the campaign file' },
    { label: 'an e-mail campaign without content', json: { name: 'x', segments: ['s'], trigger: { type: 'enter' } }, message: 'invalid campaign c.json: content: an e-mail campaign needs content' },
    { label: 'an audience export with content', json: { ...minimal, channel: 'audience' }, message: 'invalid campaign c.json: content: an audience export sends no e-mail; remove content' },
    { label: 'a lower-case code', json: { ...minimal, offer: { type: 'code', code: 'save10', description: 'd' } }, message: 'invalid campaign c.json: offer.code: upper-case letters, digits and dashes' },
    { label: 'a code for a segment not targeted', json: { ...minimal, offer: { type: 'code', code: 'SAVE10', bySegment: { vip: 'VIP' }, description: 'd' } }, message: "invalid campaign c.json: offer.bySegment.vip: vip is not one of the campaign's segments" },
    { label: 'a holdout above half', json: { ...minimal, holdout: 0.6 }, message: 'invalid campaign c.json: holdout: Too big: expected number to be <=0.5' },
    { label: 'a send window ending before it starts', json: { ...minimal, timing: { sendWindow: { startHour: 20, endHour: 9 } } }, message: 'invalid campaign c.json: timing.sendWindow: startHour must be before endHour' },
    { label: 'an unknown key', json: { ...minimal, sendAt: 'now' }, message: 'invalid campaign c.json: (root): Unrecognized key: "sendAt"' },
  ])('refuses $label, saying where', ({ json, message }) => {
    // Act
    const parse = (): Campaign => parseCampaign(json, 'c.json');

    // Assess
    expect(parse).toThrow(InputError);
    expect(parse).toThrow(message);
  });

  it('refuses two campaigns with one name', () => {
    expect(() => parseCampaigns([{ json: minimal, source: 'a.json' }, { json: minimal, source: 'b.json' }])).toThrow('campaign name spring is used by both a.json and b.json');
  });
});

describe('the bundled campaign set', () => {
  const bundled = readCampaignDir(DEFAULT_CAMPAIGN_DIR);
  const bySegment = (segment: string) => bundled.filter((c) => c.segments.includes(segment));

  it.each([
    { segment: 'new', campaigns: ['welcome', 'welcome-picks'], offer: 'none' },
    { segment: 'first-time-buyers', campaigns: ['second-purchase'], offer: 'code' },
    { segment: 'vip', campaigns: ['vip-early-access'], offer: 'none' },
    { segment: 'lapsed', campaigns: ['win-back'], offer: 'code' },
    { segment: 'churn-risk', campaigns: ['save-offer'], offer: 'code' },
    { segment: 'discount-abusers', campaigns: ['full-price-picks'], offer: 'none' },
    { segment: 'charmed', campaigns: ['thank-you'], offer: 'none' },
  ])('speaks to $segment with $campaigns (offer: $offer)', ({ segment, campaigns, offer }) => {
    expect(bySegment(segment).map((c) => c.name).sort()).toEqual(campaigns);
    for (const c of bySegment(segment)) expect(c.offer.type).toBe(offer);
  });

  it('makes the welcome series two steps, three days apart', () => {
    const steps = bySegment('new').map((c) => (c.trigger.type === 'enter' ? c.trigger.delayDays : -1)).sort();
    expect(steps).toEqual([0, 3]);
  });

  it('orders campaigns by priority, then name', () => {
    expect([...bundled].sort(byPriority).map((c) => c.name)).toEqual([
      'vip-early-access', 'save-offer', 'second-purchase', 'win-back', 'welcome', 'welcome-picks', 'thank-you', 'full-price-picks',
    ]);
  });

  it('names each SES template after its campaign', () => {
    expect(bundled.map(templateName)).toContain('strata-second-purchase');
  });
});
