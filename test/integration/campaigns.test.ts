import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestRenderEmailTemplateCommand } from '@aws-sdk/client-sesv2';
import { startLocalStack, type LocalStack } from '../../functions/local/local-stack.ts';
import { dynamoDocumentClient, s3Client, sesClient } from '../../functions/adapters/aws-clients.ts';
import { dynamoCampaignStore } from '../../functions/adapters/campaign-store.ts';
import { s3ObjectStore } from '../../functions/adapters/object-store.ts';
import { templateName } from '../../functions/core/campaign.ts';
import { sesEmailTemplates } from '../../functions/adapters/email-templates.ts';
import { syncTemplate, templateContent } from '../../functions/commons/campaign-catalog.ts';
import { templateData, type RecipientProfile } from '../../functions/core/campaign-content.ts';
import { inHoldout } from '../../functions/core/send-decision.ts';
import { unsubscribeUrl, type UnsubscribeClaim } from '../../functions/core/unsubscribe-token.ts';
import { customerIdHash, emailHash } from '../../functions/core/privacy.ts';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { createHash, createHmac } from 'node:crypto';
import type { CampaignRunSummary } from '../../functions/campaign-dispatch/run-campaigns.ts';
import { exportSegmentAudience } from '../../bin/commands/audience.ts';
import { loadCampaigns } from '../../lib/campaigns.ts';
import { PROJECT_ROOT } from '../../lib/project-root.ts';

/** The token of the unsubscribe link a mail carries for this claim. */
const tokenOf = (claim: UnsubscribeClaim, key: string): string => new URL(unsubscribeUrl('https://u.example.com/', claim, key)).searchParams.get('t') ?? '';

interface StoredEmail {
  destination: { to: string[] };
  subject: string;
  body: { html?: string; text?: string };
  headers?: { name: string; value: string }[];
}

/** The profile shapes segments produce: from everything known down to an address and nothing else. */
const SHAPES: Record<string, RecipientProfile> = {
  'full profile': {
    customerId: '1',
    contact: { email: 'ada@example.com', firstName: 'Ada', city: 'Leeds', country: 'GB', timezone: 'Europe/London', consent: true },
    orders: { orders: 7, lastOrderAt: '1998-03-02T00:00:00.000Z', categoryMix: { jazz: 0.6, rock: 0.4 } },
  },
  'address only': { customerId: '2', contact: { email: 'bob@example.com' } },
  'orders without a contact name': { customerId: '3', contact: { email: 'c@example.com' }, orders: { orders: 1, lastOrderAt: '1997-01-01T00:00:00.000Z' } },
  'unknown categories': { customerId: '4', contact: { email: 'd@example.com', firstName: 'Dev' }, orders: { orders: 2, categoryMix: { polka: 1 } } },
  'markup in the name': { customerId: '5', contact: { email: 'e@example.com', firstName: '<b>Zoë</b> & co' } },
};

const CUSTOMERS = [
  'customer_id,email,first_name,country,timezone,consent',
  '1,success+c1@simulator.amazonses.com,Ada,US,America/Chicago,yes',
  '2,success+c2@simulator.amazonses.com,,GB,Europe/London,yes',
  '3,success+c3@simulator.amazonses.com,Cy,US,America/New_York,no',
  '4,success+c4@simulator.amazonses.com,Kenji,JP,Asia/Tokyo,yes',
  '5,success+c5@simulator.amazonses.com,Two,US,America/Chicago,yes',
  '6,success+c6@simulator.amazonses.com,Noa,,,yes',
  '7,success+c7@simulator.amazonses.com,Sev,US,America/Denver,yes',
  '8,success+c8@simulator.amazonses.com,Ate,US,America/Denver,yes',
].join('\n');
const ORDERS = ['customer_id,date,amount', '1,1998-05-01,10.00', '2,1998-05-02,12.00', '3,1998-05-03,9.00', '4,1998-05-04,20.00',
  '5,1998-05-01,5.00', '5,1998-06-01,6.00', '6,1998-05-05,7.00', '7,1998-05-06,8.00', '8,1998-05-07,8.00'].join('\n');
const SEND_AT = '1998-07-01T16:00:00Z';

