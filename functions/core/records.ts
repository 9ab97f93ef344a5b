import { hash } from 'node:crypto';
import { cleanDate, cleanEmail, cleanExternalId, cleanInteger, cleanMoney, cleanPhone, isAmbiguousMoney, isMissing, roundMoney } from './clean.ts';
import type { Mapping } from './mapping.ts';

/**
 * One line of an order, the unit of the ledger. Files of whole orders (CDNOW) have one line per
 * order; retail exports (Online Retail, Superstore, Complete Journey) have many.
 */
export interface OrderLine {
  readonly customerId: string;
  readonly orderId: string;
  readonly lineId: string;
  readonly orderedAt: string;
  /** Net amount of the line; negative for cancellations and returns. */
  readonly amount: number;
  readonly quantity?: number;
  readonly currency?: string;
  readonly discount?: number;
  /** The line's profit (margin in money) where the file has it, e.g. Superstore's Profit. */
  readonly profit?: number;
  readonly category?: string;
  readonly productId?: string;
  readonly channel?: string;
  readonly cancelled?: true;
}

/** Kept as an alias: a line is what the ledger stores per order row. */
export type Order = OrderLine;

export interface CustomerRecord {
  readonly customerId: string;
  readonly email?: string;
  readonly firstName?: string;
  readonly lastName?: string;
  readonly phone?: string;
  readonly birthDate?: string;
  readonly country?: string;
  readonly city?: string;
  readonly region?: string;
  readonly postalCode?: string;
  readonly timezone?: string;
  readonly gender?: string;
  readonly ageBand?: string;
  readonly incomeBand?: string;
  readonly interests?: readonly string[];
  readonly consent?: boolean;
  readonly signedUpAt?: string;
  /** Normalized id from another system (loyalty card, CRM); customers sharing one are one person. */
  readonly externalId?: string;
}

export type RowResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly reason: string };

type Row = Readonly<Record<string, string | undefined>>;

function column(row: Row, mapping: Mapping, field: string): string | undefined {
  const header = mapping.columns[field];
  const value = header === undefined ? undefined : cell(row, header)?.trim();
  return isMissing(value) ? undefined : value;
}

/** A row's own cell: a short row has no "constructor" cell, whatever Object.prototype says. */
function cell(row: Row, header: string): string | undefined {
  return Object.hasOwn(row, header) ? row[header] : undefined;
}

const CANCELLED_STATUS = /cancel|return|refund|void/i;

/** Ingest refuses longer ids, so no stored customer has one. */
export const MAX_CUSTOMER_ID_LENGTH = 128;

/**
 * Cleans one order row. With an order id column, a row's identity is its content within that
 * order, so an exact duplicate row lands on the same ledger key (dropped). Without one there is no
 * way to tell a duplicate from a second purchase (CDNOW has both), so the id also counts identical
 * rows of the file: re-reading the same file still yields the same ids.
 */
