import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inHoldout } from '../../functions/core/send-decision.ts';
import type { CampaignRunSummary } from '../../functions/campaign-dispatch/run-campaigns.ts';
import { explainCustomer, formatExplanation, type Explanation } from '../../bin/commands/explain.ts';
import { startLocalStack, type LocalStack } from '../../functions/local/local-stack.ts';
import { loadCampaigns } from '../../lib/campaigns.ts';

interface StoredEmail {
  readonly destination: { readonly to: string[] };
}

/** File 1 states consent and names; file 2 carries neither; file 3 opts customer 1 in again. */
const FILE1 = 'incoming/customers/consent-1.csv';
const FILE2 = 'incoming/customers/consent-2.csv';
const FILE3 = 'incoming/customers/consent-3.csv';
const IDS = ['1', '2', '3', '4', '5', '6'];
const OPTED_OUT = ['1', '3', '5'];
const address = (id: string) => `success+k${id}@simulator.amazonses.com`;
const CUSTOMERS_1 = [
  'customer_id,email,first_name,last_name,country,timezone,consent',
  ...IDS.map((id) => `${id},${address(id)},First${id},Last${id},US,America/Chicago,${OPTED_OUT.includes(id) ? 'no' : 'yes'}`),
].join('\n');
const CUSTOMERS_2 = ['customer_id,email,city', ...IDS.map((id) => `${id},${address(id)},Springfield`)].join('\n');
const CUSTOMERS_3 = ['customer_id,consent', '1,yes'].join('\n');
const ORDERS = ['customer_id,date,amount', ...IDS.map((id) => `${id},1998-05-0${id},10.00`)].join('\n');
const SEND_AT = '1998-07-01T16:00:00Z';

describe('consent across customers files that carry different columns (embedded stack)', () => {
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-consent-'));
  const secondPurchase = loadCampaigns().map((c) => c.campaign).find((c) => c.name === 'second-purchase');
  let stack: LocalStack;
  let run: CampaignRunSummary | undefined;
  let mailed: string[];
  let afterFile2: Explanation | undefined;

  beforeAll(async () => {
    stack = await startLocalStack({ stateDir, asOf: '1998-07-01' });
    await stack.upload(FILE1, CUSTOMERS_1);
    await stack.settled();
    await stack.upload(FILE2, CUSTOMERS_2);
    await stack.settled();
    await stack.upload('incoming/orders/consent-orders.csv', ORDERS);
    await stack.settled();
    afterFile2 = await explainCustomer(stack, '1');
    [run] = await stack.invoke<CampaignRunSummary[]>('functions/campaign-dispatch/send/handler.ts', { trigger: 'transitions', campaigns: ['second-purchase'], asOf: SEND_AT });
    mailed = ((await (await fetch(`${stack.endpoints.ses}/store`)).json()) as { emails: StoredEmail[] }).emails.flatMap((m) => m.destination.to);
  }, 240_000);

  afterAll(async () => {
    await stack?.stop();
    fs.rmSync(stateDir, { recursive: true, force: true });
  });

  it('keeps the opt-out and the names of file 1 after file 2, which carries neither, and adds what file 2 says', () => {
    expect(afterFile2?.profile?.contact).toMatchObject({ firstName: 'First1', lastName: 'Last1', city: 'Springfield', consent: false });
    expect(afterFile2?.consent).toMatchObject({ given: false, source: FILE1 });
    expect(afterFile2?.consent.changedAt).toEqual(expect.any(String));
  });

  it('mails nobody who opted out, and every consenting first-time buyer outside the holdout', () => {
    expect(secondPurchase).toBeDefined();
    const consenting = IDS.filter((id) => !OPTED_OUT.includes(id));
    const expected = consenting.filter((id) => secondPurchase !== undefined && !inHoldout(secondPurchase, id)).map(address);
    for (const id of OPTED_OUT) expect(mailed).not.toContain(address(id));
    expect(mailed.sort()).toEqual(expected.sort());
    expect(run).toMatchObject({ suppressed: OPTED_OUT.length });
  });

  it('opts a customer in again on an explicit yes in a later file, and explain says when and from which file', async () => {
    await stack.upload(FILE3, CUSTOMERS_3);
    await stack.settled();
    const explanation = await explainCustomer(stack, '1');
    expect(explanation?.profile?.contact).toMatchObject({ firstName: 'First1', lastName: 'Last1', consent: true });
    expect(explanation?.consent).toMatchObject({ given: true, source: FILE3 });
    expect(explanation?.consent.history.map((h) => [h.consent, h.source])).toEqual([[false, FILE1], [true, FILE3]]);
    expect(formatExplanation(explanation!)).toMatch(/consent +opted in since .* \(incoming\/customers\/consent-3\.csv\)/);
    expect((await explainCustomer(stack, '3'))?.consent).toMatchObject({ given: false, source: FILE1 });
  });
});
