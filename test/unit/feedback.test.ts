import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../lib/project-root.ts';
import { InputError } from '../../functions/core/errors.ts';
import { parseSesEvent, suppresses, toFeedback } from '../../functions/core/feedback/ses-event.ts';
import { engagementFacts } from '../../functions/core/feedback/engagement.ts';
import { decideSending, windowDays, DEFAULT_GUARD_SETTINGS } from '../../functions/core/feedback/sending-guard.ts';

const fixture = (name: string): unknown =>
  JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, 'test', 'fixtures', 'ses-events', `${name}.json`), 'utf-8')) as unknown;
const MESSAGE = 'EXAMPLE7c191be45-e9aedb9a-02f9-4d12-a87d-dd0099a07f8a-000000';

describe('SES events as the configuration set publishes them (AWS documentation examples)', () => {
  it.each([
    ['send', 'send', '2016-10-14T05:02:16.645Z', undefined, false],
    ['delivery', 'delivery', '2016-10-19T23:21:04.133Z', undefined, false],
    ['bounce-permanent', 'hard-bounce', '2017-08-05T00:41:02.669Z', 'Permanent/General', true],
    ['bounce-transient', 'soft-bounce', '2017-08-05T00:41:02.669Z', 'Transient/MailboxFull', false],
    ['complaint', 'complaint', '2017-08-05T00:41:02.669Z', 'abuse', true],
    ['open', 'open', '2017-08-09T22:00:19.652Z', undefined, false],
    ['click', 'click', '2017-08-09T23:51:25.570Z', 'http://docs.aws.amazon.com/ses/latest/DeveloperGuide/send-email-smtp.html', false],
    ['rendering-failure', 'rendering-failure', '2018-01-22T18:43:06.197Z', 'MyTemplate', false],
  ])('%s → %s at %s', (name, kind, at, detail, suppressing) => {
    // Act
    const feedback = toFeedback(parseSesEvent(fixture(name), name).detail);

    // Assess
    expect(feedback).toEqual({ kind, messageId: MESSAGE, at, recipients: ['recipient@example.com'], ...(detail === undefined ? {} : { detail }) });
    expect(suppresses(feedback.kind)).toBe(suppressing);
  });

  it('refuses an event that is not from SES, naming the source', () => {
    expect(() => parseSesEvent({ source: 'aws.s3', 'detail-type': 'Object Created', detail: {} }, 'in message 7')).toThrow(InputError);
    expect(() => parseSesEvent({ source: 'aws.s3', 'detail-type': 'Object Created', detail: {} }, 'in message 7')).toThrow(/in message 7/);
  });

  it('refuses an SES event type it does not know rather than guessing', () => {
    const event = parseSesEvent(fixture('send'), 'send');
    expect(() => toFeedback({ ...event.detail, eventType: 'Teleport' })).toThrow('unknown SES event type "Teleport"');
  });

  it('reads identity notifications, which name the type notificationType', () => {
    const { eventType: _eventType, ...record } = parseSesEvent(fixture('bounce-permanent'), 'bounce').detail;
    expect(toFeedback({ ...record, notificationType: 'Bounce' }).kind).toBe('hard-bounce');
  });
});

describe('engagement facts for segments', () => {
  const now = new Date('2026-03-31T00:00:00Z');
  const events = [
    { kind: 'send' as const, at: '2026-03-30T10:00:00Z' },
    { kind: 'send' as const, at: '2026-02-01T10:00:00Z' }, // 58 days before: outside 30 days
    { kind: 'open' as const, at: '2026-03-30T11:00:00Z' },
    { kind: 'open' as const, at: '2026-02-01T11:00:00Z' },
    { kind: 'click' as const, at: '2026-02-01T11:01:00Z' },
    { kind: 'delivery' as const, at: '2026-03-30T10:00:03Z' },
    { kind: 'open' as const, at: '2026-04-02T00:00:00Z' }, // after now: a replay of history ignores it
  ];

  it('counts the last 30 days and remembers the latest open and click ever', () => {
    expect(engagementFacts(events, now)).toEqual({
      lastOpenAt: '2026-03-30T11:00:00Z',
      lastClickAt: '2026-02-01T11:01:00Z',
      opens30d: 1,
      clicks30d: 0,
      sends30d: 1,
    });
  });

  it('is all zeros for a customer never mailed', () => {
    expect(engagementFacts([], now)).toEqual({ opens30d: 0, clicks30d: 0, sends30d: 0 });
  });

  it('is the same whatever order the events arrive in', () => {
    expect(engagementFacts([...events].reverse(), now)).toEqual(engagementFacts(events, now));
  });
});

describe('sending guard', () => {
  const now = new Date('2026-03-31T15:00:00Z');
  const day = (d: string, sends: number, hardBounces: number, complaints: number) => ({ day: d, sends, hardBounces, complaints });

  it('looks at the 7 days ending today', () => {
    expect(windowDays(now, 7)).toEqual(['2026-03-25', '2026-03-26', '2026-03-27', '2026-03-28', '2026-03-29', '2026-03-30', '2026-03-31']);
  });

  it.each([
    { name: '5.0% bounces is at the limit, not past it', counts: [day('2026-03-31', 1000, 50, 0)], paused: false },
    { name: '5.1% bounces passes it', counts: [day('2026-03-31', 1000, 51, 0)], paused: true },
    { name: '0.1% complaints is at the limit', counts: [day('2026-03-31', 1000, 0, 1)], paused: false },
    { name: '0.2% complaints passes it', counts: [day('2026-03-31', 1000, 0, 2)], paused: true },
    { name: 'days before the window do not count', counts: [day('2026-03-24', 1000, 900, 0), day('2026-03-30', 1000, 10, 0)], paused: false },
    { name: 'the window adds its days up', counts: [day('2026-03-25', 500, 40, 0), day('2026-03-31', 500, 20, 0)], paused: true },
    { name: 'too few sends to judge', counts: [day('2026-03-31', 99, 50, 5)], paused: false },
  ])('$name → paused: $paused', ({ counts, paused }) => {
    expect(decideSending(counts, now).paused).toBe(paused);
  });

  it('says why and with which figures', () => {
    const decision = decideSending([day('2026-03-30', 1200, 70, 1)], now);
    expect(decision).toEqual({
      paused: true,
      reasons: ['bounce rate 5.83% over 7 days passes 5.00%'],
      sends: 1200,
      hardBounces: 70,
      complaints: 1,
      bounceRate: 70 / 1200,
      complaintRate: 1 / 1200,
      window: { from: '2026-03-25', to: '2026-03-31' },
    });
  });

  it('defaults to the levels SES advises', () => {
    expect(DEFAULT_GUARD_SETTINGS).toEqual({ maxBounceRate: 0.05, maxComplaintRate: 0.001, windowDays: 7, minSends: 100 });
  });
});
