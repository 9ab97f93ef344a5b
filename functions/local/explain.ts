import { dynamoDocumentClient } from '../adapters/aws-clients.ts';
import { dynamoCustomerStore, type Profile } from '../adapters/customer-store.ts';
import type { Reason } from '../core/segments/evaluate.ts';
import type { Transition } from '../core/segments/assign.ts';
import type { ConsentChange } from '../core/contact-merge.ts';
import type { LocalStack } from './local-stack.ts';
import { describeReason } from './segments-command.ts';

export interface Explanation {
  readonly customerId: string;
  readonly profile: Profile | null;
  readonly orders: { readonly count: number; readonly revenue: number; readonly first: string | null; readonly last: string | null };
  readonly segments: readonly { readonly name: string; readonly since: string; readonly why: readonly Reason[] }[];
  /** Every enter and exit recorded for the customer, oldest first. */
  readonly transitions: readonly Transition[];
  /** Marketing consent in force (null: never stated), when it last changed, from which file, and its changes oldest first. */
  readonly consent: { readonly given: boolean | null; readonly changedAt: string | null; readonly source: string | null; readonly history: readonly ConsentChange[] };
}

/** The single customer view of one customer, the segments they are in and why (DESIGN.md `explain`). */
export async function explainCustomer(stack: LocalStack, customerId: string): Promise<Explanation | undefined> {
  const store = dynamoCustomerStore(dynamoDocumentClient(), stack.tableName);
  const { profile, memberships, transitions } = await store.loadCustomer(customerId);
  if (profile === undefined) return undefined;
  const aggregates = profile.orders;
  return {
    customerId,
    profile,
    orders: {
      count: aggregates?.orders ?? 0,
      revenue: aggregates?.revenue ?? 0,
      first: aggregates?.firstOrderAt ?? null,
      last: aggregates?.lastOrderAt ?? null,
    },
    segments: memberships.map((m) => ({ name: m.segment, since: m.since, why: m.why })),
    transitions: transitions ?? [],
    consent: {
      given: profile.contact?.consent ?? null,
      changedAt: profile.contact?.consentAt ?? null,
      source: profile.contact?.consentSource ?? null,
      history: profile.contact?.consentHistory ?? [],
    },
  };
}

export function formatExplanation(e: Explanation): string {
  const contact = e.profile?.contact;
  const lines = [
    `customer ${e.customerId}${contact?.firstName ? ` (${contact.firstName})` : ''}`,
    `  orders    ${e.orders.count}, revenue ${e.orders.revenue.toFixed(2)}, first ${e.orders.first?.slice(0, 10) ?? '-'}, last ${e.orders.last?.slice(0, 10) ?? '-'}`,
    `  contact   ${contact?.email ? 'e-mail on file' : 'no e-mail'}${contact?.consent === false ? ', opted out' : ''}${contact?.country ? `, ${contact.country}` : ''}`,
    `  consent   ${describeConsent(e.consent)}`,
    e.segments.length === 0 ? '  segments  none' : '  segments',
    ...e.segments.map(
      (s) => `    ${s.name} since ${s.since.slice(0, 10)}: ${s.why.map(describeReason).join('; ')}`,
    ),
    ...(e.transitions.length === 0 ? [] : ['  history', ...e.transitions.map((t) => `    ${t.at.slice(0, 10)} ${t.change === 'enter' ? 'entered' : 'left'} ${t.segment}${t.from ? ` (from ${t.from})` : ''}${t.to ? ` (to ${t.to})` : ''}`)]),
  ];
  return lines.join('\n');
}

function describeConsent(consent: Explanation['consent']): string {
  if (consent.given === null) return 'not stated';
  const state = consent.given ? 'opted in' : 'opted out';
  // Consent stored before change times were kept has neither a time nor a source.
  if (consent.changedAt === null) return state;
  return `${state} since ${consent.changedAt}${consent.source === null ? '' : ` (${consent.source})`}`;
}
