/**
 * npm run bench:dispatch [-- --recipients 100000 --rate 1000 --throttle-every 100 --store-recipients 2000]
 *
 * Dispatch against the SES emulator (aws-ses-v2-local, real HTTP SendBulkEmail), with figures
 * against a baseline measured in the same run:
 *   baseline  bare SendBulkEmail calls of 50, no ledger, no rate limit: what the emulator takes
 *   dispatch  the real run (decisions, claims, SENDING / SENT ledger writes, unsubscribe tokens and
 *             headers, rate limiter at the account's MaxSendRate from GetAccount) over --recipients
 *             customers with the in-memory ledger; every --throttle-every-th call is refused as
 *             throttled before it reaches SES, so the count of calls must be ceil(n/50) + retries
 *   store     the same run on dynalite (conditional claim per customer, ledger queries) for
 *             --store-recipients customers: where the time goes with DynamoDB in the loop
 * Results: bench/results-dispatch.json.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Logger } from '@aws-lambda-powertools/logger';
import { CreateEmailTemplateCommand, SESv2Client } from '@aws-sdk/client-sesv2';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { clearStore, getStoreReadonly, setTemplate } from 'aws-ses-v2-local/dist/store.js';
import { startEmulators } from '../functions/local/emulators.ts';
import { sesMailer } from '../functions/adapters/mailer.ts';
import { BulkSendError, type Mailer } from '../functions/adapters/ports/mailer.ts';
import { dynamoCampaignStore, memoryCampaignStore } from '../functions/adapters/campaign-store.ts';
import type { CampaignStore } from '../functions/adapters/ports/campaigns.ts';
import { dynamoCustomerStore } from '../functions/adapters/customer-store.ts';
import { templateName } from '../functions/core/campaign.ts';
import { chunk } from '../functions/core/collections.ts';
import { createRateLimiter, realClock } from '../functions/campaign-dispatch/rate-limiter.ts';
import { runCampaigns, type CampaignRunSummary } from '../functions/campaign-dispatch/run-campaigns.ts';
import { loadCampaigns } from '../lib/campaigns.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const { values: args } = parseArgs({
  options: {
    recipients: { type: 'string', default: '100000' },
    rate: { type: 'string', default: '1000' },
    'throttle-every': { type: 'string', default: '100' },
    'store-recipients': { type: 'string', default: '2000' },
    baseline: { type: 'string', default: '10000' },
  },
});
const n = Number(args.recipients);
const rate = Number(args.rate);
const throttleEvery = Number(args['throttle-every']);
const storeN = Number(args['store-recipients']);
const baselineN = Number(args.baseline);

const SEND_AT = new Date('2024-05-14T15:00:00Z'); // 10:00 in Chicago, where the bench customers live
const logger = new Logger({ serviceName: 'bench', logLevel: 'SILENT' });
const compiled = loadCampaigns().find((c) => c.campaign.name === 'second-purchase');
const content = compiled?.campaign.content;
if (compiled === undefined || content === undefined) throw new Error('the bundled second-purchase campaign is missing');
const campaign = { ...compiled.campaign, holdout: 0 };
const template = { TemplateName: templateName(campaign), TemplateContent: { Subject: content.subject, Html: compiled.html, Text: content.text } };

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-bench-dispatch-'));
process.env.AWS_SES_ACCOUNT = JSON.stringify({
  DedicatedIpAutoWarmupEnabled: false,
  Details: { AdditionalContactEmailAddresses: [], ContactLanguage: 'EN', MailType: 'MARKETING', ReviewDetails: { CaseId: 'bench', Status: 'GRANTED' }, UseCaseDescription: 'bench', WebsiteURL: 'http://localhost' },
  EnforcementStatus: 'HEALTHY', ProductionAccessEnabled: true, SendingEnabled: true,
  SendQuota: { Max24HourSend: 10_000_000, MaxSendRate: rate, SentLast24Hours: 0 },
  SuppressionAttributes: { SuppressedReasons: [] },
});
const emulators = await startEmulators(dir);
const credentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
const ses = new SESv2Client({ endpoint: emulators.ses, region: 'us-east-1', credentials, maxAttempts: 1 });
await ses.send(new CreateEmailTemplateCommand(template));

/** Counts what reached the emulator's mailbox, emptying it as it goes (100,000 rendered e-mails would not fit in memory). */
let delivered = 0;
function drainMailbox(): void {
  delivered += getStoreReadonly().emails.length;
  clearStore();
  setTemplate(template.TemplateName, { TemplateName: template.TemplateName, TemplateContent: template.TemplateContent, CreatedTimestamp: Date.now() });
}

