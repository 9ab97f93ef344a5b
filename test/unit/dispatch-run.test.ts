import { describe, expect, it } from 'vitest';
import { Logger } from '@aws-lambda-powertools/logger';
import { parseCampaign, type Campaign } from '../../functions/core/campaign.ts';
import { emailHash } from '../../functions/core/privacy.ts';
import { memoryCampaignStore, type MemoryCampaignStore } from '../../functions/adapters/campaign-store.ts';
import { BulkSendError, type BulkSendRequest, type EntryResult, type Mailer } from '../../functions/adapters/ports/mailer.ts';
import { createRateLimiter, type Clock } from '../../functions/campaign-dispatch/rate-limiter.ts';
import { runCampaigns, type DispatchDeps, type DispatchEvent } from '../../functions/campaign-dispatch/run-campaigns.ts';

const now = new Date('2024-05-14T15:00:00Z');
const logger = new Logger({ serviceName: 'test', logLevel: 'SILENT' });

const campaign = (name: string, overrides: Record<string, unknown> = {}): Campaign =>
  parseCampaign({ name, segments: ['first-time-buyers'], trigger: { type: 'enter' }, content: { subject: 's', mjml: 'm.mjml', text: 't' }, holdout: 0, ...overrides }, `${name}.json`);

/** A clock that moves only when slept on, so rate and backoff cost no real time. */
function fakeClock(): Clock & { slept: number[] } {
  let t = 0;
  const slept: number[] = [];
  return { slept, now: () => t, sleep: async (ms) => { slept.push(ms); t += ms; } };
}

/** A Mailer port that answers from a script per call: SES's per-entry statuses cannot be provoked on the emulator. */
function scriptedMailer(script: (call: number, request: BulkSendRequest) => EntryResult[] | Error = (_c, r) => r.entries.map((e) => ({ customerId: e.customerId, status: 'SUCCESS', messageId: `m-${e.customerId}` }))) {
  const calls: BulkSendRequest[] = [];
  const mailer: Mailer = {
    async sendBulk(request) {
      calls.push(request);
      const answer = script(calls.length, request);
      if (answer instanceof Error) throw answer;
      return answer;
    },
    maxSendRate: async () => 100,
  };
  return { mailer, calls };
}

function setup(n: number, options: { zone?: string; campaigns?: Campaign[]; mailer?: Mailer; rate?: number; members?: Record<string, string[]> } = {}) {
  const store = memoryCampaignStore();
  for (let i = 1; i <= n; i++) {
    store.addRecipient({
      customerId: String(i), contact: { email: `c${i}@example.com`, firstName: `C${i}`, ...(options.zone ? { timezone: options.zone } : {}) },
      memberSince: { 'first-time-buyers': '2024-05-14T00:00:00.000Z', vip: '2024-05-14T00:00:00.000Z' },
    });
  }
  const ids = Array.from({ length: n }, (_, i) => String(i + 1));
  const clock = fakeClock();
  const { mailer, calls } = scriptedMailer();
  const deps: DispatchDeps = {
    catalog: options.campaigns ?? [campaign('second-purchase')],
    store,
    members: async function* (segment) { yield options.members?.[segment] ?? ids; },
    mailer: options.mailer ?? mailer,
    limiter: createRateLimiter(options.rate ?? 100, clock),
    clock, logger, from: 'shop@example.com', configurationSet: undefined, policy: { defaultTimeZone: 'UTC', capCount: 3, capDays: 7 }, staleClaimMinutes: 30,
    unsubscribe: { baseUrl: 'https://u.example.com/', key: 'k'.repeat(64) }, issuedAt: now,
  };
  return { store, deps, calls, clock };
}

const transitions: DispatchEvent = { trigger: 'transitions' };
const statuses = (store: MemoryCampaignStore) => store.entries().reduce<Record<string, number>>((acc, e) => ({ ...acc, [e.status]: (acc[e.status] ?? 0) + 1 }), {});

