import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GetEmailTemplateCommand } from '@aws-sdk/client-sesv2';
import { sesClient } from '../../functions/adapters/aws-clients.ts';
import type { CampaignRunSummary } from '../../functions/campaign-dispatch/run-campaigns.ts';
import { readCampaignDir } from '../../functions/commons/campaign-catalog.ts';
import { startLocalStack, type LocalStack } from '../../functions/local/local-stack.ts';
import { addCampaign, campaignRecipients, listCampaigns, pauseCampaign, readCampaignFile, resumeCampaign, showCampaign, testCampaign } from '../../bin/commands/campaigns.ts';
import { DEFAULT_CAMPAIGN_DIR } from '../../lib/campaigns.ts';
import { describeTarget, type StackTarget } from '../../bin/commands/target.ts';

interface StoredEmail {
  destination: { to: string[] };
  subject: string;
  headers?: { name: string; value: string }[];
}

const CUSTOMERS = [
  'customer_id,email,first_name,country,timezone,consent',
  '1,success+r1@simulator.amazonses.com,Ada,US,America/Chicago,yes',
  '2,success+r2@simulator.amazonses.com,Bo,GB,Europe/London,yes',
  '3,success+r3@simulator.amazonses.com,Cy,US,America/New_York,no',
  '4,success+r4@simulator.amazonses.com,Di,US,America/Denver,yes',
].join('\n');
const ORDERS = ['customer_id,date,amount', '1,1998-05-01,10.00', '2,1998-05-02,12.00', '3,1998-05-03,9.00', '4,1998-05-04,20.00'].join('\n');
const SEND_AT = '1998-07-01T16:00:00Z';
const DISPATCH = 'functions/campaign-dispatch/send/handler.ts';

/** A broadcast to first-time buyers written as an operator would: a JSON file with its MJML beside it. */
function writeCampaign(dir: string, subject: string, overrides: Record<string, unknown> = {}): string {
  const base = JSON.parse(fs.readFileSync(path.join(DEFAULT_CAMPAIGN_DIR, 'second-purchase.json'), 'utf-8')) as { content: Record<string, unknown> };
  const definition = {
    ...base,
    name: 'summer-sale',
    description: 'one-off broadcast added at run time',
    trigger: { type: 'broadcast', cron: '0 9 ? * TUE *', timeZone: 'UTC' },
    holdout: 0,
    timing: { sendWindow: { startHour: 0, endHour: 24 }, bestHour: false },
    content: { ...base.content, subject, mjml: 'summer-sale.mjml' },
    ...overrides,
  };
  fs.copyFileSync(path.join(DEFAULT_CAMPAIGN_DIR, 'second-purchase.mjml'), path.join(dir, 'summer-sale.mjml'));
  const file = path.join(dir, 'summer-sale.json');
  fs.writeFileSync(file, JSON.stringify(definition, null, 2));
  return file;
}

