import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dynamoDocumentClient, s3Client } from '../../functions/adapters/aws-clients.ts';
import { dynamoCampaignStore } from '../../functions/adapters/campaign-store.ts';
import { dynamoCustomerStore } from '../../functions/adapters/customer-store.ts';
import { s3ObjectStore } from '../../functions/adapters/object-store.ts';
import { LATEST_MODEL_KEY } from '../../functions/core/models/fitted-model.ts';
import { inHoldout } from '../../functions/core/send-decision.ts';
import type { CampaignRunSummary } from '../../functions/campaign-dispatch/run-campaigns.ts';
import { startLocalStack, type LocalStack } from '../../functions/local/local-stack.ts';
import { runResegment, type ResegmentOutcome } from '../../bin/commands/resegment.ts';
import { loadCampaigns } from '../../lib/campaigns.ts';

interface StoredEmail {
  readonly destination: { readonly to: string[] };
  readonly subject: string;
}

const CUSTOMERS = [
  'customer_id,email,first_name,country,timezone,consent',
  '1,success+r1@simulator.amazonses.com,Ada,US,America/Chicago,yes',
  '2,success+r2@simulator.amazonses.com,,GB,Europe/London,yes',
  '3,success+r3@simulator.amazonses.com,Cy,US,America/New_York,no',
  '4,success+r4@simulator.amazonses.com,Kenji,JP,Asia/Tokyo,yes',
  '5,success+r5@simulator.amazonses.com,Two,US,America/Chicago,yes',
  '6,success+r6@simulator.amazonses.com,Noa,,,yes',
  '7,success+r7@simulator.amazonses.com,Sev,US,America/Denver,yes',
  '8,success+r8@simulator.amazonses.com,Ate,US,America/Denver,yes',
].join('\n');
const ORDERS = ['customer_id,date,amount', '1,1998-05-01,10.00', '2,1998-05-02,12.00', '3,1998-05-03,9.00', '4,1998-05-04,20.00',
  '5,1998-05-01,5.00', '5,1998-06-01,6.00', '6,1998-05-05,7.00', '7,1998-05-06,8.00', '8,1998-05-07,8.00'].join('\n');
/** Ingest evaluates at the stack's as-of (everyone recent); the run is months later, in the Americas' afternoon. */
const INGEST_AS_OF = '1998-07-01';
const RUN_AT = '1998-10-15T16:00:00.000Z';

function succeeded(outcome: ResegmentOutcome): Extract<ResegmentOutcome, { status: 'SUCCEEDED' }> {
  if (outcome.status !== 'SUCCEEDED') throw new Error(`the run did not succeed: ${JSON.stringify(outcome)}`);
  return outcome;
}

describe('entry-triggered campaigns started by the re-segmentation workflow', () => {
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-resegment-campaigns-'));
  const winBack = loadCampaigns().map((c) => c.campaign).find((c) => c.name === 'win-back');
  let stack: LocalStack;
  const mailbox = async () => ((await (await fetch(`${stack.endpoints.ses}/store`)).json()) as { emails: StoredEmail[] }).emails;

  beforeAll(async () => {
    stack = await startLocalStack({ stateDir, asOf: INGEST_AS_OF });
    await stack.upload('incoming/customers/c.csv', CUSTOMERS);
    await stack.settled();
    await stack.upload('incoming/orders/o.csv', ORDERS);
    await stack.settled();
  }, 240_000);

  afterAll(async () => {
    await stack?.stop();
    fs.rmSync(stateDir, { recursive: true, force: true });
  });

  it('mails the win-back campaign to the customers who entered Lapsed during the run, once, and refits the models as of the run', async () => {
    if (winBack === undefined) throw new Error('the bundled win-back campaign is missing');
    const customers = dynamoCustomerStore(dynamoDocumentClient(), stack.tableName);
    const ids = ['1', '2', '3', '4', '5', '6', '7', '8'];
    for (const id of ids) expect((await customers.loadCustomer(id)).memberships.map((m) => m.segment)).not.toContain('lapsed');
    expect(await mailbox()).toEqual([]);

    const run = succeeded(await runResegment(stack, { asOf: RUN_AT }, { retryIntervalMs: 0 }));

    // Who entered Lapsed in this run, read back from the stored transitions.
    const entered: string[] = [];
    for (const id of ids) {
      const { transitions = [] } = await customers.loadCustomer(id);
      if (transitions.some((t) => t.segment === 'lapsed' && t.change === 'enter' && t.at === RUN_AT)) entered.push(id);
    }
    expect(entered.length).toBeGreaterThanOrEqual(6);
    expect(run.report.segments.lapsed).toMatchObject({ entered: entered.length });

    // Consent (3 said no), quiet hours (4 is in Tokyo at 01:00) and the holdout keep some back; a
    // customer who also entered a segment of a higher-priority campaign gets that one instead.
    const reachable = entered.filter((id) => id !== '3' && id !== '4' && !inHoldout(winBack, id));
    const ledgers = await dynamoCampaignStore(dynamoDocumentClient(), stack.tableName).ledgers(ids);
    const sentBy = (id: string) => (ledgers.get(id) ?? []).filter((e) => e.status === 'SENT').map((e) => e.campaign);
    const outranked = reachable.filter((id) => sentBy(id).some((c) => c !== 'win-back'));
    const winBackTo = reachable.filter((id) => !outranked.includes(id));
    expect(winBackTo.length).toBeGreaterThanOrEqual(3);
    for (const id of winBackTo) expect(sentBy(id)).toEqual(['win-back']);
    const summaries = run.report.campaigns as CampaignRunSummary[];
    expect(summaries.find((s) => s.campaign === 'win-back')).toMatchObject({
      candidates: entered.length, sent: winBackTo.length, outranked: outranked.length, suppressed: entered.includes('3') ? 1 : 0, deferred: entered.includes('4') && !inHoldout(winBack, '4') ? 1 : 0,
    });

    // In the SES mailbox: one e-mail per customer sent anything, win-back to those who entered Lapsed.
    const mail = await mailbox();
    const recipients = mail.flatMap((m) => m.destination.to).sort();
    const sentAnything = ids.filter((id) => sentBy(id).length > 0);
    expect(sentAnything.every((id) => sentBy(id).length === 1)).toBe(true);
    expect(recipients).toEqual(sentAnything.map((id) => `success+r${id}@simulator.amazonses.com`).sort());
    expect(winBackTo.every((id) => sentAnything.includes(id))).toBe(true);
    if (winBackTo.includes('1')) expect(mail.find((m) => m.destination.to.includes('success+r1@simulator.amazonses.com'))?.subject).toBe('We miss you, Ada');

    // The run's first step refitted the models with the real refit handler, as of the run's time.
    const model = JSON.parse((await s3ObjectStore(s3Client(), stack.bucketName).readText(LATEST_MODEL_KEY)) ?? '{}') as { fittedAt?: string; calibrationEnd?: string };
    expect(model).toMatchObject({ fittedAt: RUN_AT, calibrationEnd: '1998-10-15' });

    // A second run at the same time changes no membership and mails nobody again.
    const again = succeeded(await runResegment(stack, { asOf: RUN_AT }, { retryIntervalMs: 0 }));
    expect(again.report.totals).toMatchObject({ changed: 0, transitions: 0 });
    expect((again.report.campaigns as CampaignRunSummary[]).find((s) => s.campaign === 'win-back')).toMatchObject({ sent: 0 });
    expect((await mailbox()).length).toBe(mail.length);
  }, 300_000);
});
