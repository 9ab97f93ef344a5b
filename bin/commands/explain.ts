import { dynamoDocumentClient } from '../../functions/adapters/aws-clients.ts';
import { dynamoCustomerStore } from '../../functions/adapters/customer-store.ts';
import type { Profile } from '../../functions/adapters/ports/customers.ts';
import type { Reason } from '../../functions/core/segments/evaluate.ts';
import type { Transition } from '../../functions/core/segments/assign.ts';
import type { ConsentChange } from '../../functions/core/contact-merge.ts';
import type { StackNames } from './target.ts';
import { describeReason } from './segments.ts';
import { blockingSuppression, type SuppressionEntry } from '../../functions/core/suppression.ts';

export interface Explanation {
  readonly customerId: string;
  readonly profile: Profile | null;
  readonly orders: { readonly count: number; readonly revenue: number; readonly first: string | null; readonly last: string | null };
  readonly segments: readonly { readonly name: string; readonly since: string; readonly why: readonly Reason[] }[];
  /** Every enter and exit recorded for the customer, oldest first. */
  readonly transitions: readonly Transition[];
  /** Marketing consent in force (null: never stated), when it last changed, from which file, and its changes oldest first. */
  readonly consent: { readonly given: boolean | null; readonly changedAt: string | null; readonly source: string | null; readonly history: readonly ConsentChange[] };
  /** Suppression entries that concern the customer (by address hash or id), and the one that stops mail, if any. */
  readonly suppression: { readonly suppressed: boolean; readonly blockedBy: SuppressionEntry | null; readonly entries: readonly SuppressionEntry[] };
}

/** The single customer view of one customer, the segments they are in and why (DESIGN.md `explain`). */
export async function explainCustomer(stack: StackNames, customerId: string): Promise<Explanation | undefined> {
  const store = dynamoCustomerStore(dynamoDocumentClient(), stack.tableName);
  const [{ profile, memberships, transitions }, entries] = await Promise.all([store.loadCustomer(customerId), store.suppressions(customerId)]);
  if (profile === undefined) return undefined;
  const blockedBy = blockingSuppression(entries) ?? null;
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
    suppression: { suppressed: blockedBy !== null, blockedBy, entries },
  };
}

export function formatExplanation(e: Explanation): string {
  const contact = e.profile?.contact;
  const lines = [
    `customer ${e.customerId}${contact?.firstName ? ` (${contact.firstName})` : ''}`,
    `  orders    ${e.orders.count}, revenue ${e.orders.revenue.toFixed(2)}, first ${e.orders.first?.slice(0, 10) ?? '-'}, last ${e.orders.last?.slice(0, 10) ?? '-'}`,
    `  contact   ${contact?.email ? 'e-mail on file' : 'no e-mail'}${contact?.consent === false ? ', opted out' : ''}${contact?.country ? `, ${contact.country}` : ''}`,
    `  consent   ${describeConsent(e.consent)}`,
    ...formatSuppression(e.suppression.entries, e.suppression.blockedBy),
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

/** One line per suppression entry: which (address, current or former, or id), why and since when; never the address. */
export function formatSuppression(entries: readonly SuppressionEntry[], blockedBy: SuppressionEntry | null): string[] {
  if (entries.length === 0) return ['  suppression none (consent decides, see above)'];
  const what = (s: SuppressionEntry) => (s.scope === 'id' ? 'customer id' : s.current === true ? 'current address' : 'former address');
  return [
    `  suppression ${blockedBy === null ? 'entries on file, none stops mail' : `not mailed (${what(blockedBy)} ${blockedBy.reason})`}`,
    ...entries.map((s) => `    ${what(s)} ${s.reason} at ${s.at} (SUPPRESS#${s.scope === 'id' ? 'ID#' : ''}${s.hash.slice(0, 12)}…)`),
  ];
}

/** The suppression entries left of a customer id that holds no data (an erased customer keeps only these). */
export async function suppressionOf(stack: StackNames, customerId: string): Promise<SuppressionEntry[]> {
  return dynamoCustomerStore(dynamoDocumentClient(), stack.tableName).suppressions(customerId);
}