describe('a dispatch run', () => {
  it('sends members who entered in calls of at most 50, each with its own unsubscribe headers, and records them SENT', async () => {
    // Prepare
    const { store, deps, calls } = setup(120);

    // Act
    const [summary] = await runCampaigns(deps, transitions, now);

    // Assess
    expect(summary).toMatchObject({ campaign: 'second-purchase', candidates: 120, sent: 120, bulkCalls: 3 });
    expect(calls.map((c) => c.entries.length)).toEqual([50, 50, 20]);
    const headers = calls[0]?.entries[0]?.headers;
    expect(headers?.map((h) => h.name)).toEqual(['List-Unsubscribe', 'List-Unsubscribe-Post']);
    expect(new Set(calls.flatMap((c) => c.entries.map((e) => e.headers[0]?.value))).size).toBe(120);
    expect(statuses(store)).toEqual({ SENT: 120 });
  });

  it('never sends twice: a second run finds everyone in the ledger', async () => {
    const { deps, calls } = setup(60);
    await runCampaigns(deps, transitions, now);
    const [again] = await runCampaigns(deps, { trigger: 'transitions', since: '2024-01-01' }, now);
    expect(again).toMatchObject({ sent: 0, alreadySent: 60, bulkCalls: 0 });
    expect(calls).toHaveLength(2);
  });

  it('keeps calls within the rate: 50 at 20/s take 2.5 s of clock, and calls shrink to a second of quota', async () => {
    const { deps, calls, clock } = setup(100, { rate: 20 });
    await runCampaigns(deps, transitions, now);
    expect(calls.map((c) => c.entries.length)).toEqual([20, 20, 20, 20, 20]);
    expect(clock.now()).toBe(4_000);
  });

  it('retries only throttling and transient failures, with backoff, and records permanent failures', async () => {
    // Prepare: call 1 throttled as a whole; call 2: entry 1 transient, entry 2 rejected; call 3 (the retry) succeeds.
    const { mailer, calls } = scriptedMailer((call, request) => {
      if (call === 1) return new BulkSendError('throttled', 'TooManyRequestsException: slow down');
      return request.entries.map((e) => ({
        customerId: e.customerId,
        status: call === 2 && e.customerId === '1' ? 'TRANSIENT_FAILURE' : call === 2 && e.customerId === '2' ? 'MESSAGE_REJECTED' : 'SUCCESS',
        ...(call === 2 && e.customerId === '2' ? { error: 'Email address is on the suppression list' } : { messageId: `m-${e.customerId}-${call}` }),
      }));
    });
    const { store, deps, clock } = setup(3, { mailer });

    // Act
    const [summary] = await runCampaigns(deps, transitions, now);

    // Assess
    expect(calls.map((c) => c.entries.map((e) => e.customerId))).toEqual([['1', '2', '3'], ['1', '2', '3'], ['1']]);
    expect(summary).toMatchObject({ sent: 2, failed: 1, retried: 4, bulkCalls: 3 });
    expect(store.entries().find((e) => e.customerId === '2')).toMatchObject({ status: 'FAILED', error: 'MESSAGE_REJECTED: Email address is on the suppression list' });
    expect(store.entries().find((e) => e.customerId === '1')).toMatchObject({ status: 'SENT', messageId: 'm-1-3' });
    expect(clock.slept.length).toBeGreaterThanOrEqual(2);
  });

  it('records a call SES never answered as UNCERTAIN and does not resend it, ever', async () => {
    const { mailer } = scriptedMailer(() => new BulkSendError('ambiguous', 'TimeoutError: socket hang up'));
    const { store, deps } = setup(2, { mailer });
    const [summary] = await runCampaigns(deps, transitions, now);
    expect(summary).toMatchObject({ sent: 0, uncertain: 2, bulkCalls: 1 });
    expect(statuses(store)).toEqual({ UNCERTAIN: 2 });
    const later = new Date(now.getTime() + 86_400_000);
    const [next] = await runCampaigns({ ...deps, mailer: scriptedMailer().mailer }, { trigger: 'transitions', since: '2024-01-01' }, later);
    expect(next).toMatchObject({ sent: 0, alreadySent: 2 });
  });

  it('defers customers at night where they live and sends them on the run after their window opens', async () => {
    const { store, deps } = setup(4, { zone: 'Asia/Tokyo' });
    const [first] = await runCampaigns(deps, transitions, now);
    expect(first).toMatchObject({ sent: 0, deferred: 4 });
    expect(store.entries().every((e) => e.status === 'DEFERRED' && e.notBefore === '2024-05-15T00:00:00.000Z')).toBe(true);

    const [early] = await runCampaigns(deps, { trigger: 'schedule' }, new Date('2024-05-14T23:00:00Z'));
    expect(early).toMatchObject({ sent: 0, alreadySent: 4 });
    const [sweep] = await runCampaigns(deps, { trigger: 'schedule' }, new Date('2024-05-15T00:05:00Z'));
    expect(sweep).toMatchObject({ sent: 4, resumed: 4 });
    expect(statuses(store)).toEqual({ SENT: 4 });
  });

  it('resends a claim whose run died before calling SES, and only after the stale time', async () => {
    const { store, deps, calls } = setup(1);
    await store.claim({ customerId: '1', campaign: 'second-purchase', status: 'CLAIMED', marketing: true }, new Date(now.getTime() - 10 * 60_000));
    const [soon] = await runCampaigns(deps, transitions, now);
    expect(soon).toMatchObject({ sent: 0, alreadySent: 1 });
    const [later] = await runCampaigns(deps, { trigger: 'schedule' }, new Date(now.getTime() + 25 * 60_000));
    expect(later).toMatchObject({ sent: 1, resumed: 1 });
    expect(calls).toHaveLength(1);
  });

  it('marks SENDING entries of a dead run UNCERTAIN instead of sending them again', async () => {
    const { store, deps, calls } = setup(1);
    await store.write([{ customerId: '1', campaign: 'second-purchase', status: 'SENDING', marketing: true, claimedAt: '2024-05-14T14:00:00.000Z' }]);
    const [summary] = await runCampaigns(deps, { trigger: 'schedule' }, now);
    expect(summary).toMatchObject({ abandoned: 1, sent: 0 });
    expect(statuses(store)).toEqual({ UNCERTAIN: 1 });
    expect(calls).toHaveLength(0);
  });

  it('records the holdout in the ledger as HOLDOUT and sends the rest', async () => {
    const { store, deps } = setup(1_000, { campaigns: [campaign('second-purchase', { holdout: 0.2 })] });
    const [summary] = await runCampaigns(deps, transitions, now);
    expect(summary?.holdout).toBeGreaterThan(150);
    expect(summary?.holdout).toBeLessThan(250);
    expect(statuses(store)).toEqual({ HOLDOUT: summary?.holdout, SENT: 1_000 - (summary?.holdout ?? 0) });
  });

  it('gives a customer in two campaigns of one run only the higher-priority one', async () => {
    const high = campaign('vip-first', { segments: ['vip'], priority: 200 });
    const low = campaign('second-purchase', { priority: 50 });
    const { deps } = setup(10, { campaigns: [low, high], members: { vip: ['1', '2', '3'] } });
    const summaries = await runCampaigns(deps, transitions, now);
    expect(summaries.map((s) => [s.campaign, s.sent, s.outranked])).toEqual([['vip-first', 3, 0], ['second-purchase', 7, 3]]);
  });

  it('caps marketing e-mail across campaigns at three in seven days', async () => {
    const { store, deps } = setup(2);
    for (const name of ['a', 'b', 'c']) await store.write([{ customerId: '1', campaign: name, status: 'SENT', marketing: true, claimedAt: '2024-05-12T10:00:00.000Z', sentAt: '2024-05-12T10:00:00.000Z' }]);
    const [summary] = await runCampaigns(deps, transitions, now);
    expect(summary).toMatchObject({ sent: 1, capped: 1 });
  });

  it('skips suppressed addresses, refused consent and missing addresses', async () => {
    const { store, deps } = setup(3);
    store.suppressHash(emailHash('c1@example.com'));
    store.addRecipient({ customerId: '2', contact: { email: 'c2@example.com', consent: false }, memberSince: { 'first-time-buyers': '2024-05-14T00:00:00.000Z' } });
    store.addRecipient({ customerId: '3', contact: {}, memberSince: { 'first-time-buyers': '2024-05-14T00:00:00.000Z' } });
    const [summary] = await runCampaigns(deps, transitions, now);
    expect(summary).toMatchObject({ sent: 0, suppressed: 2, noAddress: 1 });
    expect(store.entries()).toEqual([]);
  });

  it('takes entering customers from the transitions in the event, and exit campaigns only from them', async () => {
    const exit = campaign('goodbye', { trigger: { type: 'exit' } });
    const { deps } = setup(5, { campaigns: [campaign('second-purchase'), exit] });
    const summaries = await runCampaigns(deps, {
      trigger: 'transitions',
      transitions: [
        { customerId: '1', segment: 'first-time-buyers', change: 'enter' },
        { customerId: '2', segment: 'first-time-buyers', change: 'exit' },
        { customerId: '3', segment: 'vip', change: 'enter' },
      ],
    }, now);
    expect(summaries.map((s) => [s.campaign, s.sent])).toEqual([['goodbye', 1], ['second-purchase', 1]]);
  });

  it('counts only members whose entry (plus the step delay) falls since the last run', async () => {
    const later = campaign('second-step', { trigger: { type: 'enter', delayDays: 3 } });
    const { deps } = setup(2, { campaigns: [campaign('second-purchase'), later] });
    const day0 = await runCampaigns(deps, transitions, now);
    expect(day0.map((s) => [s.campaign, s.sent])).toEqual([['second-purchase', 2], ['second-step', 0]]);
    const day3 = await runCampaigns(deps, transitions, new Date('2024-05-17T15:00:00Z'));
    expect(day3.map((s) => [s.campaign, s.sent, s.alreadySent])).toEqual([['second-purchase', 0, 0], ['second-step', 2, 0]]);
  });

  it('sends a broadcast only when its schedule names it', async () => {
    const weekly = campaign('weekly', { trigger: { type: 'broadcast', cron: '0 9 ? * TUE *', timeZone: 'UTC' } });
    const { deps } = setup(3, { campaigns: [weekly] });
    expect((await runCampaigns(deps, { trigger: 'schedule' }, now))[0]).toMatchObject({ sent: 0 });
    expect((await runCampaigns(deps, transitions, now))[0]).toMatchObject({ sent: 0 });
    expect((await runCampaigns(deps, { trigger: 'schedule', campaigns: ['weekly'] }, now))[0]).toMatchObject({ sent: 3 });
  });

  it('refuses unknown campaign names', async () => {
    const { deps } = setup(1);
    await expect(runCampaigns(deps, { trigger: 'schedule', campaigns: ['nope'] }, now)).rejects.toThrow('unknown campaign(s) nope; known: second-purchase');
  });
});