describe('campaigns as runtime data on the embedded stack', () => {
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-campaigns-runtime-'));
  const files = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-campaign-files-'));
  let stack: LocalStack;
  // The campaign commands reach the stack through its outputs, as they reach a deployed one.
  let target: StackTarget;

  const mailbox = async () => ((await (await fetch(`${stack.endpoints.ses}/store`)).json()) as { emails: StoredEmail[] }).emails;
  const broadcast = async () => (await stack.invoke<CampaignRunSummary[]>(DISPATCH, { trigger: 'schedule', campaigns: ['summer-sale'], asOf: SEND_AT }))[0];
  const storedSubject = async () => (await sesClient().send(new GetEmailTemplateCommand({ TemplateName: 'strata-summer-sale' }))).TemplateContent?.Subject;

  beforeAll(async () => {
    stack = await startLocalStack({ stateDir, asOf: '1998-07-01' });
    await stack.upload('incoming/customers/c.csv', CUSTOMERS);
    await stack.settled();
    await stack.upload('incoming/orders/o.csv', ORDERS);
    await stack.settled();
    target = await describeTarget(stack.stackName, { embedded: true });
  }, 240_000);

  afterAll(async () => {
    await stack?.stop();
    fs.rmSync(stateDir, { recursive: true, force: true });
    fs.rmSync(files, { recursive: true, force: true });
  });

  it('starts with the bundled set seeded into config/campaigns/ by the seed function, all active', async () => {
    const bundled = readCampaignDir(DEFAULT_CAMPAIGN_DIR).map((c) => c.name).sort();
    const listed = await listCampaigns(target);
    expect(listed.map((c) => c.name)).toEqual(bundled);
    expect(listed.every((c) => c.status === 'active')).toBe(true);
  });

  it('adds a campaign, compiled from its MJML, that the next run sends without a deploy', async () => {
    const added = await addCampaign(target, readCampaignFile(writeCampaign(files, 'Summer sale, first edition')));
    expect(added).toMatchObject({ name: 'summer-sale', replaced: false });
    expect((await showCampaign(target, 'summer-sale')).template?.html).toMatch(/^<!doctype html>/i);
    expect((await listCampaigns(target)).find((c) => c.name === 'summer-sale')).toMatchObject({ status: 'active', trigger: { type: 'broadcast' } });
  });

  it('skips a paused campaign at the next run, and sends it once resumed', async () => {
    // Act: paused
    await pauseCampaign(target, 'summer-sale', new Date());
    const paused = await broadcast();

    // Assess
    expect(paused).toMatchObject({ campaign: 'summer-sale', skipped: 'paused', sent: 0 });
    expect((await mailbox()).filter((m) => m.subject.startsWith('Summer sale'))).toEqual([]);

    // Act: resumed
    await resumeCampaign(target, 'summer-sale');
    const resumed = await broadcast();

    // Assess: 3 refused consent, the three others get it.
    expect(resumed).toMatchObject({ campaign: 'summer-sale', candidates: 4, sent: 3, suppressed: 1 });
    expect(resumed?.skipped).toBeUndefined();
    const sent = (await mailbox()).filter((m) => m.subject === 'Summer sale, first edition');
    expect(sent.flatMap((m) => m.destination.to).sort()).toEqual(['1', '2', '4'].map((id) => `success+r${id}@simulator.amazonses.com`));
    expect(await storedSubject()).toBe('Summer sale, first edition');
  }, 120_000);

  it('updates the SES template from an edited definition at the next run, without a rebuild', async () => {
    await addCampaign(target, readCampaignFile(writeCampaign(files, 'Summer sale, second edition')));
    expect(await storedSubject()).toBe('Summer sale, first edition');
    await broadcast();
    expect(await storedSubject()).toBe('Summer sale, second edition');
  }, 120_000);

  it('refuses a bad definition with its reason, and the one in force stays in force', async () => {
    // The schema refuses it as the file is read, before anything reaches the stack.
    expect(() => readCampaignFile(writeCampaign(files, 'Broken', { segments: [] }))).toThrow(/invalid campaign summer-sale\.json: segments/);
    await expect(addCampaign(target, readCampaignFile(writeCampaign(files, 'Nobody', { segments: ['no-such-segment'] })))).rejects.toThrow(/unknown segment\(s\) no-such-segment/);
    expect((await showCampaign(target, 'summer-sale')).campaign.content?.subject).toBe('Summer sale, second edition');
  });

  it('skips a hand-uploaded bad definition at run time with its reason, and still runs the others', async () => {
    await stack.upload('config/campaigns/broken.json', '{ "name": "broken" ');
    const summaries = await stack.invoke<CampaignRunSummary[]>(DISPATCH, { trigger: 'schedule', asOf: SEND_AT });
    expect(summaries.find((s) => s.campaign === 'broken')?.skipped).toMatch(/^definition refused: not valid JSON/);
    expect(summaries.filter((s) => s.skipped === undefined).map((s) => s.campaign)).toContain('summer-sale');
    expect((await listCampaigns(target)).find((c) => c.name === 'broken')).toMatchObject({ status: 'refused' });
  }, 120_000);

  it('sends a test to one address, marked as a test, outside the ledger', async () => {
    const before = await campaignRecipients(target, 'summer-sale');
    const sent = await testCampaign(target, 'summer-sale', 'me@example.com');
    expect(sent.messageId).toBeDefined();
    const [test] = (await mailbox()).filter((m) => m.destination.to.includes('me@example.com'));
    expect(test?.subject).toBe('[TEST] Summer sale, second edition');
    expect(test?.headers?.find((h) => h.name.toLowerCase() === 'x-strata-test')?.value).toBe('true');
    expect(await campaignRecipients(target, 'summer-sale')).toEqual(before);
  });

  it('lists every customer the campaign decided about, with the decision and why', async () => {
    const rows = await campaignRecipients(target, 'summer-sale');
    expect(rows.map((r) => [r.customerId, r.decision])).toEqual([['1', 'sent'], ['2', 'sent'], ['3', 'suppressed'], ['4', 'sent']]);
    expect(rows.find((r) => r.customerId === '3')?.why).toMatch(/no consent/);
    expect(rows.find((r) => r.customerId === '1')?.messageId).toBeDefined();
  });
});
