import type { FeedbackKind } from '../feedback/ses-event.ts';
import { differenceOfProportions, welchDifferenceOfMeans, type Interval } from './stats.ts';

const DAY_MS = 86_400_000;
export const DEFAULT_ATTRIBUTION_DAYS = 7;

/** One row of the send ledger: a customer mailed (or held out of) a campaign. */
export interface LedgerSend {
  readonly customerId: string;
  readonly campaign: string;
  /** The segment the campaign targeted when the customer was picked. */
  readonly segment: string;
  /** SENT, HOLDOUT (picked but deliberately not mailed), or a failure status. */
  readonly status: string;
  /** When the send was claimed: the start of the attribution window. */
  readonly at: string;
}

export interface LedgerOrder {
  readonly customerId: string;
  readonly orderedAt: string;
  /** Net amount of the order line (cancellations are negative). */
  readonly amount: number;
}

/** A feedback event already matched to its send through the message id. */
export interface LedgerFeedback {
  readonly customerId: string;
  readonly campaign: string;
  readonly kind: FeedbackKind;
}

export interface GroupMetrics {
  /** Customers in the group: mailed ones for the treatment, held-out ones for the holdout. */
  readonly recipients: number;
  readonly sent: number;
  readonly delivered: number;
  readonly opened: number;
  readonly clicked: number;
  readonly converted: number;
  readonly revenue: number;
  readonly conversionRate: number;
  readonly revenuePerRecipient: number;
}

export interface CampaignPerformance {
  readonly campaign: string;
  readonly segment: string;
  readonly treatment: GroupMetrics;
  readonly holdout: GroupMetrics;
  /** Whether the mailed or the held-out group is under MIN_CONCLUSIVE_GROUP customers: too few to conclude anything from. */
  readonly tooSmall: boolean;
  /** Treatment minus holdout, with 95% intervals; undefined without a holdout group. */
  readonly uplift: {
    readonly conversionRate: Interval | undefined;
    readonly revenuePerRecipient: Interval | undefined;
  };
}

/** Below this many customers in the mailed or held-out group, the report says there are too few to conclude. */
export const MIN_CONCLUSIVE_GROUP = 30;

const HOLDOUT_STATUS = 'HOLDOUT';
const SENT_STATUS = 'SENT';

/**
 * Credits each customer's orders in (send, send + window] to the campaign, for mailed and held-out
 * customers alike, so the holdout shows what would have happened anyway. Sends that failed are
 * left out of both groups. Per campaign and segment, with the uplift over the holdout.
 */
export function attribute(
  sends: readonly LedgerSend[],
  orders: readonly LedgerOrder[],
  feedback: readonly LedgerFeedback[],
  windowDays = DEFAULT_ATTRIBUTION_DAYS,
): CampaignPerformance[] {
  const ordersByCustomer = new Map<string, LedgerOrder[]>();
  for (const o of orders) ordersByCustomer.set(o.customerId, [...(ordersByCustomer.get(o.customerId) ?? []), o]);
  const kindsBySend = new Map<string, Set<FeedbackKind>>();
  for (const f of feedback) {
    const key = sendKey(f.customerId, f.campaign);
    kindsBySend.set(key, (kindsBySend.get(key) ?? new Set()).add(f.kind));
  }

  interface Outcome { kinds: Set<FeedbackKind>; converted: boolean; revenue: number }
  const groups = new Map<string, { campaign: string; segment: string; treatment: Outcome[]; holdout: Outcome[] }>();
  for (const send of sends) {
    const held = send.status === HOLDOUT_STATUS;
    if (!held && send.status !== SENT_STATUS) continue;
    const start = Date.parse(send.at);
    const end = start + windowDays * DAY_MS;
    let revenue = 0;
    let converted = false;
    for (const o of ordersByCustomer.get(send.customerId) ?? []) {
      const t = Date.parse(o.orderedAt);
      if (t <= start || t > end) continue;
      revenue += o.amount;
      if (o.amount >= 0) converted = true;
    }
    const key = `${send.campaign}\u001f${send.segment}`;
    const group = groups.get(key) ?? { campaign: send.campaign, segment: send.segment, treatment: [], holdout: [] };
    groups.set(key, group);
    const outcome = { kinds: kindsBySend.get(sendKey(send.customerId, send.campaign)) ?? new Set<FeedbackKind>(), converted, revenue: Math.max(0, revenue) };
    (held ? group.holdout : group.treatment).push(outcome);
  }

  const metrics = (outcomes: readonly Outcome[], mailed: boolean): GroupMetrics => {
    const has = (kind: FeedbackKind) => outcomes.filter((o) => o.kinds.has(kind)).length;
    const recipients = outcomes.length;
    const converted = outcomes.filter((o) => o.converted).length;
    const revenue = round2(outcomes.reduce((sum, o) => sum + o.revenue, 0));
    return {
      recipients,
      sent: mailed ? recipients : 0,
      delivered: has('delivery'),
      opened: has('open'),
      clicked: has('click'),
      converted,
      revenue,
      conversionRate: recipients === 0 ? 0 : converted / recipients,
      revenuePerRecipient: recipients === 0 ? 0 : revenue / recipients,
    };
  };

  return [...groups.values()]
    .sort((a, b) => a.campaign.localeCompare(b.campaign) || a.segment.localeCompare(b.segment))
    .map(({ campaign, segment, treatment, holdout }) => {
      const t = metrics(treatment, true);
      const h = metrics(holdout, false);
      return {
        campaign,
        segment,
        treatment: t,
        holdout: h,
        tooSmall: t.recipients < MIN_CONCLUSIVE_GROUP || h.recipients < MIN_CONCLUSIVE_GROUP,
        uplift: {
          conversionRate: differenceOfProportions(t.converted, t.recipients, h.converted, h.recipients),
          revenuePerRecipient: welchDifferenceOfMeans(treatment.map((o) => o.revenue), holdout.map((o) => o.revenue)),
        },
      };
    });
}

function sendKey(customerId: string, campaign: string): string {
  return `${customerId}\u001f${campaign}`;
}

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}