/** The text and HTML parts of the MIME message TestRenderEmailTemplate returns, transfer encoding undone. */
function mimeParts(mime: string): { text: string; html: string } {
  const decode = (part: string) => {
    const [head = '', ...rest] = part.replace(/^\r?\n/, '').split(/\r\n\r\n/);
    const body = rest.join('\r\n\r\n').replace(/\r\n$/, '');
    if (/Content-Transfer-Encoding: base64/i.test(head)) return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf-8');
    if (/Content-Transfer-Encoding: quoted-printable/i.test(head)) {
      const joined = body.replace(/=\r?\n/g, '');
      const bytes: number[] = [];
      for (let i = 0; i < joined.length; i++) {
        const hex = joined[i] === '=' ? /^[0-9A-F]{2}/.exec(joined.slice(i + 1, i + 3)) : null;
        if (hex) { bytes.push(parseInt(hex[0], 16)); i += 2; } else bytes.push(...Buffer.from(joined[i] ?? '', 'utf-8'));
      }
      return Buffer.from(bytes).toString('utf-8');
    }
    return body;
  };
  const boundary = /boundary="([^"]+)"/.exec(mime)?.[1] ?? '';
  const parts = mime.split(`--${boundary}`);
  return {
    text: decode(parts.find((p) => /Content-Type: text\/plain/i.test(p)) ?? ''),
    html: decode(parts.find((p) => /Content-Type: text\/html/i.test(p)) ?? ''),
  };
}

