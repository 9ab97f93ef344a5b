import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { runDemo, DEMO_DATA_DIR, type DemoResult } from '../../bin/commands/demo.ts';
import { explainCustomer } from '../../bin/commands/explain.ts';
import { exportCustomer, forget } from '../../bin/commands/privacy.ts';
import { emailHash } from '../../functions/core/privacy.ts';
import { LOCAL_CREDENTIALS, type LocalStack } from '../../functions/local/local-stack.ts';
import { s3ObjectStore } from '../../functions/adapters/object-store.ts';
import { dynamoDocumentClient, s3Client } from '../../functions/adapters/aws-clients.ts';
import { dynamoCustomerStore } from '../../functions/adapters/customer-store.ts';
import type { CampaignRunSummary } from '../../functions/campaign-dispatch/run-campaigns.ts';
import { loadCampaigns } from '../../lib/campaigns.ts';
import type { IngestOutcome } from '../../functions/ingest-pipeline/ingest-object.ts';

/** Reads the bundled files directly, independently of strata's own parsing, for the expected figures. */
function expectedFromFiles() {
  const orderLines = fs.readFileSync(path.join(DEMO_DATA_DIR, 'orders', 'cdnow_sample.csv'), 'utf-8').trim().split('\n').slice(1);
  const days = new Map<string, Set<string>>();
  for (const line of orderLines) {
    const [, sampleId = '', date = ''] = line.split(',');
    days.set(sampleId, (days.get(sampleId) ?? new Set()).add(date));
  }
  const firstTimers = [...days].filter(([, d]) => d.size === 1).map(([id]) => id);
  const customerLines = fs.readFileSync(path.join(DEMO_DATA_DIR, 'customers', 'customers.csv'), 'utf-8').trim().split('\n').slice(1);
  const header = fs.readFileSync(path.join(DEMO_DATA_DIR, 'customers', 'customers.csv'), 'utf-8').split('\n')[0]?.split(',') ?? [];
  const consent = header.indexOf('consent');
  const optedOut = new Set(customerLines.map((l) => l.split(',')).filter((c) => c[consent] === 'no').map((c) => c[0]));
  return { orders: orderLines.length, customers: days.size, firstTimers, mailable: firstTimers.filter((id) => !optedOut.has(id)) };
}

interface StoredEmail {
  destination: { to: string[] };
  subject: string;
  body: { html?: string; text?: string };
  headers?: { name: string; value: string }[];
}

