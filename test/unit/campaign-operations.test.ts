import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { memoryCampaignStore } from '../../functions/adapters/campaign-store.ts';
import { memoryEmailTemplates, memoryRangedStore } from '../../functions/adapters/memory-stores.ts';
import type { SingleMailer, SingleMessage } from '../../functions/adapters/ports/mailer.ts';
import { loadCampaignCatalog, syncTemplate, templateContent } from '../../functions/commons/campaign-catalog.ts';
import { campaignKeys, parseCampaign } from '../../functions/core/campaign.ts';
import { addCampaign, campaignRecipients, listCampaigns, pauseCampaign, resumeCampaign, sendCampaign, showCampaign, testCampaign, type MjmlCompiler } from '../../functions/operations/campaigns.ts';
import { DEFAULT_CAMPAIGN_DIR } from '../../lib/campaigns.ts';

const now = new Date('2024-05-14T15:00:00Z');
const welcomeJson = JSON.parse(fs.readFileSync(path.join(DEFAULT_CAMPAIGN_DIR, 'welcome.json'), 'utf-8')) as { content: { subject: string } } & Record<string, unknown>;
const welcomeMjml = fs.readFileSync(path.join(DEFAULT_CAMPAIGN_DIR, 'welcome.mjml'), 'utf-8');

/** A stand-in for mjml: real compilation is exercised on the local stack; here what matters is what the writer does with the answer. */
const compile: MjmlCompiler = async (mjml) =>
  mjml.includes('<mjml>') ? { html: `<html>${mjml.length}</html>`, errors: [] } : { html: '', errors: ['Line 1: not an <mjml> document'] };

const submission = (json: unknown, mjml: string | null = welcomeMjml) => ({ json, mjml: mjml ?? undefined, source: 'welcome.json' });

describe('writing a campaign', () => {
  it('stores the definition, its MJML and the compiled HTML, and the catalog reads it back as active', async () => {
    // Prepare
    const objects = memoryRangedStore({});

    // Act
    const added = await addCampaign({ objects, compile }, submission(welcomeJson));

    // Assess
    const keys = campaignKeys('welcome');
    expect(added).toEqual({ name: 'welcome', replaced: false, keys });
    expect([...objects.objects.keys()].sort()).toEqual([keys.html, keys.definition, keys.mjml].sort());
    expect(objects.objects.get(keys.html)?.toString()).toBe(`<html>${welcomeMjml.length}</html>`);
    expect(await listCampaigns(objects)).toMatchObject([{ name: 'welcome', status: 'active', paused: false, segments: ['new'], trigger: { type: 'enter' } }]);
  });

  it.each([
    ['a schema error', { ...welcomeJson, trigger: { type: 'sometimes' } }, welcomeMjml, /invalid campaign welcome\.json: trigger/],
    ['an unknown segment', { ...welcomeJson, segments: ['nobody-has-this'] }, welcomeMjml, /unknown segment\(s\) nobody-has-this; segments in force: .*new/],
    ['MJML that does not compile', welcomeJson, 'plain text', /the MJML of campaign welcome does not compile: Line 1: not an <mjml> document/],
    ['missing MJML', welcomeJson, null, /names welcome\.mjml as its MJML, which was not given/],
  ])('refuses %s with the reason and leaves the campaign in force untouched', async (_case, json, mjml, reason) => {
    // Prepare
    const objects = memoryRangedStore({});
    await addCampaign({ objects, compile }, submission(welcomeJson));
    const before = new Map(objects.objects);

    // Act / Assess
    await expect(addCampaign({ objects, compile }, submission(json, mjml))).rejects.toThrow(reason);
    expect(objects.objects).toEqual(before);
    expect((await loadCampaignCatalog(objects)).entries.map((e) => e.campaign.content?.subject)).toEqual([welcomeJson.content.subject]);
  });

  it('replaces a campaign of the same name, and says so', async () => {
    const objects = memoryRangedStore({});
    await addCampaign({ objects, compile }, submission(welcomeJson));
    const edited = { ...welcomeJson, content: { ...welcomeJson.content, subject: 'Hello from the new subject' } };
    expect((await addCampaign({ objects, compile }, submission(edited))).replaced).toBe(true);
    expect((await showCampaign(objects, 'welcome')).preview?.subject).toBe('Hello from the new subject');
  });
});