describe('dispatch honours the suppression entries of the customer, not only of the address', () => {
  it.each([
    { name: 'nothing on file', prepare: () => undefined, mailed: true },
    { name: 'id unsubscribed', prepare: (s: MemoryCampaignStore) => s.suppressCustomer('1', 'unsubscribed'), mailed: false },
    { name: 'id erased', prepare: (s: MemoryCampaignStore) => s.suppressCustomer('1', 'erased'), mailed: false },
    { name: 'former address unsubscribed', prepare: (s: MemoryCampaignStore) => (s.addPastAddress('1', emailHash('old@example.com')), s.suppressHash(emailHash('old@example.com'), 'unsubscribed')), mailed: false },
    { name: 'former address bounced', prepare: (s: MemoryCampaignStore) => (s.addPastAddress('1', emailHash('old@example.com')), s.suppressHash(emailHash('old@example.com'), 'bounced')), mailed: true },
  ])('$name → mailed: $mailed', async ({ prepare, mailed }) => {
    // Prepare
    const { store, deps, calls } = setup(1);
    prepare(store);

    // Act
    const [summary] = await runCampaigns(deps, transitions, now);

    // Assess
    expect(summary).toMatchObject({ sent: mailed ? 1 : 0, suppressed: mailed ? 0 : 1 });
    expect(calls.flatMap((c) => c.entries.map((e) => e.email))).toEqual(mailed ? ['c1@example.com'] : []);
  });
});