describe('campaigns on the embedded stack', () => {
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-campaigns-'));
  const campaigns = loadCampaigns().map((c) => c.campaign);
  const secondPurchase = campaigns.find((c) => c.name === 'second-purchase')!;
  let stack: LocalStack;
  let first: CampaignRunSummary | undefined;
  let mail: StoredEmail[];

  const mailbox = async () => ((await (await fetch(`${stack.endpoints.ses}/store`)).json()) as { emails: StoredEmail[] }).emails;
  const key = () => fs.readFileSync(path.join(stateDir, 'unsubscribe-signing-key'), 'utf-8').trim();
  const suppressed = async (email: string) => (await dynamoCampaignStore(dynamoDocumentClient(), stack.tableName).suppressedHashes([emailHash(email)])).size === 1;
  const entryOf = async (pk: string) => (await dynamoDocumentClient().send(new GetCommand({ TableName: stack.tableName, Key: { pk, sk: 'SUPPRESS' } }))).Item;
  const c2 = emailHash('success+c2@simulator.amazonses.com');
  /** A link minted before tokens carried the address hash: correctly signed, three fields. */
  const legacyToken = (customerId: string) => {
    const payload = Buffer.from(JSON.stringify([customerId, 'second-purchase', 4_000_000_000])).toString('base64url');
    return `${payload}.${createHmac('sha256', key()).update(payload).digest('base64url')}`;
  };
  const linkOf = (email: StoredEmail) => /^<(.+)>$/.exec(email.headers?.find((h) => h.name === 'List-Unsubscribe')?.value ?? '')?.[1] ?? '';

  beforeAll(async () => {
    stack = await startLocalStack({ stateDir, asOf: '1998-07-01' });
    await stack.upload('incoming/customers/c.csv', CUSTOMERS);
    await stack.settled();
    await stack.upload('incoming/orders/o.csv', ORDERS);
    await stack.settled();
    [first] = await stack.invoke<CampaignRunSummary[]>('functions/campaign-dispatch/send/handler.ts', { trigger: 'transitions', campaigns: ['second-purchase'], asOf: SEND_AT });
    mail = await mailbox();
  }, 240_000);

  afterAll(async () => {
    await stack?.stop();
    fs.rmSync(stateDir, { recursive: true, force: true });
  });

  it.each(Object.keys(SHAPES))('renders every bundled template with TestRenderEmailTemplate for a %s', async (shape) => {
    const profile = SHAPES[shape]!;
    const objects = s3ObjectStore(s3Client(), stack.bucketName);
    for (const campaign of campaigns.filter((c) => c.content !== undefined)) {
      // The template as a run makes it from the seeded definition and HTML in the bucket.
      const content = await templateContent(objects, campaign);
      if (typeof content === 'string') throw new Error(content);
      await syncTemplate(sesEmailTemplates(sesClient()), campaign, content);
      const data = templateData(campaign, profile, campaign.segments[0], 'https://unsubscribe.example.com/?t=x');
      const { RenderedTemplate } = await sesClient().send(new TestRenderEmailTemplateCommand({ TemplateName: templateName(campaign), TemplateData: JSON.stringify(data) }));
      const { text, html } = mimeParts(RenderedTemplate ?? '');
      const greeting = data.firstName === '' ? 'Hi there,' : `Hi ${data.firstName},`;
      for (const [part, body] of [['text', text], ['html', html]] as const) {
        const where = `${campaign.name} (${part})`;
        expect(body, where).toContain(greeting);
        expect(body, where).not.toMatch(/\{\{|Hi ,|<b>Zo|undefined|\[object Object\]/);
        expect(body, where).toContain('https://unsubscribe.example.com/?t=x');
        if (data.hasOffer) expect(body, where).toContain(data.offerCode);
        for (const product of data.products) expect(body, where).toContain(product.title);
      }
    }
  });

  it('sends second-purchase to consenting first-time buyers in their window, holding out and deferring the rest', () => {
    // 5 bought twice, 3 refused consent, 4 lives in Tokyo (01:00 there); the holdout is the hashed share.
    const eligible = ['1', '2', '6', '7', '8', '4'];
    const held = eligible.filter((id) => inHoldout(secondPurchase, id));
    const deferred = ['4'].filter((id) => !held.includes(id));
    expect(first).toMatchObject({ candidates: 7, suppressed: 1, holdout: held.length, deferred: deferred.length, sent: eligible.length - held.length - deferred.length, bulkCalls: 1 });
    expect(mail.flatMap((m) => m.destination.to).sort()).toEqual(
      eligible.filter((id) => !held.includes(id) && !deferred.includes(id)).map((id) => `success+c${id}@simulator.amazonses.com`).sort(),
    );
  });

  it('tailors each message and gives it its own one-click unsubscribe headers (RFC 8058)', () => {
    for (const email of mail) {
      expect(email.subject).toMatch(/^(\w+, your second CD is 15% off|Your second CD is 15% off)$/);
      expect(email.body.text).toContain('SECOND15');
      expect(email.headers?.find((h) => h.name === 'List-Unsubscribe-Post')?.value).toBe('List-Unsubscribe=One-Click');
      expect(linkOf(email)).toMatch(new RegExp(`^${stack.endpoints.unsubscribe}\\?t=`));
      expect(email.body.html).toContain(linkOf(email));
      expect(email.body.text).toContain(linkOf(email));
    }
    expect(new Set(mail.map(linkOf)).size).toBe(mail.length);
  });

  it('GET shows a confirmation page and changes nothing; POST unsubscribes at once', async () => {
    const email = mail[0]!;
    const address = email.destination.to[0]!;
    const link = linkOf(email);

    const get = await fetch(link);
    expect(get.status).toBe(200);
    expect(await get.text()).toMatch(/<form method="post"[^>]*>.*<button type="submit"/s);
    expect(await suppressed(address)).toBe(false);

    const post = await fetch(link, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'List-Unsubscribe=One-Click' });
    expect(post.status).toBe(200);
    expect(await post.text()).toContain('You are unsubscribed');
    expect(await suppressed(address)).toBe(true);
    const customerId = /^success\+c(\d+)@/.exec(address)?.[1] ?? '';
    expect(await entryOf(`SUPPRESS#ID#${customerIdHash(customerId)}`)).toMatchObject({ reason: 'unsubscribed' });
  });

  it('keeps an erased customer\'s entries "erased" when an old link of theirs is used', async () => {
    const token = tokenOf({ customerId: 'erased-1', campaign: 'second-purchase', expiresAt: 4_000_000_000, emailHash: emailHash('gone@example.com') }, key());
    for (const pk of [`SUPPRESS#${emailHash('gone@example.com')}`, `SUPPRESS#ID#${customerIdHash('erased-1')}`]) {
      await dynamoDocumentClient().send(new PutCommand({ TableName: stack.tableName, Item: { pk, sk: 'SUPPRESS', reason: 'erased', at: '1998-01-01T00:00:00.000Z' } }));
    }
    const post = await fetch(`${stack.endpoints.unsubscribe}?t=${encodeURIComponent(token)}`, { method: 'POST' });
    expect(post.status).toBe(200);
    expect(await entryOf(`SUPPRESS#${emailHash('gone@example.com')}`)).toMatchObject({ reason: 'erased' });
    expect(await entryOf(`SUPPRESS#ID#${customerIdHash('erased-1')}`)).toMatchObject({ reason: 'erased' });
  });

  it.each([
    { label: 'a forged token', token: () => tokenOf({ customerId: '2', campaign: 'second-purchase', expiresAt: 4_000_000_000, emailHash: c2 }, 'not-the-key'), status: 403 },
    { label: 'an expired token', token: () => tokenOf({ customerId: '2', campaign: 'second-purchase', expiresAt: 1_000_000_000, emailHash: c2 }, key()), status: 410 },
    { label: 'a token minted before links carried the address hash', token: () => legacyToken('2'), status: 410 },
    { label: 'no token', token: () => '', status: 400 },
    { label: 'a 6 KB token of garbage', token: () => 'A'.repeat(6_000), status: 403 },
    { label: 'an injection string', token: () => `' OR 1=1; --<script>alert(1)</script>{{constructor}}`, status: 403 },
    { label: 'a valid signature on a tampered claim', token: () => tokenOf({ customerId: '2', campaign: 'second-purchase', expiresAt: 4_000_000_000, emailHash: c2 }, key()).replace(/^[^.]+/, (claim) => claim.slice(0, -2) + 'xx'), status: 403 },
  ])('answers $label with $status and unsubscribes no one', async ({ token, status }) => {
    for (const method of ['GET', 'POST']) {
      const response = await fetch(`${stack.endpoints.unsubscribe}?t=${encodeURIComponent(token())}`, { method });
      expect(response.status).toBe(status);
    }
    expect(await suppressed('success+c2@simulator.amazonses.com')).toBe(false);
    expect(await entryOf(`SUPPRESS#ID#${customerIdHash('2')}`)).toBeUndefined();
  });

  it('sends the deferred customer once their morning comes, and never the unsubscribed one again', async () => {
    const unsubscribed = mail[0]!.destination.to[0]!;
    const before = (await mailbox()).length;
    const sweep = await stack.invoke<CampaignRunSummary[]>('functions/campaign-dispatch/send/handler.ts', { trigger: 'schedule', asOf: '1998-07-02T01:00:00Z' });
    const expected = inHoldout(secondPurchase, '4') ? 0 : 1;
    expect(sweep.find((s) => s.campaign === 'second-purchase')).toMatchObject({ sent: expected, resumed: expected });
    const all = await stack.invoke<CampaignRunSummary[]>('functions/campaign-dispatch/send/handler.ts', { trigger: 'transitions', since: '1998-01-01', asOf: '1998-07-02T01:00:00Z' });
    const after = await mailbox();
    expect(after.length - before).toBe(expected);
    expect(after.slice(before).flatMap((m) => m.destination.to)).toEqual(expected ? ['success+c4@simulator.amazonses.com'] : []);
    expect(after.filter((m) => m.destination.to.includes(unsubscribed))).toHaveLength(1);
    expect(all.find((s) => s.campaign === 'second-purchase')).toMatchObject({ sent: 0 });
  });

  it('exports the segment as hashed customer-match files for Google and Meta', async () => {
    const result = await exportSegmentAudience(stack, 'first-time-buyers', new Date('1998-07-02T00:00:00Z'));
    const unsubscribed = mail[0]!.destination.to[0]!;
    const expected = ['1', '2', '4', '6', '7', '8'].map((id) => `success+c${id}@simulator.amazonses.com`).filter((e) => e !== unsubscribed);
    expect(result).toMatchObject({ segment: 'first-time-buyers', members: 7, excluded: 7 - expected.length });
    const csv = await s3ObjectStore(s3Client(), stack.bucketName).readText('exports/audiences/first-time-buyers/1998-07-02/meta.csv');
    expect(csv?.trim().split('\n')).toEqual(['email', ...expected.map((e) => createHash('sha256').update(e).digest('hex')).sort()]);
    expect(result.files.map((f) => [f.platform, f.rows])).toEqual([['google', expected.length], ['meta', expected.length]]);
  });

  it('exports through the CLI with --json', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [path.join(PROJECT_ROOT, 'bin', 'strata.js'), '--state-dir', stateDir, 'audience', 'export', 'first-time-buyers', '--json'], { cwd: PROJECT_ROOT });
    expect(JSON.parse(stdout)).toMatchObject({ segment: 'first-time-buyers', members: 7, files: [{ platform: 'google', key: expect.stringMatching(/^exports\/audiences\/first-time-buyers\/.*\/google\.csv$/) }, { platform: 'meta' }] });
  }, 180_000);
});
