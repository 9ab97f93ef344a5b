import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { startLocalStack, type LocalStack } from '../../functions/local/local-stack.ts';
import { dynamoDocumentClient } from '../../functions/adapters/aws-clients.ts';
import { dynamoCustomerStore } from '../../functions/adapters/customer-store.ts';
import { dynamoCampaignStore } from '../../functions/adapters/campaign-store.ts';
import { s3ObjectStore } from '../../functions/adapters/object-store.ts';
import { s3Client } from '../../functions/adapters/aws-clients.ts';
import { exportCustomer, forget } from '../../bin/commands/privacy.ts';
import { explainCustomer } from '../../bin/commands/explain.ts';
import { customerIdHash, emailHash } from '../../functions/core/privacy.ts';
import { inHoldout } from '../../functions/core/send-decision.ts';
import { loadCampaigns } from '../../lib/campaigns.ts';
import { PROJECT_ROOT } from '../../lib/project-root.ts';
import type { BatchOutcome } from '../../functions/feedback/process-feedback.ts';
import type { CampaignRunSummary } from '../../functions/campaign-dispatch/run-campaigns.ts';

/**
 * Privacy on the embedded stack: erasure reaches every address and id a customer has had, nothing
 * brings an erased customer back (ingest, SES feedback), and dispatch honours per-customer entries.
 */
const AS_OF = '1998-07-01';
const SEND_AT = '1998-07-01T16:30:00Z';
const at = (name: string) => `success+${name}@simulator.amazonses.com`;

interface StoredEmail {
  destination: { to: string[] };
}

