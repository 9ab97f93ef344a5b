import type { FeedbackKind } from './ses-event.ts';

const DAY_MS = 86_400_000;

/** The e-mail engagement facts a segment sees as `engagement.*`. */
export interface EngagementFacts {
  readonly lastOpenAt?: string;
  readonly lastClickAt?: string;
  readonly opens30d: number;
  readonly clicks30d: number;
  readonly sends30d: number;
}

export interface EngagementEvent {
  readonly kind: FeedbackKind;
  readonly at: string;
}

/**
 * Engagement of one customer as of `now`, recomputed from their stored feedback events (never
 * incremented, so a re-delivered event changes nothing). Events after `now` are ignored, which
 * keeps replays of history honest.
 */
export function engagementFacts(events: readonly EngagementEvent[], now: Date, windowDays = 30): EngagementFacts {
  const to = now.getTime();
  const from = to - windowDays * DAY_MS;
  let lastOpenAt: string | undefined;
  let lastClickAt: string | undefined;
  let opens30d = 0, clicks30d = 0, sends30d = 0;
  for (const { kind, at } of events) {
    const t = Date.parse(at);
    if (Number.isNaN(t) || t > to) continue;
    const recent = t > from;
    if (kind === 'open') {
      if (lastOpenAt === undefined || at > lastOpenAt) lastOpenAt = at;
      if (recent) opens30d++;
    } else if (kind === 'click') {
      if (lastClickAt === undefined || at > lastClickAt) lastClickAt = at;
      if (recent) clicks30d++;
    } else if (kind === 'send' && recent) {
      sends30d++;
    }
  }
  return { ...(lastOpenAt ? { lastOpenAt } : {}), ...(lastClickAt ? { lastClickAt } : {}), opens30d, clicks30d, sends30d };
}

const EVENT_TYPES: Partial<Readonly<Record<FeedbackKind, string>>> = { delivery: 'email_delivery', open: 'email_open', click: 'email_click' };

/**
 * SES feedback as the engagement events segment conditions count (email_delivery, email_open,
 * email_click, the names an events file uses too), so `engaged` and `unengaged` see both.
 */
export function feedbackAsEvents(events: readonly EngagementEvent[]): { type: string; occurredAt: string }[] {
  return events.flatMap(({ kind, at }) => {
    const type = EVENT_TYPES[kind];
    return type === undefined ? [] : [{ type, occurredAt: at }];
  });
}
