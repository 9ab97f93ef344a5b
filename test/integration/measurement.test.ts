import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SendEmailCommand } from '@aws-sdk/client-sesv2';
import { chromium } from 'playwright-core';
import { runDemo, type DemoResult } from '../../bin/commands/demo.ts';
import { explainCustomer } from '../../bin/commands/explain.ts';
import { deliverSesEvents, simulateSesEvents, type StoredMail } from '../../functions/local/ses-events.ts';
import { writeReport } from '../../bin/commands/report.ts';
import type { LocalStack } from '../../functions/local/local-stack.ts';
import { dynamoDocumentClient, s3Client, sesClient } from '../../functions/adapters/aws-clients.ts';
import { dynamoCustomerStore } from '../../functions/adapters/customer-store.ts';
import { dynamoFeedbackStore } from '../../functions/adapters/feedback-store.ts';
import { sesMailer } from '../../functions/adapters/mailer.ts';
import { s3ObjectStore } from '../../functions/adapters/object-store.ts';
import { emailHash } from '../../functions/core/privacy.ts';
import { templateName } from '../../functions/core/campaign.ts';
import type { BatchOutcome } from '../../functions/feedback/process-feedback.ts';
import type { CampaignRunSummary } from '../../functions/campaign-dispatch/run-campaigns.ts';
import { dynamoCampaignStore } from '../../functions/adapters/campaign-store.ts';
import { PROJECT_ROOT } from '../../lib/project-root.ts';

const CHROMIUM = '/usr/bin/chromium';
const AS_OF = new Date('1998-07-01T00:00:00.000Z');
const SIM = 'simulator.amazonses.com';
const FROM = 'marketing@example.com';