describe('privacy holds on the embedded stack', () => {
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-privacy-'));
  let stack: LocalStack;
  let now: Date;
  const store = () => dynamoCustomerStore(dynamoDocumentClient(), stack.tableName);
  const secondPurchase = loadCampaigns().map((c) => c.campaign).find((c) => c.name === 'second-purchase')!;
  const report = async (key: string) =>
    JSON.parse((await s3ObjectStore(s3Client(), stack.bucketName).readText(key.replace(/^incoming\//, 'quarantine/') + '.report.json')) ?? '{}') as {
      accepted?: number;
      rejectedByReason?: Record<string, number>;
    };
  async function ingest(files: Record<string, string>) {
    for (const [key, body] of Object.entries(files)) {
      await stack.upload(key, body);
      await stack.settled();
    }
    expect(stack.deadLetters).toEqual([]);
  }

  beforeAll(async () => {
    stack = await startLocalStack({ stateDir, asOf: AS_OF });
    now = stack.asOf ?? new Date(AS_OF);
  }, 180_000);

  afterAll(async () => {
    await stack?.stop();
    fs.rmSync(stateDir, { recursive: true, force: true });
  });

  it('forget by an address the customer used before erases them and suppresses every address they had; re-importing the old address recreates nothing', async () => {
    await ingest({
      'incoming/customers/p1.csv': `customer_id,email,first_name\nP1,${at('p1-old')},Pat\n`,
      'incoming/orders/p1.csv': 'customer_id,date,amount\nP1,1998-06-01,12.00\n',
      'incoming/customers/p1-moved.csv': `customer_id,email,first_name\nP1,${at('p1-new')},Pat\n`,
    });

    const result = await forget(stack, at('p1-old'), now);

    expect(result).toMatchObject({ target: 'email', erased: 'P1', customers: ['P1'], addressesSuppressed: 2, idsSuppressed: 1 });
    expect(await exportCustomer(stack, 'P1')).toEqual([]);
    expect(await store().suppressedHashes([emailHash(at('p1-old')), emailHash(at('p1-new'))])).toEqual(new Set([emailHash(at('p1-old')), emailHash(at('p1-new'))]));
    expect(await store().erasedIds(['P1'])).toEqual(new Set(['P1']));

    // The same person comes back in an export: under the erased id (refused), and under a new id with the old address.
    await ingest({
      'incoming/customers/p1-again.csv': `customer_id,email,first_name\nP1,${at('p1-old')},Pat\nP7,${at('p1-old')},Pat\n`,
      'incoming/orders/p1-again.csv': 'customer_id,date,amount\nP1,1998-06-15,5.00\nP7,1998-06-15,5.00\n',
    });
    expect(await exportCustomer(stack, 'P1')).toEqual([]);
    expect(await report('incoming/customers/p1-again.csv')).toMatchObject({ accepted: 1, rejectedByReason: { 'erased customer': 1 } });
    expect(await report('incoming/orders/p1-again.csv')).toMatchObject({ accepted: 1, rejectedByReason: { 'erased customer': 1 } });
    // The quarantine names the line and the reason only: the erased person's cells are not kept.
    const rejected = await s3ObjectStore(s3Client(), stack.bucketName).readText('quarantine/customers/p1-again.csv.rejected.csv');
    expect(rejected).toContain('erased customer');
    expect(rejected).not.toContain('p1-old');
    // P7 is a new customer, but holds an erased address: never mailed (the dispatch test below).
    expect((await explainCustomer(stack, 'P7'))?.suppression).toMatchObject({ suppressed: true, blockedBy: { scope: 'address', reason: 'erased', current: true } });
  }, 120_000);

  it('forget of an id that was merged into another erases the canonical customer and suppresses both ids', async () => {
    await ingest({
      'incoming/customers/a1.csv': `customer_id,email,first_name\nA1,${at('ann')},Ann\n`,
      'incoming/orders/a2.csv': 'customer_id,date,amount\nA2,1998-06-01,9.00\n',
      'incoming/customers/a2.csv': `customer_id,email,first_name\nA2,${at('ann').toUpperCase()},\n`,
    });
    expect((await store().resolveAliases(['A2'])).get('A2')).toBe('A1');

    const result = await forget(stack, 'A2', now);

    expect(result).toMatchObject({ target: 'id', erased: 'A1', customers: ['A1', 'A2'], idsSuppressed: 2, addressesSuppressed: 1 });
    expect(await exportCustomer(stack, 'A1')).toEqual([]);
    expect(await exportCustomer(stack, 'A2')).toEqual([]);
    expect(await store().erasedIds(['A1', 'A2'])).toEqual(new Set(['A1', 'A2']));
    expect(await store().suppressedHashes([emailHash(at('ann'))])).toEqual(new Set([emailHash(at('ann'))]));

    await ingest({ 'incoming/orders/a2-again.csv': 'customer_id,date,amount\nA2,1998-06-20,3.00\nA1,1998-06-20,4.00\n' });
    expect(await exportCustomer(stack, 'A1')).toEqual([]);
    expect(await exportCustomer(stack, 'A2')).toEqual([]);

    // Nothing is said to be erased when nothing was.
    expect(await forget(stack, 'A2', now)).toMatchObject({ erased: undefined, customers: [], itemsDeleted: 0, alreadyErased: true });
    expect(await forget(stack, 'nobody-here', now)).toMatchObject({ erased: undefined, customers: [], itemsDeleted: 0, alreadyErased: false });
  }, 120_000);

  it('SES events arriving after an erasure write nothing under the erased id', async () => {
    await ingest({
      'incoming/customers/s1.csv': `customer_id,email,first_name\nS1,${at('sam')},Sam\n`,
      'incoming/orders/s1.csv': 'customer_id,date,amount\nS1,1998-06-01,7.00\n',
    });
    const ledger = dynamoCampaignStore(dynamoDocumentClient(), stack.tableName);
    expect(await ledger.claim({ customerId: 'S1', campaign: 'privacy', status: 'CLAIMED', marketing: true }, now)).toBe(true);
    await ledger.write([{ customerId: 'S1', campaign: 'privacy', status: 'SENT', marketing: true, claimedAt: now.toISOString(), sentAt: now.toISOString(), messageId: 'msg-s1' }]);
    await forget(stack, 'S1', now);
    // A send in flight during the erasure: its message link was written after forget ran.
    await dynamoDocumentClient().send(new PutCommand({ TableName: stack.tableName, Item: { pk: 'MSG#msg-s2', sk: 'MSG', customerId: 'S1', campaign: 'privacy' } }));

    const fixture = JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, 'test/fixtures/ses-events/open.json'), 'utf-8')) as { detail: { mail: Record<string, unknown> } };
    const event = (id: string, messageId: string) => ({ ...fixture, id, detail: { ...fixture.detail, mail: { ...fixture.detail.mail, messageId } } });
    const Records = [event('open-s1', 'msg-s1'), event('open-s2', 'msg-s2')].map((e) => ({ messageId: e.id, body: JSON.stringify(e) }));
    const outcome = await stack.invoke<BatchOutcome>('functions/feedback/handler.ts', { Records });

    expect(outcome.byStatus).toEqual({ 'unknown-message': 1, erased: 1 });
    expect(await exportCustomer(stack, 'S1')).toEqual([]);
  }, 120_000);

  it('dispatch mails no customer whose id is suppressed or who unsubscribed at an address they had before', async () => {
    const control = ['C1', 'C2', 'C3', 'C4'].find((id) => !inHoldout(secondPurchase, id))!;
    // Outside the holdout, so only suppression can keep them from being mailed.
    for (const id of ['U2', 'U3', 'P7']) expect(inHoldout(secondPurchase, id)).toBe(false);
    await ingest({
      'incoming/customers/u.csv': `customer_id,email\nU3,${at('u3')}\nU2,${at('u2-old')}\n${control},${at('control')}\n`,
      'incoming/customers/u-moved.csv': `customer_id,email\nU2,${at('u2-new')}\n`,
      'incoming/orders/u.csv': `customer_id,date,amount\nU3,1998-06-01,10.00\nU2,1998-06-01,10.00\n${control},1998-06-01,10.00\n`,
    });
    // The per-customer entry the unsubscribe function keeps (for U3), and an unsubscribe of U2's former address.
    await dynamoDocumentClient().send(new PutCommand({ TableName: stack.tableName, Item: { pk: `SUPPRESS#ID#${customerIdHash('U3')}`, sk: 'SUPPRESS', reason: 'unsubscribed', at: now.toISOString() } }));
    await store().suppress(emailHash(at('u2-old')), 'unsubscribed', now);

    const [summary] = await stack.invoke<CampaignRunSummary[]>('functions/campaign-dispatch/send/handler.ts', { trigger: 'transitions', campaigns: ['second-purchase'], since: '1998-01-01', asOf: SEND_AT });
    const { emails } = (await (await fetch(`${stack.endpoints.ses}/store`)).json()) as { emails: StoredEmail[] };
    const mailed = emails.flatMap((e) => e.destination.to);

    expect(mailed).toContain(at('control'));
    for (const name of ['u3', 'u2-old', 'u2-new', 'p1-old', 'p1-new', 'ann', 'sam']) expect(mailed).not.toContain(at(name));
    expect(summary?.suppressed).toBeGreaterThanOrEqual(3);
    expect((await explainCustomer(stack, 'U3'))?.suppression).toMatchObject({ suppressed: true, blockedBy: { scope: 'id', reason: 'unsubscribed' } });
    expect((await explainCustomer(stack, 'U2'))?.suppression).toMatchObject({ suppressed: true, blockedBy: { scope: 'address', reason: 'unsubscribed', current: false } });
    expect((await explainCustomer(stack, control))?.suppression).toMatchObject({ suppressed: false, entries: [] });
  }, 120_000);

  it('forget --purge-files deletes the uploads under incoming/ that mention the customer, and only those', async () => {
    await ingest({
      'incoming/customers/r1.csv': `customer_id,email,first_name\nR1,${at('rita-old')},Rita\nR2,${at('ron')},Ron\n`,
      'incoming/customers/r1-moved.csv': `customer_id,email\nR1,${at('rita-new')}\n`,
      'incoming/orders/r1.csv': 'customer_id,date,amount\nR2,1998-06-01,3.00\nR1,1998-06-02,4.00\n',
      // R1 appears here, but not as a customer id: the file is about someone else.
      'incoming/orders/other.csv': 'customer_id,date,amount,category\nR2,1998-06-03,5.00,R1\n',
    });
    // A file ingest cannot read, mentioning her former address by another spelling: found by its hash.
    await stack.upload('incoming/customers/notes.csv', `note\nforwarded to Rita <${at('rita-old').toUpperCase()}>\n`);
    await stack.settled();
    const keys = async () => (await s3ObjectStore(s3Client(), stack.bucketName).list('incoming/')).filter((k) => /\/(r1|r1-moved|other|notes)\.csv$/.test(k));
    expect(await keys()).toHaveLength(5);

    const result = await forget(stack, 'R1', now, { purgeFiles: true });

    expect(result).toMatchObject({ erased: 'R1', addressesSuppressed: 2 });
    expect([...(result.purgedFiles ?? [])].sort()).toEqual(['incoming/customers/notes.csv', 'incoming/customers/r1-moved.csv', 'incoming/customers/r1.csv', 'incoming/orders/r1.csv']);
    expect(await keys()).toEqual(['incoming/orders/other.csv']);
    expect(JSON.stringify(result)).not.toContain('rita');
    expect((await store().loadCustomer('R2')).profile?.contact?.email).toBe(at('ron'));
  }, 120_000);
});