describe('campaigns held back at run time', () => {
  it('skips a paused or refused campaign with its reason in the summary and still runs the others', async () => {
    // Prepare
    const { deps, calls } = setup(3, { campaigns: [campaign('second-purchase')] });
    const held = new Map([['vip-early-access', 'paused'], ['broken', 'definition refused: invalid campaign broken.json: trigger: Invalid input']]);

    // Act
    const summaries = await runCampaigns({ ...deps, held }, transitions, now);

    // Assess
    expect(summaries.map((s) => [s.campaign, s.skipped])).toEqual([
      ['broken', 'definition refused: invalid campaign broken.json: trigger: Invalid input'],
      ['vip-early-access', 'paused'],
      ['second-purchase', undefined],
    ]);
    expect(summaries.find((s) => s.campaign === 'second-purchase')?.sent).toBe(3);
    expect(calls).toHaveLength(1);
  });

  it('takes a held campaign named by its schedule as skipped, not as unknown; an unknown name still fails', async () => {
    const { deps } = setup(2);
    const [summary] = await runCampaigns({ ...deps, held: new Map([['weekly', 'paused']]) }, { trigger: 'schedule', campaigns: ['weekly'] }, now);
    expect(summary).toMatchObject({ campaign: 'weekly', skipped: 'paused', sent: 0 });
    await expect(runCampaigns(deps, { trigger: 'schedule', campaigns: ['nope'] }, now)).rejects.toThrow(/unknown campaign\(s\) nope/);
  });

  it('skips a campaign whose template cannot be prepared, and sends nothing for it', async () => {
    const { deps, calls, store } = setup(2);
    const [summary] = await runCampaigns({ ...deps, prepare: async () => 'no compiled HTML config/campaigns/second-purchase.html' }, transitions, now);
    expect(summary).toMatchObject({ skipped: 'no compiled HTML config/campaigns/second-purchase.html', sent: 0, candidates: 0 });
    expect(calls).toHaveLength(0);
    expect(store.entries()).toEqual([]);
  });
});

