import { createHmac, timingSafeEqual } from 'node:crypto';

/** What an unsubscribe link proves: this customer, at this address, may leave marketing, until the link expires. */
export interface UnsubscribeClaim {
  readonly customerId: string;
  readonly campaign: string;
  /** Expiry, seconds since the epoch. */
  readonly expiresAt: number;
  /**
   * emailHash of the address the mail went to: the endpoint suppresses it without reading the
   * customer's contact (its role may only write suppression entries).
   */
  readonly emailHash: string;
}

export type TokenCheck =
  | { readonly ok: true; readonly claim: UnsubscribeClaim }
  | { readonly ok: false; readonly reason: 'malformed' | 'forged' | 'expired' };

/** Links stay valid long after the send: RFC 8058 mail clients may POST weeks later. */
export const UNSUBSCRIBE_TOKEN_DAYS = 60;

const SHA256_HEX = /^[0-9a-f]{64}$/;

const encode = (text: string) => Buffer.from(text, 'utf-8').toString('base64url');

function sign(payload: string, key: string): Buffer {
  return createHmac('sha256', key).update(payload).digest();
}

/** `<payload>.<mac>`, both base64url: the payload is readable, only strata's key makes the MAC. */
function signUnsubscribeToken(claim: UnsubscribeClaim, key: string): string {
  const payload = encode(JSON.stringify([claim.customerId, claim.campaign, claim.expiresAt, claim.emailHash]));
  return `${payload}.${sign(payload, key).toString('base64url')}`;
}

export function verifyUnsubscribeToken(token: string, key: string, now: Date): TokenCheck {
  const [payload, mac, extra] = token.split('.');
  if (payload === undefined || mac === undefined || extra !== undefined || payload === '' || mac === '') return { ok: false, reason: 'malformed' };
  const expected = sign(payload, key);
  const given = Buffer.from(mac, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: 'forged' };
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(payload, 'base64url').toString('utf-8'));
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  // Three fields: minted before links carried the address hash. It names no address, so it is
  // answered as expired and unsubscribes nobody (a newer e-mail's link does).
  if (Array.isArray(parsed) && parsed.length === 3) return { ok: false, reason: 'expired' };
  if (!Array.isArray(parsed) || parsed.length !== 4) return { ok: false, reason: 'malformed' };
  const [customerId, campaign, expiresAt, emailHash] = parsed as unknown[];
  if (typeof customerId !== 'string' || typeof campaign !== 'string' || typeof expiresAt !== 'number') return { ok: false, reason: 'malformed' };
  if (typeof emailHash !== 'string' || !SHA256_HEX.test(emailHash)) return { ok: false, reason: 'malformed' };
  if (expiresAt * 1000 <= now.getTime()) return { ok: false, reason: 'expired' };
  return { ok: true, claim: { customerId, campaign, expiresAt, emailHash } };
}

/** The link for the footer and the List-Unsubscribe header: one URL, GET confirms, POST unsubscribes. */
export function unsubscribeUrl(baseUrl: string, claim: UnsubscribeClaim, key: string): string {
  const url = new URL(baseUrl);
  url.searchParams.set('t', signUnsubscribeToken(claim, key));
  return url.toString();
}

/** RFC 8058 one-click headers for one recipient. */
export function unsubscribeHeaders(url: string): { name: string; value: string }[] {
  return [
    { name: 'List-Unsubscribe', value: `<${url}>` },
    { name: 'List-Unsubscribe-Post', value: 'List-Unsubscribe=One-Click' },
  ];
}