describe('the thin slice on the embedded stack', () => {
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-it-'));
  const expected = expectedFromFiles();
  let result: DemoResult;
  let stack: LocalStack;

  beforeAll(async () => {
    ({ result, stack } = await runDemo({ stateDir, quiet: true }));
    // The demo takes about two minutes on two idle cores; far more when the machine is shared.
  }, 600_000);

  afterAll(async () => {
    await stack?.stop();
    fs.rmSync(stateDir, { recursive: true, force: true });
  });

  it('ingests every bundled row into the single customer view', () => {
    expect(result.orders).toBe(expected.orders);
    expect(result.rows.rejected).toBe(0);
    expect(result.customers).toBe(expected.customers);
  });

  it('puts exactly the customers with one purchase day into first-time-buyers', () => {
    expect(result.segments['first-time-buyers']).toBe(expected.firstTimers.length);
  });

  it('runs every bundled campaign whose segment has members', () => {
    const withMembers = loadCampaigns().map((c) => c.campaign).filter((c) => c.segments.some((s) => (result.segments[s] ?? 0) > 0));
    expect(result.campaigns.map((c) => c.name).sort()).toEqual(withMembers.map((c) => c.name).sort());
  });

  it('mails second-purchase to every consenting first-time buyer unless held out, deferred or taken by a higher-priority campaign', () => {
    const campaign = result.campaigns.find((c) => c.name === 'second-purchase');
    expect(campaign?.suppressed).toBe(expected.firstTimers.length - expected.mailable.length);
    expect((campaign?.sent ?? 0) + (campaign?.holdout ?? 0) + (campaign?.deferred ?? 0) + (campaign?.outranked ?? 0) + (campaign?.capped ?? 0)).toBe(expected.mailable.length);
    expect(campaign?.holdout).toBeGreaterThan(0);
    expect(campaign?.deferred).toBeGreaterThan(0);
    expect(campaign?.bulkCalls).toBeGreaterThanOrEqual(Math.ceil((campaign?.sent ?? 0) / 50));
  });

  it('puts each campaign in the mailbox once per recipient, tailored, with one-click unsubscribe headers', async () => {
    const store = (await (await fetch(`${stack.endpoints.ses}/store`)).json()) as { emails: StoredEmail[] };
    // The unsubscribe token names the customer and campaign: [customerId, campaign, expiry].
    const sends = store.emails.map((e) => {
      const link = /^<(.+)>$/.exec(e.headers?.find((h) => h.name === 'List-Unsubscribe')?.value ?? '')?.[1] ?? '';
      const [payload = ''] = (new URL(link).searchParams.get('t') ?? '').split('.');
      const [customerId, campaign] = JSON.parse(Buffer.from(payload, 'base64url').toString('utf-8')) as [string, string];
      return { to: e.destination.to[0], customerId, campaign, email: e };
    });
    expect(new Set(sends.map((s) => `${s.customerId}/${s.campaign}`)).size).toBe(sends.length);
    for (const c of result.campaigns) expect(sends.filter((s) => s.campaign === c.name)).toHaveLength(c.sent);
    const mailable = new Set(expected.mailable.map((id) => `success+customer-${id.padStart(4, '0')}@simulator.amazonses.com`));
    const secondPurchase = sends.filter((s) => s.campaign === 'second-purchase');
    expect(secondPurchase.filter((s) => !mailable.has(s.to ?? ''))).toEqual([]);
    for (const { email } of secondPurchase) expect(email.subject).toMatch(/^(\w+, your second CD is 15% off|Your second CD is 15% off)$/);
    for (const { email } of sends) {
      expect(`${email.body.html}${email.body.text}`).not.toContain('{{');
      expect(email.headers?.map((h) => h.name)).toEqual(['List-Unsubscribe', 'List-Unsubscribe-Post']);
    }
  });

  it('explains why a customer is in the segment', async () => {
    const id = expected.firstTimers[0]!;
    const explanation = await explainCustomer(stack, id);
    expect(explanation?.segments.find((s) => s.name === 'first-time-buyers')).toEqual(
      { name: 'first-time-buyers', since: '1998-07-01T00:00:00.000Z', why: [{ field: 'orders.purchaseDays', op: 'eq', expected: 1, actual: 1 }] },
    );
  });

  it('never sends the same campaign to a customer twice', async () => {
    const first = result.campaigns.find((c) => c.name === 'second-purchase');
    const [again] = await stack.invoke<CampaignRunSummary[]>('functions/campaign-dispatch/send/handler.ts', { trigger: 'transitions', campaigns: ['second-purchase'], since: '1998-01-01', asOf: '1998-07-01T16:30:00Z' });
    // Customers a higher-priority campaign took in the demo's run are not in the ledger: they may get this one now.
    expect(again).toMatchObject({ sent: first?.outranked ?? 0, alreadySent: (first?.sent ?? 0) + (first?.holdout ?? 0) + (first?.deferred ?? 0) });
  });

  it('treats a re-delivered upload as already applied', async () => {
    const key = 'incoming/orders/cdnow_sample.csv';
    const { ETag } = await s3Client().send(new HeadObjectCommand({ Bucket: stack.bucketName, Key: key }));
    const outcomes = await stack.invoke<IngestOutcome[]>('functions/ingest-pipeline/handler.ts', {
      Records: [{ s3: { bucket: { name: stack.bucketName }, object: { key, eTag: ETag?.replace(/"/g, ''), sequencer: '1' } } }],
    });
    expect(outcomes).toEqual([{ status: 'already-applied', file: key }]);
  });

  const dirtyRows = ['customer_id,date,amount', '7,1998-01-05,10.00', ',1998-01-05,3.00', '8,not-a-date,4.00', '=HYPERLINK("x"),1998-01-06,abc'];

  it('quarantines bad rows with their line and reason, neutralizing formulas, when the file allows that many', async () => {
    await stack.upload('incoming/orders/dirty.mapping.json', JSON.stringify({ kind: 'orders', columns: { customerId: 'customer_id', orderedAt: 'date', amount: 'amount' }, maxRejectedShare: 0.9 }));
    await stack.upload('incoming/orders/dirty.csv', dirtyRows.join('\n'));
    await stack.settled();
    const objects = s3ObjectStore(s3Client(), stack.bucketName);
    const report = JSON.parse((await objects.readText('quarantine/orders/dirty.csv.report.json')) ?? '{}') as Record<string, unknown>;
    expect(report).toMatchObject({ status: 'applied', accepted: 1, rejected: 3, rejectedByReason: { 'missing customer id': 1, 'unreadable order date': 1, 'unreadable amount': 1 } });
    const rejected = (await objects.readText('quarantine/orders/dirty.csv.rejected.csv'))?.trim().split('\n');
    expect(rejected).toEqual([
      'line,reason,customer_id,date,amount',
      '3,missing customer id,,1998-01-05,3.00',
      '4,unreadable order date,8,not-a-date,4.00',
      `5,unreadable amount,"'=HYPERLINK(""x"")",1998-01-06,abc`,
    ]);
    expect((await explainCustomer(stack, '7'))?.orders.count).toBe(3);
    expect(stack.deadLetters).toEqual([]);
  });

  it('rejects a file whole, applying nothing, when more than 20% of its rows are bad', async () => {
    const before = await explainCustomer(stack, '9');
    await stack.upload('incoming/orders/too-dirty.csv', ['customer_id,date,amount', '9,1998-01-05,10.00', ',1998-01-05,3.00'].join('\n'));
    await stack.settled();
    const objects = s3ObjectStore(s3Client(), stack.bucketName);
    const report = JSON.parse((await objects.readText('quarantine/orders/too-dirty.csv.report.json')) ?? '{}') as Record<string, unknown>;
    expect(report).toMatchObject({ status: 'rejected', accepted: 1, rejected: 1, error: expect.stringContaining('1 of 2 rows are bad') });
    expect(await explainCustomer(stack, '9')).toEqual(before);
  });

  it('rejects a file whose columns cannot be recognized, with the reason, without retrying it', async () => {
    await stack.upload('incoming/orders/mystery.csv', 'foo,bar\n1,2\n');
    await stack.settled();
    const objects = s3ObjectStore(s3Client(), stack.bucketName);
    const report = JSON.parse((await objects.readText('quarantine/orders/mystery.csv.report.json')) ?? '{}') as { error?: string };
    expect(report.error).toMatch(/cannot recognize the customerId, orderedAt, amount column/);
    expect(stack.deadLetters).toEqual([]);
  });

  it('forgets a customer: nothing held, and a later import neither recreates them nor brings marketing back', async () => {
    const id = expected.mailable[1]!;
    const email = `success+customer-${id.padStart(4, '0')}@simulator.amazonses.com`;
    expect((await exportCustomer(stack, id)).length).toBeGreaterThan(0);
    const result = await forget(stack, id, new Date('1998-07-02T00:00:00Z'));
    expect(result).toMatchObject({ erased: id, customers: [id], addressesSuppressed: 1, idsSuppressed: 1 });
    expect(await exportCustomer(stack, id)).toEqual([]);
    const customers = dynamoCustomerStore(dynamoDocumentClient(), stack.tableName);
    expect(await customers.suppressedHashes([emailHash(email)])).toEqual(new Set([emailHash(email)]));

    await stack.upload('incoming/customers/again.csv', `customer_id,email,first_name\n${id},${email},Back\n`);
    await stack.upload('incoming/orders/again.csv', `customer_id,date,amount\n${id},1998-06-01,12.00\n`);
    await stack.settled();
    // The rows of the erased id are quarantined ("erased customer"), so nothing of them is held again.
    expect(await exportCustomer(stack, id)).toEqual([]);
    expect(await explainCustomer(stack, id)).toBeUndefined();
    const [summary] = await stack.invoke<CampaignRunSummary[]>('functions/campaign-dispatch/send/handler.ts', { trigger: 'transitions', campaigns: ['second-purchase'], since: '1998-01-01', asOf: '1998-07-01T16:30:00Z' });
    expect(summary).toMatchObject({ sent: 0, suppressed: expected.firstTimers.length - expected.mailable.length });
  });

  it('creates the local table exactly as the synthesized template defines it', async () => {
    const client = new DynamoDBClient({ region: 'us-east-1', endpoint: stack.endpoints.dynamodb, credentials: LOCAL_CREDENTIALS });
    const { Table } = await client.send(new DescribeTableCommand({ TableName: stack.tableName }));
    const defined = Object.values(stack.template.Resources).find((r) => r.Type === 'AWS::DynamoDB::Table')!.Properties!;
    expect(Table?.KeySchema).toEqual(defined.KeySchema);
    const gsis = defined.GlobalSecondaryIndexes as { IndexName: string; KeySchema: unknown }[];
    expect(Table?.GlobalSecondaryIndexes?.map((g) => ({ IndexName: g.IndexName, KeySchema: g.KeySchema }))).toEqual(
      gsis.map((g) => ({ IndexName: g.IndexName, KeySchema: g.KeySchema })),
    );
    client.destroy();
  });
});