describe('decisions that leave no ledger entry', () => {
  it('are recorded once per customer and campaign as skip records (suppressed, no address, outranked), never as ledger entries', async () => {
    // Prepare: customer 1 suppressed, 2 without address, 3 taken by a campaign of higher priority.
    const { deps, store } = setup(3, { campaigns: [campaign('second-purchase', { priority: 10 }), campaign('vip-early-access', { priority: 900, segments: ['vip'] })], members: { vip: ['3'], 'first-time-buyers': ['1', '2', '3'] } });
    store.suppressHash(emailHash('c1@example.com'));
    store.addRecipient({ customerId: '2', contact: {}, memberSince: { 'first-time-buyers': '2024-05-14T00:00:00.000Z' } });

    // Act: twice, so a second run overwrites rather than adds.
    await runCampaigns(deps, transitions, now);
    await runCampaigns(deps, { trigger: 'transitions', since: '2024-01-01' }, now);

    // Assess
    const skips = store.skips().filter((s) => s.campaign === 'second-purchase').map((s) => [s.customerId, s.decision]).sort();
    expect(skips).toEqual([['1', 'suppressed'], ['2', 'no-address'], ['3', 'outranked']]);
    // A skip record blocks nothing: in the second run the VIP e-mail had gone, so customer 3 got this one.
    expect(store.entries().map((e) => [e.customerId, e.campaign, e.status]).sort()).toEqual([['3', 'second-purchase', 'SENT'], ['3', 'vip-early-access', 'SENT']]);
  });
});