describe('a hand-uploaded definition at run time', () => {
  it.each([
    ['not JSON', '{ nope', /not valid JSON/],
    ['failing the schema', JSON.stringify({ name: 'broken', segments: [] }), /invalid campaign config\/campaigns\/broken\.json: segments/],
    ['named unlike its file', JSON.stringify({ ...welcomeJson }), /its name is welcome, but the file is broken\.json/],
  ])('is refused when %s, with the reason, and the others stay in force', async (_case, text, reason) => {
    // Prepare
    const objects = memoryRangedStore({});
    await addCampaign({ objects, compile }, submission(welcomeJson));
    await objects.put('config/campaigns/broken.json', text, 'application/json');

    // Act
    const catalog = await loadCampaignCatalog(objects);

    // Assess
    expect(catalog.entries.map((e) => e.campaign.name)).toEqual(['welcome']);
    expect(catalog.refused).toHaveLength(1);
    expect(catalog.refused[0]).toMatchObject({ name: 'broken', key: 'config/campaigns/broken.json' });
    expect(catalog.refused[0]?.reason).toMatch(reason);
    expect((await listCampaigns(objects)).map((c) => [c.name, c.status])).toEqual([['broken', 'refused'], ['welcome', 'active']]);
  });

  it('is refused when an e-mail campaign has no compiled HTML beside it', async () => {
    const objects = memoryRangedStore({ 'config/campaigns/welcome.json': JSON.stringify(welcomeJson), 'config/campaigns/welcome.mjml': welcomeMjml });
    const { refused } = await loadCampaignCatalog(objects);
    expect(refused[0]?.reason).toMatch(/no compiled HTML config\/campaigns\/welcome\.html; write campaigns with strata campaigns add/);
  });
});

describe('pausing', () => {
  it('is a marker beside the definition: the catalog shows it paused, resume removes it, the definition is untouched', async () => {
    const objects = memoryRangedStore({});
    await addCampaign({ objects, compile }, submission(welcomeJson));
    const definition = objects.objects.get(campaignKeys('welcome').definition);

    expect(await pauseCampaign(objects, 'welcome', now)).toEqual({ name: 'welcome', paused: true, alreadyPaused: false });
    expect((await loadCampaignCatalog(objects)).entries.map((e) => [e.campaign.name, e.paused])).toEqual([['welcome', true]]);
    expect(JSON.parse(objects.objects.get(campaignKeys('welcome').paused)?.toString() ?? '{}')).toEqual({ pausedAt: now.toISOString() });
    expect(objects.objects.get(campaignKeys('welcome').definition)).toEqual(definition);

    expect(await resumeCampaign(objects, 'welcome')).toEqual({ name: 'welcome', paused: false, wasPaused: true });
    expect((await loadCampaignCatalog(objects)).entries.map((e) => e.paused)).toEqual([false]);
    expect(objects.objects.has(campaignKeys('welcome').paused)).toBe(false);
  });

  it('refuses an unknown campaign with the names known', async () => {
    const objects = memoryRangedStore({});
    await addCampaign({ objects, compile }, submission(welcomeJson));
    await expect(pauseCampaign(objects, 'welcom', now)).rejects.toThrow('no campaign welcom; known: welcome');
  });
});

describe('the SES template at run time', () => {
  it('is created when missing, updated when the stored content changed, and left alone otherwise', async () => {
    const objects = memoryRangedStore({});
    const templates = memoryEmailTemplates();
    await addCampaign({ objects, compile }, submission(welcomeJson));
    const content = async () => {
      const [entry] = (await loadCampaignCatalog(objects)).entries;
      const c = await templateContent(objects, entry!.campaign);
      if (typeof c === 'string') throw new Error(c);
      return { campaign: entry!.campaign, c };
    };

    const first = await content();
    expect(await syncTemplate(templates, first.campaign, first.c)).toBe('created');
    expect(await syncTemplate(templates, first.campaign, first.c)).toBe('unchanged');
    await addCampaign({ objects, compile }, submission({ ...welcomeJson, content: { ...welcomeJson.content, subject: 'New subject' } }));
    const second = await content();
    expect(await syncTemplate(templates, second.campaign, second.c)).toBe('updated');
    expect(templates.templates.get('strata-welcome')?.subject).toBe('New subject');
    expect(templates.writes).toEqual(['strata-welcome', 'strata-welcome']);
  });
});

