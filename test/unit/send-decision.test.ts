import { describe, expect, it } from 'vitest';
import { parseCampaign } from '../../functions/core/campaign.ts';
import { decide, inHoldout, type DecisionInput, type LedgerEntry, type SendPolicy } from '../../functions/core/send-decision.ts';

const campaign = parseCampaign(
  { name: 'second-purchase', segments: ['first-time-buyers'], trigger: { type: 'enter' }, content: { subject: 's', mjml: 'm.mjml', text: 't' }, holdout: 0.1 },
  'c.json',
);
const noHoldout = { ...campaign, holdout: 0 };
// 15:00 UTC: 10:00 in Chicago, 17:00 in Berlin, 20:00 in Karachi, 00:00 in Tokyo.
const now = new Date('2024-05-14T15:00:00Z');

// The dispatch functions' defaults: FREQUENCY_CAP 3/7, DEFAULT_TIMEZONE UTC.
const policy: SendPolicy = { defaultTimeZone: 'UTC', capCount: 3, capDays: 7 };

const base: DecisionInput = {
  campaign: noHoldout, customerId: '42', email: 'ada@example.com', consent: true, suppressed: false, ledger: [], takenThisRun: false,
  timeZone: 'America/Chicago', lastOpenAt: undefined, now, staleBefore: new Date(now.getTime() - 30 * 60_000), policy,
};

const sent = (campaignName: string, daysAgo: number, status: LedgerEntry['status'] = 'SENT', marketing = true): LedgerEntry => ({
  customerId: '42', campaign: campaignName, status, marketing, claimedAt: new Date(now.getTime() - daysAgo * 86_400_000).toISOString(),
});

describe('holdout', () => {
  it('draws a customer the same way on every run, and independently per campaign', () => {
    // Prepare
    const ids = Array.from({ length: 1_000 }, (_, i) => String(i));
    const heldOutOf = (name: string) => ids.filter((id) => decide({ ...base, campaign: { ...campaign, name, holdout: 0.5 }, customerId: id }).kind === 'holdout');

    // Act
    const winBack = heldOutOf('win-back');

    // Assess
    expect(heldOutOf('win-back')).toEqual(winBack);
    expect(heldOutOf('save-offer')).not.toEqual(winBack);
  });

  it('holds out close to the configured share of 100,000 customers', () => {
    const held = Array.from({ length: 100_000 }, (_, i) => inHoldout({ name: 'win-back', holdout: 0.1 }, String(i))).filter(Boolean).length;
    expect(held / 100_000).toBeGreaterThan(0.097);
    expect(held / 100_000).toBeLessThan(0.103);
  });
});

describe('local send window', () => {
  const windowAt = (startHour: number) => ({ ...noHoldout, timing: { sendWindow: { startHour, endHour: startHour + 1 }, bestHour: false } });

  it.each([
    { zone: 'America/Chicago', hour: 10 },
    { zone: 'Europe/Berlin', hour: 17 },
    { zone: 'Asia/Tokyo', hour: 0 },
  ])('reads the local hour in $zone as $hour: a one-hour window then sends, the next hour\'s waits', ({ zone, hour }) => {
    expect(decide({ ...base, campaign: windowAt(hour), timeZone: zone }).kind).toBe('send');
    expect(decide({ ...base, campaign: windowAt(hour + 1), timeZone: zone }).kind).toBe('defer');
  });

  it.each([
    { label: 'inside the window', zone: 'America/Chicago', lastOpenAt: undefined, expected: 'send' },
    { label: 'before the window (quiet hours)', zone: 'Asia/Tokyo', lastOpenAt: undefined, expected: { notBefore: '2024-05-15T00:00:00.000Z', reason: 'quiet-hours' } },
    { label: 'after the window (quiet hours)', zone: 'Asia/Karachi', lastOpenAt: undefined, expected: { notBefore: '2024-05-15T04:00:00.000Z', reason: 'quiet-hours' } },
    { label: 'before the hour of the last open', zone: 'America/Chicago', lastOpenAt: '2024-05-01T19:30:00Z', expected: { notBefore: '2024-05-14T19:00:00.000Z', reason: 'best-hour' } },
    { label: 'after the hour of the last open', zone: 'America/Chicago', lastOpenAt: '2024-05-01T14:10:00Z', expected: 'send' },
    { label: 'a last open in quiet hours is ignored', zone: 'America/Chicago', lastOpenAt: '2024-05-01T05:00:00Z', expected: 'send' },
  ])('$label', ({ zone, lastOpenAt, expected }) => {
    const decision = decide({ ...base, timeZone: zone, lastOpenAt });
    expect(decision.kind === 'defer' ? { notBefore: decision.notBefore.toISOString(), reason: decision.reason } : decision.kind).toEqual(expected);
  });

  it('ignores the best hour when the campaign turns it off', () => {
    const noBestHour = { ...noHoldout, timing: { ...campaign.timing, bestHour: false } };
    expect(decide({ ...base, campaign: noBestHour, lastOpenAt: '2024-05-01T19:30:00Z' }).kind).toBe('send');
  });
});

