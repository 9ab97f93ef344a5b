import { createHash } from 'node:crypto';
import { cleanEmail } from './clean.ts';

/**
 * SHA-256 of the normalized address (cleanEmail: NFC, trimmed, lower-case, punycode domain), hex: the
 * form ad platforms expect for audience matching, and the only trace strata keeps of an erased
 * customer's address. An unreadable address is still composed to NFC, so its two forms hash alike.
 */
export function emailHash(email: string): string {
  return createHash('sha256').update(cleanEmail(email) ?? email.normalize('NFC').trim().toLowerCase().normalize('NFC')).digest('hex');
}

/** SHA-256 of a normalized external id: the table's keys link it to its customer without holding it. */
export function externalIdHash(externalId: string): string {
  return createHash('sha256').update(`external:${externalId}`).digest('hex');
}

/**
 * SHA-256 of a customer id, for suppression and erasure entries kept about a customer rather than an
 * address (SUPPRESS#ID#<hash>): the entry outlives the erased partition without naming the id.
 */
export function customerIdHash(customerId: string): string {
  return createHash('sha256').update(`customer:${customerId}`).digest('hex');
}
