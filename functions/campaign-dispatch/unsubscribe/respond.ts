import type { LambdaFunctionURLEvent, LambdaFunctionURLResult } from 'aws-lambda';

/** The structured form of a Function URL answer (not the bare-string shortcut). */
export type HttpResult = Exclude<LambdaFunctionURLResult, string>;
import { verifyUnsubscribeToken } from '../../core/unsubscribe-token.ts';
import { customerIdHash } from '../../core/privacy.ts';
import type { SuppressionWriter } from '../../adapters/ports/suppression-writer.ts';

export interface UnsubscribeDeps {
  readonly store: SuppressionWriter;
  readonly key: string;
  readonly now: Date;
}

const page = (status: number, title: string, body: string): HttpResult => ({
  statusCode: status,
  headers: {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    // The page runs no script and loads nothing; only its own form may post.
    'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'",
    'referrer-policy': 'no-referrer',
    'x-content-type-options': 'nosniff',
  },
  body: `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>${title}</title></head>` +
    `<body style="font-family:Arial,sans-serif;max-width:32rem;margin:3rem auto;color:#222"><h1 style="font-size:1.3rem">${title}</h1>${body}</body></html>`,
});

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * The unsubscribe endpoint (RFC 8058): POST with a valid token suppresses the address at once (mail
 * clients' one-click), GET only shows a page whose button POSTs (link scanners must not unsubscribe
 * anyone). A forged or malformed token gets 403, an expired one 410, as does a token minted before
 * links carried the address hash. It reads nothing: the address and the customer come from the token.
 */
export async function respond(deps: UnsubscribeDeps, event: LambdaFunctionURLEvent): Promise<HttpResult> {
  const method = event.requestContext.http.method.toUpperCase();
  if (method !== 'GET' && method !== 'POST') return { ...page(405, 'Method not allowed', ''), headers: { allow: 'GET, POST', 'content-type': 'text/plain' } };
  const token = event.queryStringParameters?.t;
  if (token === undefined || token === '') return page(400, 'This link is incomplete', '<p>The unsubscribe link has no token. Use the link from the e-mail.</p>');
  const check = verifyUnsubscribeToken(token, deps.key, deps.now);
  if (!check.ok) {
    return check.reason === 'expired'
      ? page(410, 'This link has expired', '<p>Use the unsubscribe link of a more recent e-mail.</p>')
      : page(403, 'This link is not valid', '<p>The unsubscribe link was changed or is not from us.</p>');
  }
  if (method === 'GET') {
    const action = `?t=${encodeURIComponent(token)}`;
    return page(200, 'Unsubscribe from marketing e-mail?', `<p>You will get no more marketing e-mail from us.</p>` +
      `<form method="post" action="${escapeHtml(action)}"><input type="hidden" name="List-Unsubscribe" value="One-Click">` +
      `<button type="submit" style="font-size:1rem;padding:.5rem 1rem">Unsubscribe</button></form>`);
  }
  // The address the mail went to, and the customer at any address (dispatch honours both entries).
  // An erased customer's entries stay "erased"; the answer is the same, so it reveals nothing.
  await deps.store.suppressAddress(check.claim.emailHash, 'unsubscribed', deps.now);
  await deps.store.suppressCustomer(customerIdHash(check.claim.customerId), 'unsubscribed', deps.now);
  return page(200, 'You are unsubscribed', '<p>You will get no more marketing e-mail from us. It can take a moment to reach every list.</p>');
}