/** The real SES mailer, draining the mailbox every 100 calls and refusing every k-th call as throttled before SES sees it. */
function benchMailer(throttle: number): Mailer & { calls: () => number; throttled: () => number } {
  const real = sesMailer(ses);
  let calls = 0;
  let throttled = 0;
  return {
    calls: () => calls,
    throttled: () => throttled,
    maxSendRate: () => real.maxSendRate(),
    async sendBulk(request) {
      calls++;
      if (calls % 100 === 0) drainMailbox();
      if (throttle > 0 && calls % throttle === 0) {
        throttled++;
        throw new BulkSendError('throttled', 'TooManyRequestsException: injected by the bench');
      }
      return real.sendBulk(request);
    },
  };
}

const email = (i: number) => `success+bench-${i}@simulator.amazonses.com`;

async function baseline(): Promise<{ recipients: number; seconds: number; perSecond: number }> {
  const mailer = sesMailer(ses);
  const entries = Array.from({ length: baselineN }, (_, i) => ({ customerId: String(i), email: email(i), templateData: '{"firstName":"Ada"}', headers: [] }));
  const started = performance.now();
  for (const [i, batch] of chunk(entries, 50).entries()) {
    if (i % 100 === 0) drainMailbox();
    await mailer.sendBulk({ from: 'shop@example.com', templateName: template.TemplateName, entries: batch });
  }
  const seconds = (performance.now() - started) / 1000;
  drainMailbox();
  delivered = 0;
  return { recipients: baselineN, seconds: round(seconds), perSecond: Math.round(baselineN / seconds) };
}

async function dispatch(store: CampaignStore, members: (segment: string) => AsyncGenerator<string[]>) {
  const mailer = benchMailer(throttleEvery);
  const accountRate = (await mailer.maxSendRate()) ?? 0;
  delivered = 0;
  const started = performance.now();
  const [summary] = (await runCampaigns(
    {
      catalog: [campaign], store, members, mailer, logger, limiter: createRateLimiter(accountRate), clock: realClock,
      from: 'shop@example.com', configurationSet: undefined, policy: { defaultTimeZone: 'UTC', capCount: 3, capDays: 7 }, staleClaimMinutes: 30,
      unsubscribe: { baseUrl: 'http://127.0.0.1:9/', key: 'k'.repeat(64) }, issuedAt: new Date(),
    },
    { trigger: 'transitions', since: '2024-01-01T00:00:00Z' },
    SEND_AT,
  )) as [CampaignRunSummary];
  const seconds = (performance.now() - started) / 1000;
  drainMailbox();
  return { summary, seconds, accountRate, calls: mailer.calls(), throttled: mailer.throttled(), delivered };
}

function recipient(i: number) {
  return { customerId: String(i), contact: { email: email(i), firstName: `C${i}`, timezone: 'America/Chicago' }, memberSince: { 'first-time-buyers': '2024-05-14T00:00:00.000Z' } };
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}

