import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { emailHash } from '../../functions/core/privacy.ts';
import { unsubscribeHeaders, unsubscribeUrl, verifyUnsubscribeToken, type UnsubscribeClaim } from '../../functions/core/unsubscribe-token.ts';

const key = 'k'.repeat(64);
const now = new Date('2024-05-14T15:00:00Z');
const claim = { customerId: '42', campaign: 'win-back', expiresAt: Date.parse('2024-07-13T15:00:00Z') / 1000, emailHash: emailHash('ada@example.com') };
/** The token of the link a mail carries for this claim. */
const tokenOf = (c: UnsubscribeClaim, k: string): string => new URL(unsubscribeUrl('https://u.example.com/', c, k)).searchParams.get('t') ?? '';
/** A token as minted before links carried the address hash: correctly signed, three fields. */
const signed = (fields: unknown[]) => {
  const payload = Buffer.from(JSON.stringify(fields)).toString('base64url');
  return `${payload}.${createHmac('sha256', key).update(payload).digest('base64url')}`;
};

describe('unsubscribe tokens', () => {
  it('verifies what it signed', () => {
    expect(verifyUnsubscribeToken(tokenOf(claim, key), key, now)).toEqual({ ok: true, claim });
  });

  it.each<{ readonly label: string; readonly token: () => string; readonly reason: string }>([
    { label: 'signed with another key', token: () => tokenOf(claim, 'x'.repeat(64)), reason: 'forged' },
    { label: 'for another customer with the original MAC', token: () => {
      const [, mac] = tokenOf(claim, key).split('.');
      return `${Buffer.from(JSON.stringify(['43', 'win-back', claim.expiresAt, claim.emailHash])).toString('base64url')}.${mac}`;
    }, reason: 'forged' },
    { label: 'for another address with the original MAC', token: () => {
      const [, mac] = tokenOf(claim, key).split('.');
      return `${Buffer.from(JSON.stringify(['42', 'win-back', claim.expiresAt, emailHash('eve@example.com')])).toString('base64url')}.${mac}`;
    }, reason: 'forged' },
    // It names no address, so it cannot unsubscribe one without reading the customer's contact.
    { label: 'minted before links carried the address hash', token: () => signed(['42', 'win-back', claim.expiresAt]), reason: 'expired' },
    { label: 'whose address hash is not a SHA-256', token: () => signed(['42', 'win-back', claim.expiresAt, 'ada@example.com']), reason: 'malformed' },
    { label: 'with a truncated MAC', token: () => tokenOf(claim, key).slice(0, -4), reason: 'forged' },
    { label: 'past its expiry', token: () => tokenOf({ ...claim, expiresAt: Date.parse('2024-05-14T14:59:59Z') / 1000 }, key), reason: 'expired' },
    { label: 'without a MAC', token: () => tokenOf(claim, key).split('.')[0] ?? '', reason: 'malformed' },
    { label: 'with three parts', token: () => `${tokenOf(claim, key)}.x`, reason: 'malformed' },
  ])('refuses a token $label', ({ token, reason }) => {
    expect(verifyUnsubscribeToken(token(), key, now)).toEqual({ ok: false, reason });
  });

  it('puts the token in the link and the RFC 8058 headers', () => {
    const url = unsubscribeUrl('https://u.example.com/', claim, key);
    expect(verifyUnsubscribeToken(new URL(url).searchParams.get('t') ?? '', key, now)).toEqual({ ok: true, claim });
    expect(unsubscribeHeaders(url)).toEqual([
      { name: 'List-Unsubscribe', value: `<${url}>` },
      { name: 'List-Unsubscribe-Post', value: 'List-Unsubscribe=One-Click' },
    ]);
  });
});
