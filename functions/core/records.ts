import { createHash } from 'node:crypto';
import { cleanDate, cleanEmail, cleanInteger, cleanMoney } from './clean.ts';
import type { Mapping } from './mapping.ts';

export interface Order {
  readonly customerId: string;
  readonly orderId: string;
  readonly orderedAt: string;
  readonly amount: number;
  readonly quantity?: number;
  readonly currency?: string;
  readonly discount?: number;
  readonly category?: string;
  readonly channel?: string;
}

export interface CustomerRecord {
  readonly customerId: string;
  readonly email?: string;
  readonly firstName?: string;
  readonly lastName?: string;
  readonly country?: string;
  readonly city?: string;
  readonly region?: string;
  readonly timezone?: string;
  readonly gender?: string;
  readonly ageBand?: string;
  readonly incomeBand?: string;
  readonly consent?: boolean;
}

export type RowResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly reason: string };

type Row = Readonly<Record<string, string | undefined>>;

function column(row: Row, mapping: Mapping, field: string): string | undefined {
  const header = mapping.columns[field];
  const value = header === undefined ? undefined : row[header]?.trim();
  return value === '' ? undefined : value;
}

/**
 * Cleans one order row. Without an order id column, the id is a hash of the row's content and its
 * occurrence number among identical rows of the file, so re-reading the same file yields the same ids.
 */
export function toOrder(row: Row, mapping: Mapping, occurrence: number): RowResult<Order> {
  const customerId = column(row, mapping, 'customerId');
  if (customerId === undefined) return { ok: false, reason: 'missing customer id' };
  const rawDate = column(row, mapping, 'orderedAt');
  const orderedAt = cleanDate(rawDate, mapping.dateFormat);
  if (orderedAt === undefined) return { ok: false, reason: rawDate ? 'unreadable order date' : 'missing order date' };
  const rawAmount = column(row, mapping, 'amount');
  const amount = cleanMoney(rawAmount);
  if (amount === undefined) return { ok: false, reason: rawAmount ? 'unreadable amount' : 'missing amount' };
  const rawQuantity = column(row, mapping, 'quantity');
  const quantity = cleanInteger(rawQuantity);
  if (rawQuantity !== undefined && quantity === undefined) return { ok: false, reason: 'unreadable quantity' };
  const discount = cleanMoney(column(row, mapping, 'discount'));
  const orderId =
    column(row, mapping, 'orderId') ??
    contentId([customerId, orderedAt, String(amount), String(quantity ?? ''), String(occurrence)]);
  return {
    ok: true,
    value: {
      customerId,
      orderId,
      orderedAt,
      amount,
      ...(quantity === undefined ? {} : { quantity }),
      ...optional('currency', column(row, mapping, 'currency')?.toUpperCase()),
      ...(discount === undefined ? {} : { discount }),
      ...optional('category', column(row, mapping, 'category')),
      ...optional('channel', column(row, mapping, 'channel')),
    },
  };
}

export function toCustomer(row: Row, mapping: Mapping): RowResult<CustomerRecord> {
  const customerId = column(row, mapping, 'customerId');
  if (customerId === undefined) return { ok: false, reason: 'missing customer id' };
  const rawEmail = column(row, mapping, 'email');
  const email = cleanEmail(rawEmail);
  if (rawEmail !== undefined && email === undefined) return { ok: false, reason: 'invalid e-mail address' };
  const rawConsent = column(row, mapping, 'consent')?.toLowerCase();
  const consent = rawConsent === undefined ? undefined : ['1', 'true', 'yes', 'y', 'opt-in', 'opted_in'].includes(rawConsent);
  return {
    ok: true,
    value: {
      customerId,
      ...optional('email', email),
      ...optional('firstName', column(row, mapping, 'firstName')),
      ...optional('lastName', column(row, mapping, 'lastName')),
      ...optional('country', column(row, mapping, 'country')?.toUpperCase()),
      ...optional('city', column(row, mapping, 'city')),
      ...optional('region', column(row, mapping, 'region')),
      ...optional('timezone', column(row, mapping, 'timezone')),
      ...optional('gender', column(row, mapping, 'gender')),
      ...optional('ageBand', column(row, mapping, 'ageBand')),
      ...optional('incomeBand', column(row, mapping, 'incomeBand')),
      ...(consent === undefined ? {} : { consent }),
    },
  };
}

function optional<K extends string>(key: K, value: string | undefined): Partial<Record<K, string>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, string>);
}

export function contentId(parts: readonly string[]): string {
  return createHash('sha256').update(parts.join('\u001f')).digest('hex').slice(0, 24);
}