try {
  const base = await baseline();
  process.stderr.write(`baseline: ${base.recipients} recipients in ${base.seconds}s (${base.perSecond}/s)\n`);

  const memory = memoryCampaignStore();
  for (let i = 0; i < n; i++) memory.addRecipient(recipient(i));
  const ids = Array.from({ length: n }, (_, i) => String(i));
  const memoryRun = await dispatch(memory, async function* () { for (const page of chunk(ids, 1_000)) yield page; });
  process.stderr.write(`dispatch: ${memoryRun.summary.sent} sent in ${round(memoryRun.seconds)}s, ${memoryRun.calls} calls\n`);

  // The same run with DynamoDB (dynalite) holding contacts, memberships and the ledger.
  const doc = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: emulators.dynamodb, region: 'us-east-1', credentials }), { marshallOptions: { removeUndefinedValues: true } });
  const { CreateTableCommand } = await import('@aws-sdk/client-dynamodb');
  await doc.send(new CreateTableCommand({
    TableName: 'bench', BillingMode: 'PAY_PER_REQUEST',
    KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }],
    AttributeDefinitions: ['pk', 'sk', 'gsi1pk', 'gsi1sk'].map((AttributeName) => ({ AttributeName, AttributeType: 'S' as const })),
    GlobalSecondaryIndexes: [{ IndexName: 'bySegment', KeySchema: [{ AttributeName: 'gsi1pk', KeyType: 'HASH' }, { AttributeName: 'gsi1sk', KeyType: 'RANGE' }], Projection: { ProjectionType: 'KEYS_ONLY' } }],
  }));
  const customers = dynamoCustomerStore(doc, 'bench');
  await customers.putContacts(Array.from({ length: storeN }, (_, i) => ({ customerId: String(i), ...recipient(i).contact })), SEND_AT, { source: 'bench' });
  await customers.applyRefresh(Array.from({ length: storeN }, (_, i) => ({
    customerId: String(i),
    changes: { enter: [{ segment: 'first-time-buyers', since: '2024-05-14T00:00:00.000Z', why: [] }], exit: [], transitions: [] },
  })), SEND_AT);
  const storeRun = await dispatch(dynamoCampaignStore(doc, 'bench'), (s) => customers.listSegmentMembers(s));
  process.stderr.write(`store: ${storeRun.summary.sent} sent in ${round(storeRun.seconds)}s\n`);

  const expectedCalls = Math.ceil(n / 50) + memoryRun.throttled;
  const perSecond = memoryRun.summary.sent / memoryRun.seconds;
  const results = {
    measuredAt: new Date().toISOString(),
    machine: { cpus: os.cpus().length, node: process.version },
    configuredRate: memoryRun.accountRate,
    baseline: base,
    dispatch: {
      recipients: n,
      sent: memoryRun.summary.sent,
      deliveredToMailbox: memoryRun.delivered,
      sesCalls: memoryRun.calls,
      expectedCalls: { formula: 'ceil(n/50) + retried calls', value: expectedCalls },
      callsMatch: memoryRun.calls === expectedCalls,
      throttledCallsRetried: memoryRun.throttled,
      seconds: round(memoryRun.seconds),
      perSecond: Math.round(perSecond),
      ratioToConfiguredRate: round(perSecond / memoryRun.accountRate),
      ratioToBaseline: round(perSecond / base.perSecond),
    },
    withDynamoDB: {
      recipients: storeN,
      sent: storeRun.summary.sent,
      sesCalls: storeRun.calls,
      expectedCalls: Math.ceil(storeN / 50) + storeRun.throttled,
      seconds: round(storeRun.seconds),
      perSecond: Math.round(storeRun.summary.sent / storeRun.seconds),
      ratioToConfiguredRate: round(storeRun.summary.sent / storeRun.seconds / storeRun.accountRate),
    },
  };
  fs.writeFileSync(path.join(here, 'results-dispatch.json'), `${JSON.stringify(results, null, 2)}\n`);
  process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
  if (!results.dispatch.callsMatch || results.dispatch.sent !== n || results.dispatch.deliveredToMailbox !== n) process.exitCode = 1;
} finally {
  ses.destroy();
  await emulators.stop();
  fs.rmSync(dir, { recursive: true, force: true });
}