export function toOrderLine(row: Row, mapping: Mapping, occurrence: number, now?: Date): RowResult<OrderLine> {
  const customerId = column(row, mapping, 'customerId');
  if (customerId === undefined) return { ok: false, reason: 'missing customer id' };
  if (customerId.length > MAX_CUSTOMER_ID_LENGTH) return { ok: false, reason: `customer id longer than ${MAX_CUSTOMER_ID_LENGTH} characters` };
  const rawDate = column(row, mapping, 'orderedAt');
  const orderedAt = cleanDate(rawDate, mapping.dateFormat, mapping.timezone);
  if (orderedAt === undefined) return { ok: false, reason: rawDate ? 'unreadable order date' : 'missing order date' };
  // A day of grace: a file written in a time zone ahead of the evaluation clock is not "future".
  if (now !== undefined && Date.parse(orderedAt) > now.getTime() + 86_400_000) return { ok: false, reason: 'order date in the future' };
  if (orderedAt < '1900-01-01') return { ok: false, reason: 'order date before 1900' };
  const rawQuantity = column(row, mapping, 'quantity');
  const quantity = cleanInteger(rawQuantity);
  if (rawQuantity !== undefined && quantity === undefined) return { ok: false, reason: 'unreadable quantity' };
  const rawAmount = column(row, mapping, 'amount');
  const rawPrice = column(row, mapping, 'unitPrice');
  let amount: number | undefined;
  const ambiguous = mapping.decimalSeparator === undefined && [rawAmount, rawPrice].some((raw) => raw !== undefined && isAmbiguousMoney(raw));
  if (ambiguous) return { ok: false, reason: 'ambiguous amount (one separator before three digits): declare "decimalSeparator" in the mapping' };
  if (rawAmount !== undefined) {
    amount = cleanMoney(rawAmount, mapping.decimalSeparator);
    if (amount === undefined) return { ok: false, reason: 'unreadable amount' };
  } else if (rawPrice !== undefined) {
    const price = cleanMoney(rawPrice, mapping.decimalSeparator);
    if (price === undefined) return { ok: false, reason: 'unreadable unit price' };
    amount = roundMoney(price * (quantity ?? 1));
  } else {
    return { ok: false, reason: 'missing amount' };
  }
  if (Math.abs(amount) >= 1e9) return { ok: false, reason: 'amount out of range' };
  const explicitOrderId = column(row, mapping, 'orderId');
  const status = column(row, mapping, 'status');
  // Online Retail marks cancellations with a 'C' invoice; others with a status or a negative quantity.
  const cancelled =
    (explicitOrderId !== undefined && /^C\d/.test(explicitOrderId)) || (quantity !== undefined && quantity < 0) || (status !== undefined && CANCELLED_STATUS.test(status));
  // A negative amount the file does not mark as a cancellation or return could be either a refund or a sign error.
  if (amount < 0 && !cancelled) return { ok: false, reason: 'negative amount without a cancellation status' };
  if (cancelled) amount = -Math.abs(amount);
  const discount = cleanMoney(column(row, mapping, 'discount'), mapping.decimalSeparator);
  const profit = cleanMoney(column(row, mapping, 'profit'), mapping.decimalSeparator);
  const content = Object.values(mapping.columns).map((header) => cell(row, header) ?? '');
  const orderId = explicitOrderId ?? contentId([customerId, ...content, String(occurrence)]);
  return {
    ok: true,
    value: {
      customerId,
      orderId,
      lineId: explicitOrderId === undefined ? '1' : contentId(content),
      orderedAt,
      amount,
      ...(quantity === undefined ? {} : { quantity }),
      ...optional('currency', column(row, mapping, 'currency')?.toUpperCase()),
      ...(discount === undefined ? {} : { discount }),
      ...(profit === undefined ? {} : { profit }),
      ...optional('category', column(row, mapping, 'category')),
      ...optional('productId', column(row, mapping, 'productId')),
      ...optional('channel', column(row, mapping, 'channel')),
      ...(cancelled ? { cancelled: true as const } : {}),
    },
  };
}

/** Something a customer did: opened an e-mail, viewed a product, wrote a review. */
export interface CustomerEvent {
  readonly customerId: string;
  readonly eventId: string;
  /** Lower-case, e.g. email_open, product_view, review. */
  readonly type: string;
  readonly occurredAt: string;
  readonly properties?: Readonly<Record<string, string>>;
}

/**
 * Cleans one event row. Properties come from the mapped column (a JSON object) or, without one,
 * from every column the mapping does not use. The id is the content and its occurrence in the file.
 */
export function toEvent(row: Row, mapping: Mapping, occurrence: number, now?: Date): RowResult<CustomerEvent> {
  const customerId = column(row, mapping, 'customerId');
  if (customerId === undefined) return { ok: false, reason: 'missing customer id' };
  if (customerId.length > MAX_CUSTOMER_ID_LENGTH) return { ok: false, reason: `customer id longer than ${MAX_CUSTOMER_ID_LENGTH} characters` };
  const rawType = column(row, mapping, 'type');
  if (rawType === undefined) return { ok: false, reason: 'missing event type' };
  const type = rawType.toLowerCase().replace(/[\s-]+/g, '_');
  if (!/^[a-z0-9_.]{1,64}$/.test(type)) return { ok: false, reason: 'unreadable event type' };
  const rawDate = column(row, mapping, 'occurredAt');
  const occurredAt = cleanDate(rawDate, mapping.dateFormat, mapping.timezone);
  if (occurredAt === undefined) return { ok: false, reason: rawDate ? 'unreadable event time' : 'missing event time' };
  if (now !== undefined && Date.parse(occurredAt) > now.getTime() + 86_400_000) return { ok: false, reason: 'event time in the future' };
  let properties: Record<string, string> | undefined;
  const rawProperties = column(row, mapping, 'properties');
  if (rawProperties !== undefined) {
    try {
      const parsed: unknown = JSON.parse(rawProperties);
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return { ok: false, reason: 'properties are not a JSON object' };
      properties = Object.fromEntries(Object.entries(parsed).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]));
    } catch {
      return { ok: false, reason: 'properties are not valid JSON' };
    }
  } else {
    const used = new Set(Object.values(mapping.columns));
    const rest = Object.entries(row).filter(([header, value]) => !used.has(header) && !isMissing(value));
    if (rest.length > 0) properties = Object.fromEntries(rest.map(([k, v]) => [k, (v ?? '').trim()]));
  }
  const content = [customerId, type, occurredAt, JSON.stringify(properties ?? {}), String(occurrence)];
  return { ok: true, value: { customerId, eventId: contentId(content), type, occurredAt, ...(properties === undefined ? {} : { properties }) } };
}