describe('frequency cap', () => {
  it('counts marketing e-mails that went or may have gone out within the window', () => {
    // Two count: a (sent yesterday) and b (uncertain, 6.9 days ago); c is too old, d, e and f are no marketing send.
    const ledger = [sent('a', 1), sent('b', 6.9, 'UNCERTAIN'), sent('c', 8), sent('d', 1, 'HOLDOUT'), sent('e', 1, 'FAILED'), sent('f', 1, 'SENT', false)];
    expect(decide({ ...base, ledger, policy: { ...policy, capCount: 2 } }).kind).toBe('capped');
    expect(decide({ ...base, ledger, policy: { ...policy, capCount: 3 } }).kind).toBe('send');
  });
});

describe('decide', () => {
  it.each<{ readonly label: string; readonly input: Partial<DecisionInput>; readonly kind: string }>([
    { label: 'a member with consent in their window', input: {}, kind: 'send' },
    { label: 'no address', input: { email: undefined }, kind: 'no-address' },
    { label: 'consent refused', input: { consent: false }, kind: 'suppressed' },
    { label: 'an address on the suppression list', input: { suppressed: true }, kind: 'suppressed' },
    { label: 'already sent this campaign', input: { ledger: [sent('second-purchase', 30)] }, kind: 'already' },
    { label: 'already held out of this campaign', input: { ledger: [sent('second-purchase', 30, 'HOLDOUT')] }, kind: 'already' },
    { label: 'a deferral not yet due', input: { ledger: [{ ...sent('second-purchase', 0, 'DEFERRED'), notBefore: '2024-05-14T16:00:00Z' }] }, kind: 'already' },
    { label: 'a due deferral', input: { ledger: [{ ...sent('second-purchase', 0.5, 'DEFERRED'), notBefore: '2024-05-14T14:00:00Z' }] }, kind: 'send' },
    { label: 'a claim of a run that died before SES', input: { ledger: [sent('second-purchase', 1, 'CLAIMED')] }, kind: 'send' },
    { label: 'a claim of a run still going', input: { ledger: [sent('second-purchase', 0.001, 'CLAIMED')] }, kind: 'already' },
    { label: 'an unanswered call (never again)', input: { ledger: [sent('second-purchase', 1, 'SENDING')] }, kind: 'already' },
    { label: 'taken by a higher-priority campaign', input: { takenThisRun: true }, kind: 'outranked' },
    { label: 'three marketing e-mails this week', input: { ledger: [sent('a', 1), sent('b', 2), sent('c', 3)] }, kind: 'capped' },
    { label: 'two marketing e-mails this week', input: { ledger: [sent('a', 1), sent('b', 2), sent('c', 9)] }, kind: 'send' },
    { label: 'night in their zone', input: { timeZone: 'Asia/Tokyo' }, kind: 'defer' },
    { label: 'no zone: the configured default', input: { timeZone: undefined, policy: { ...policy, defaultTimeZone: 'Asia/Tokyo' } }, kind: 'defer' },
  ])('$label → $kind', ({ input, kind }) => {
    expect(decide({ ...base, ...input }).kind).toBe(kind);
  });

  it('holds out the hashed share before the window, and never a resumed deferral', () => {
    const ids = Array.from({ length: 1_000 }, (_, i) => String(i));
    const held = ids.filter((id) => decide({ ...base, campaign, customerId: id }).kind === 'holdout');
    expect(held).toEqual(ids.filter((id) => inHoldout(campaign, id)));
    const deferred = { ...sent('second-purchase', 0.5, 'DEFERRED'), customerId: held[0] ?? '', notBefore: '2024-05-14T14:00:00Z' };
    expect(decide({ ...base, campaign, customerId: held[0] ?? '', ledger: [deferred] }).kind).toBe('send');
  });

  it('lets a transactional campaign through consent refusal and the cap', () => {
    const transactional = { ...noHoldout, marketing: false };
    expect(decide({ ...base, campaign: transactional, consent: false, ledger: [sent('a', 1), sent('b', 2), sent('c', 3)], takenThisRun: true }).kind).toBe('send');
  });
});