describe('feedback and measurement on the embedded stack', () => {
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-measure-'));
  const reportFile = path.join(stateDir, 'report.html');
  let result: DemoResult;
  let stack: LocalStack;
  const customers = () => dynamoCustomerStore(dynamoDocumentClient(), stack.tableName);
  const feedback = () => dynamoFeedbackStore(dynamoDocumentClient(), stack.tableName);

  const ledger = () => dynamoCampaignStore(dynamoDocumentClient(), stack.tableName);

  /** Records a send in the ledger as dispatch does (claim, then SENT with the message id). */
  async function record(customerId: string, campaign: string, messageId: string | undefined): Promise<void> {
    expect(await ledger().claim({ customerId, campaign, status: 'CLAIMED', marketing: true }, AS_OF)).toBe(true);
    await ledger().write([{ customerId, campaign, status: 'SENT', marketing: true, claimedAt: AS_OF.toISOString(), sentAt: AS_OF.toISOString(), ...(messageId === undefined ? {} : { messageId }) }]);
  }

  /** Mails one address through SES like dispatch does, ledger included, for a made-up customer. */
  async function sendTo(customerId: string, address: string, campaign = 'feedback-paths'): Promise<string> {
    const [sent] = await sesMailer(sesClient()).sendBulk({
      from: FROM,
      templateName: templateName({ name: 'second-purchase' }),
      entries: [{ customerId, email: address, templateData: '{}', headers: [] }],
    });
    await record(customerId, campaign, sent!.messageId);
    return sent!.messageId!;
  }
  const totalSent = () => result.campaigns.reduce((n, c) => n + c.sent, 0);

  /** Everything the handlers log, at DEBUG, while the whole pipeline and these tests run. */
  const logged: string[] = [];
  const restoreOutput = [process.stdout, process.stderr].map((stream) => {
    const write = stream.write;
    stream.write = ((chunk: string | Uint8Array) => {
      logged.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf-8'));
      return true;
    }) as typeof stream.write;
    return () => (stream.write = write);
  });

  beforeAll(async () => {
    ({ result, stack } = await runDemo({ stateDir, quiet: true, reportFile, logLevel: 'DEBUG' }));
  }, 600_000);

  afterAll(async () => {
    for (const restore of restoreOutput) restore();
    await stack?.stop();
    fs.rmSync(stateDir, { recursive: true, force: true });
  });

  it('turns every demo mail into Send and Delivery events, and a share into opens and clicks', () => {
    const { byKind, byStatus, events } = result.feedback;
    expect(byKind.send).toBe(totalSent());
    expect(byKind.delivery).toBe(totalSent());
    expect(byKind.open).toBeGreaterThan(0);
    expect(byKind.click).toBeGreaterThan(0);
    expect(byKind.click).toBeLessThan(byKind.open!);
    expect(byStatus).toEqual({ stored: events });
    expect(result.feedback.paused).toBe(false);
  });

  it('keeps engagement facts on the profile that segments read', async () => {
    const sent = await customers().loadCustomer('1');
    const opener = ['1', '2', '3', '4', '5', '6', '7', '8', '9', '10', '11', '12', '13', '14', '15', '16', '17', '18', '19', '20'];
    let found = false;
    for (const id of opener) {
      const state = await customers().loadCustomer(id);
      const kinds = (state.feedback ?? []).map((f) => f.kind);
      if (!kinds.includes('open')) continue;
      found = true;
      const engagement = (await explainCustomer(stack, id))?.profile?.engagement;
      expect(engagement).toMatchObject({ sends30d: 1, opens30d: kinds.filter((k) => k === 'open').length, lastOpenAt: expect.stringMatching(/^1998-07-0[12]T/) });
      break;
    }
    expect(found).toBe(true);
    expect(sent.profile).toBeDefined();
  });

  it('stores an event once however often it is delivered', async () => {
    const { emails } = (await (await fetch(`${stack.endpoints.ses}/store`)).json()) as { emails: StoredMail[] };
    const events = simulateSesEvents(emails[0]!, { sentAt: AS_OF, configurationSet: 'any' });
    const Records = events.map((e) => ({ messageId: e.id, body: JSON.stringify(e) }));
    const again = await stack.invoke<BatchOutcome>('functions/feedback/handler.ts', { Records });
    expect(again.byStatus).toEqual({ duplicate: events.length });
  });

  it('follows the mailbox simulator: bounce and suppressionlist bounce hard, complaint complains, ooto is delivered; the first three are suppressed at once', async () => {
    const addresses = { bounce: `bounce@${SIM}`, suppressionlist: `suppressionlist@${SIM}`, complaint: `complaint@${SIM}`, ooto: `ooto@${SIM}` };
    for (const [name, address] of Object.entries(addresses)) await sendTo(`sim-${name}`, address);

    const report = await deliverSesEvents(stack, { sentAt: AS_OF });

    expect(report.byKind).toEqual({ send: 4, 'hard-bounce': 2, delivery: 2, complaint: 1 });
    expect(report.suppressed).toBe(3);
    const suppressed = await customers().suppressedHashes(Object.values(addresses).map(emailHash));
    expect(suppressed).toEqual(new Set([addresses.bounce, addresses.suppressionlist, addresses.complaint].map(emailHash)));
    const kinds = async (id: string) => ((await customers().loadCustomer(id)).feedback ?? []).map((f) => `${f.kind}${f.detail ? `:${f.detail}` : ''}`).sort();
    expect(await kinds('sim-bounce')).toEqual(['hard-bounce:Permanent/General', 'send']);
    expect(await kinds('sim-suppressionlist')).toEqual(['hard-bounce:Permanent/Suppressed', 'send']);
    expect(await kinds('sim-complaint')).toEqual(['complaint:abuse', 'delivery', 'send']);
    expect(await kinds('sim-ooto')).toEqual(['delivery', 'send']);
  });

  it('counts a soft bounce without suppressing the address', async () => {
    const messageId = await sendTo('soft-1', `success+soft@${SIM}`);
    const fixture = JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, 'test/fixtures/ses-events/bounce-transient.json'), 'utf-8')) as {
      id: string;
      detail: { mail: { messageId: string } };
    };
    fixture.detail.mail.messageId = messageId;
    const outcome = await stack.invoke<BatchOutcome>('functions/feedback/handler.ts', { Records: [{ messageId: 'soft', body: JSON.stringify({ ...fixture, id: 'soft-bounce-1' }) }] });
    expect(outcome).toMatchObject({ byKind: { 'soft-bounce': 1 }, byStatus: { stored: 1 }, suppressed: 0 });
    expect(await customers().suppressedHashes([emailHash('recipient@example.com'), emailHash(`success+soft@${SIM}`)])).toEqual(new Set());
  });

  it('reports a mail whose template did not render as a Rendering Failure', async () => {
    const { MessageId } = await sesClient().send(
      new SendEmailCommand({
        FromEmailAddress: FROM,
        Destination: { ToAddresses: [`success+render@${SIM}`] },
        Content: { Simple: { Subject: { Data: 'Hello {{firstName}}' }, Body: { Text: { Data: 'Hi {{firstName}}' } } } },
      }),
    );
    await record('render-1', 'feedback-paths', MessageId);
    const report = await deliverSesEvents(stack, { sentAt: AS_OF });
    expect(report.byKind['rendering-failure']).toBe(1);
    expect((await customers().loadCustomer('render-1')).feedback?.map((f) => f.kind)).toEqual(['rendering-failure']);
  });

  it('pauses sending when hard bounces pass 5% of the week\'s sends, and dispatch then sends nothing', async () => {
    expect(await feedback().sendingPaused()).toBe(false);
    const sends = totalSent() + 5; // the demo's and those above (the unrendered mail was never sent)
    const needed = Math.floor(0.05 * sends) - 2 + 5; // past 5% with the two hard bounces so far
    for (let i = 0; i < needed; i++) await sendTo(`guard-${i}`, `bounce+${i}@${SIM}`, 'guard-test');

    const report = await deliverSesEvents(stack, { sentAt: AS_OF });

    expect(report.paused).toBe(true);
    const guard = await feedback().sendingGuard();
    expect(guard?.paused).toBe(true);
    expect(guard?.reasons[0]).toMatch(/^bounce rate \d+\.\d\d% over 7 days passes 5\.00%$/);
    const summaries = await stack.invoke<CampaignRunSummary[]>('functions/campaign-dispatch/send/handler.ts', { trigger: 'schedule' });
    const email = summaries.filter((s) => s.channel === 'email');
    expect(email.length).toBeGreaterThan(0);
    for (const summary of email) expect(summary).toMatchObject({ paused: true, sent: 0, bulkCalls: 0 });
  });

  describe('the HTML report', () => {
    let file: string;
    let key: string;

    beforeAll(async () => {
      ({ file, key } = await writeReport(stack, { out: reportFile, asOf: AS_OF, now: new Date() }));
    }, 120_000);

    it('is written by the demo, locally and to reports/<date>.html in the bucket', async () => {
      expect(result.report).toBe(reportFile);
      expect(key).toBe('reports/1998-07-01.html');
      const stored = await s3ObjectStore(s3Client(), stack.bucketName).readText(key);
      expect(stored).toBe(fs.readFileSync(file, 'utf-8'));
    });

    it('is self-contained and pairs every chart with an accessible table', () => {
      const html = fs.readFileSync(file, 'utf-8');
      expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href=|@import/);
      const charts = html.match(/data-chart role="img"/g)?.length ?? 0;
      expect(charts).toBe(9);
      expect(html.match(/<caption>/g)?.length).toBe(charts);
      expect(html).not.toMatch(/<th>/); // every header cell has a scope
      expect(html).toContain('Sending is <strong>paused</strong>');
    });

    it('renders every chart in headless Chromium without console errors', async () => {
      if (!fs.existsSync(CHROMIUM)) {
        throw new Error(`no browser at ${CHROMIUM}: install Debian's chromium (apt-get install -y chromium), as .ci/run does`);
      }
      const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox'] });
      try {
        const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
        const errors: string[] = [];
        page.on('console', (m) => {
          if (m.type() === 'error') errors.push(m.text());
        });
        page.on('pageerror', (e) => errors.push(e.message));
        await page.goto(`file://${file}`);
        const charts = await page.$$eval('[data-chart]', (elements) =>
          elements.map((e) => ({ id: e.id, shapes: e.querySelectorAll('svg path, svg rect, svg text').length, width: e.getBoundingClientRect().width })),
        );
        expect(charts).toHaveLength(9);
        for (const chart of charts) {
          expect(chart.shapes, chart.id).toBeGreaterThan(5);
          expect(chart.width, chart.id).toBeGreaterThan(100);
        }
        const tables = await page.$$eval('table', (ts) => ts.map((t) => ({ caption: t.querySelector('caption')?.textContent ?? '', unscoped: t.querySelectorAll('th:not([scope])').length })));
        expect(tables.every((t) => t.caption.length > 0 && t.unscoped === 0)).toBe(true);
        fs.mkdirSync(path.join(PROJECT_ROOT, 'out'), { recursive: true });
        await page.screenshot({ path: path.join(PROJECT_ROOT, 'out', 'report.png'), fullPage: true });
        expect(errors).toEqual([]);
      } finally {
        await browser.close();
      }
    });
  });
  it('logs no customer e-mail address or name, even at DEBUG', () => {
    const lines = logged.join('').split('\n').filter((l) => l.startsWith('{') && l.includes('"level"'));
    expect(lines.length).toBeGreaterThan(20);
    const addresses = lines.flatMap((l) => l.match(/[\w.+-]+@[\w-]+(\.[\w-]+)+/g) ?? []).filter((a) => a !== FROM);
    expect(addresses).toEqual([]);
    const customersCsv = fs.readFileSync(path.join(PROJECT_ROOT, 'examples', 'customers', 'customers.csv'), 'utf-8').trim().split('\n').slice(1);
    const names = new Set(customersCsv.map((row) => row.split(',')[2] ?? '').filter((n) => n.length > 0));
    expect(names.size).toBeGreaterThan(10);
    const named = lines.filter((l) => [...names].some((name) => new RegExp(`\\b${name}\\b`).test(l)));
    expect(named).toEqual([]);
  });
});
