import { describe, expect, it } from 'vitest';
import { Logger } from '@aws-lambda-powertools/logger';
import { parseCampaign } from '../../functions/core/campaign.ts';
import { DEFAULT_SEND_POLICY } from '../../functions/core/send-decision.ts';
import { emailHash } from '../../functions/core/privacy.ts';
import { memoryCampaignStore } from '../../functions/adapters/campaign-store.ts';
import type { BulkSendRequest, Mailer } from '../../functions/adapters/ports/mailer.ts';
import { createRateLimiter } from '../../functions/campaign-dispatch/rate-limiter.ts';
import { runCampaigns, type DispatchDeps } from '../../functions/campaign-dispatch/run-campaigns.ts';

const now = new Date('2024-05-14T15:00:00Z');
const campaign = parseCampaign({ name: 'second-purchase', segments: ['first-time-buyers'], trigger: { type: 'enter' }, content: { subject: 's', mjml: 'm.mjml', text: 't' }, holdout: 0 }, 'c.json');

describe('dispatch honours the suppression entries of the customer, not only of the address', () => {
  it.each([
    { name: 'nothing on file', prepare: () => undefined, mailed: true },
    { name: 'id unsubscribed', prepare: (s: ReturnType<typeof memoryCampaignStore>) => s.suppressCustomer('1', 'unsubscribed'), mailed: false },
    { name: 'id erased', prepare: (s: ReturnType<typeof memoryCampaignStore>) => s.suppressCustomer('1', 'erased'), mailed: false },
    { name: 'former address unsubscribed', prepare: (s: ReturnType<typeof memoryCampaignStore>) => (s.addPastAddress('1', emailHash('old@example.com')), s.suppressHash(emailHash('old@example.com'), 'unsubscribed')), mailed: false },
    { name: 'former address bounced', prepare: (s: ReturnType<typeof memoryCampaignStore>) => (s.addPastAddress('1', emailHash('old@example.com')), s.suppressHash(emailHash('old@example.com'), 'bounced')), mailed: true },
  ])('$name → mailed: $mailed', async ({ prepare, mailed }) => {
    // Prepare
    const store = memoryCampaignStore();
    store.addRecipient({ customerId: '1', contact: { email: 'new@example.com' }, memberSince: { 'first-time-buyers': '2024-05-14T00:00:00.000Z' } });
    prepare(store);
    const calls: BulkSendRequest[] = [];
    const mailer: Mailer = {
      async sendBulk(request) {
        calls.push(request);
        return request.entries.map((e) => ({ customerId: e.customerId, status: 'SUCCESS', messageId: `m-${e.customerId}` }));
      },
      maxSendRate: async () => 100,
    };
    const clock = { now: () => 0, sleep: async () => undefined };
    const deps: DispatchDeps = {
      catalog: [campaign], store, mailer, clock, members: async function* () { yield ['1']; },
      limiter: createRateLimiter(100, clock), logger: new Logger({ serviceName: 'test', logLevel: 'SILENT' }),
      from: 'shop@example.com', configurationSet: undefined, policy: DEFAULT_SEND_POLICY, staleClaimMinutes: 30,
      unsubscribe: { baseUrl: 'https://u.example.com/', key: 'k'.repeat(64) }, issuedAt: now,
    };

    // Act
    const [summary] = await runCampaigns(deps, { trigger: 'transitions' }, now);

    // Assess
    expect(summary).toMatchObject({ sent: mailed ? 1 : 0, suppressed: mailed ? 0 : 1 });
    expect(calls.flatMap((c) => c.entries.map((e) => e.email))).toEqual(mailed ? ['new@example.com'] : []);
  });
});