describe('test and send', () => {
  it('sends a test once to the address given, marked [TEST] and with its header, rendered from the defaults', async () => {
    const objects = memoryRangedStore({});
    await addCampaign({ objects, compile }, submission(welcomeJson));
    const sent: SingleMessage[] = [];
    const mailer: SingleMailer = { sendOne: async (m) => { sent.push(m); return { messageId: 'm-1' }; } };

    expect(await testCampaign({ objects, mailer, from: 'shop@example.com' }, 'welcome', 'me@example.com')).toEqual({ name: 'welcome', to: 'me@example.com', messageId: 'm-1' });
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ from: 'shop@example.com', to: 'me@example.com', headers: [{ name: 'X-Strata-Test', value: 'true' }] });
    expect(sent[0]?.content.subject).toBe(`[TEST] ${welcomeJson.content.subject}`);
    expect(JSON.parse(sent[0]?.templateData ?? '{}')).toMatchObject({ firstName: '', shopUrl: 'https://shop.example.com/' });
    await expect(testCampaign({ objects, mailer, from: 'shop@example.com' }, 'welcome', 'not-an-address')).rejects.toThrow('not-an-address is not an e-mail address');
  });

  it('runs a broadcast now through the dispatch port, and refuses a paused or non-broadcast campaign', async () => {
    const objects = memoryRangedStore({});
    const broadcast = { ...welcomeJson, name: 'weekly', trigger: { type: 'broadcast', cron: '0 9 ? * TUE *', timeZone: 'UTC' } };
    await addCampaign({ objects, compile }, { json: broadcast, mjml: welcomeMjml, source: 'weekly.json' });
    await addCampaign({ objects, compile }, submission(welcomeJson));
    const events: unknown[] = [];
    const invokeDispatch = async (e: unknown) => { events.push(e); return 'ran'; };

    expect(await sendCampaign({ objects, invokeDispatch }, 'weekly', '1998-07-01')).toBe('ran');
    expect(events).toEqual([{ trigger: 'schedule', campaigns: ['weekly'], asOf: '1998-07-01' }]);
    await expect(sendCampaign({ objects, invokeDispatch }, 'welcome')).rejects.toThrow(/sent when customers enter its segments, not on demand/);
    await pauseCampaign(objects, 'weekly', now);
    await expect(sendCampaign({ objects, invokeDispatch }, 'weekly')).rejects.toThrow('campaign weekly is paused; resume it first');
    expect(events).toHaveLength(1);
  });
});

describe('recipients', () => {
  it('lists every customer decided about, a ledger entry winning over an earlier skip record', async () => {
    // Prepare
    const objects = memoryRangedStore({});
    await addCampaign({ objects, compile }, submission(welcomeJson));
    const store = memoryCampaignStore();
    const campaign = parseCampaign(welcomeJson, 'welcome.json');
    const at = now.toISOString();
    await store.write([
      { customerId: 'a', campaign: 'welcome', status: 'SENT', claimedAt: at, sentAt: at, marketing: true, messageId: 'm-a', segment: 'new' },
      { customerId: 'b', campaign: 'welcome', status: 'HOLDOUT', claimedAt: at, marketing: true },
      { customerId: 'c', campaign: 'welcome', status: 'DEFERRED', claimedAt: at, marketing: true, notBefore: '2024-05-15T07:00:00.000Z', reason: 'quiet-hours' },
      { customerId: 'd', campaign: 'welcome', status: 'DROPPED', claimedAt: at, marketing: true, reason: 'capped' },
      { customerId: 'x', campaign: 'other', status: 'SENT', claimedAt: at, marketing: true },
    ]);
    await store.recordSkips([
      { customerId: 'a', campaign: 'welcome', decision: 'outranked', at: '2024-05-13T15:00:00.000Z' },
      { customerId: 'e', campaign: 'welcome', decision: 'suppressed', at },
      { customerId: 'f', campaign: 'welcome', decision: 'no-address', at },
    ]);

    // Act
    const rows = await campaignRecipients({ objects, decisions: store }, campaign.name);

    // Assess
    expect(rows.map((r) => [r.customerId, r.decision])).toEqual([
      ['a', 'sent'], ['b', 'held out'], ['c', 'deferred'], ['d', 'capped'], ['e', 'suppressed'], ['f', 'no address'],
    ]);
    expect(rows.find((r) => r.customerId === 'b')?.why).toBe('in the control group (10% held out)');
    expect(rows.find((r) => r.customerId === 'c')?.why).toBe('outside the local send window; not before 2024-05-15T07:00:00.000Z');
    expect(rows.find((r) => r.customerId === 'a')).toMatchObject({ messageId: 'm-a', segment: 'new' });
  });
});