const CONSENT_YES = new Set(['1', 'true', 'yes', 'y', 'opt-in', 'opted-in', 'opted_in', 'subscribed']);
const CONSENT_NO = new Set(['0', 'false', 'no', 'n', 'opt-out', 'opted-out', 'opted_out', 'unsubscribed']);

export function toCustomer(row: Row, mapping: Mapping): RowResult<CustomerRecord> {
  const customerId = column(row, mapping, 'customerId');
  if (customerId === undefined) return { ok: false, reason: 'missing customer id' };
  if (customerId.length > MAX_CUSTOMER_ID_LENGTH) return { ok: false, reason: `customer id longer than ${MAX_CUSTOMER_ID_LENGTH} characters` };
  const rawEmail = column(row, mapping, 'email');
  const email = cleanEmail(rawEmail);
  if (rawEmail !== undefined && email === undefined) return { ok: false, reason: 'invalid e-mail address' };
  const rawConsent = column(row, mapping, 'consent')?.toLowerCase();
  if (rawConsent !== undefined && !CONSENT_YES.has(rawConsent) && !CONSENT_NO.has(rawConsent)) return { ok: false, reason: 'unreadable consent' };
  const country = column(row, mapping, 'country');
  const countryCode = country !== undefined && /^[a-z]{2}$/i.test(country) ? country.toUpperCase() : country;
  const rawPhone = column(row, mapping, 'phone');
  const phone = cleanPhone(rawPhone, countryCode);
  const rawBirth = column(row, mapping, 'birthDate');
  const birthDate = cleanDate(rawBirth, mapping.dateFormat)?.slice(0, 10);
  const interests = column(row, mapping, 'interests')?.split(/[;,|]/).map((i) => i.trim().toLowerCase()).filter(Boolean);
  return {
    ok: true,
    value: {
      customerId,
      ...optional('email', email),
      ...optional('firstName', column(row, mapping, 'firstName')),
      ...optional('lastName', column(row, mapping, 'lastName')),
      // An unreadable phone or birth date is dropped, not fatal: the rest of the row is still good.
      ...optional('phone', phone),
      ...optional('birthDate', birthDate),
      ...optional('country', countryCode),
      ...optional('city', column(row, mapping, 'city')),
      ...optional('region', column(row, mapping, 'region')),
      ...optional('postalCode', column(row, mapping, 'postalCode')),
      ...optional('timezone', column(row, mapping, 'timezone')),
      ...optional('gender', column(row, mapping, 'gender')?.toLowerCase()),
      ...optional('ageBand', column(row, mapping, 'ageBand')),
      ...optional('incomeBand', column(row, mapping, 'incomeBand')),
      ...(interests === undefined || interests.length === 0 ? {} : { interests }),
      ...(rawConsent === undefined ? {} : { consent: CONSENT_YES.has(rawConsent) }),
      ...optional('signedUpAt', cleanDate(column(row, mapping, 'signedUpAt'), mapping.dateFormat, mapping.timezone)),
      ...optional('externalId', cleanExternalId(column(row, mapping, 'externalId'))),
    },
  };
}

function optional<K extends string>(key: K, value: string | undefined): Partial<Record<K, string>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, string>);
}

function contentId(parts: readonly string[]): string {
  return hash('sha256', parts.join('\u001f'), 'hex').slice(0, 24);
}
