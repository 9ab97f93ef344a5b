import { dynamoDocumentClient } from '../adapters/aws-clients.ts';
import { dynamoCustomerStore } from '../adapters/customer-store.ts';
import { emailHash } from '../core/privacy.ts';
import { cleanEmail } from '../core/clean.ts';
import type { LocalStack } from './local-stack.ts';

export interface ForgetResult {
  readonly customers: readonly string[];
  readonly itemsDeleted: number;
  /** The hash of the address kept so that a later import cannot bring marketing back. */
  readonly suppressedHash: string | undefined;
}

/** Erases a customer (by id, or every customer with an address) and keeps only a hashed suppression entry. */
export async function forget(stack: LocalStack, idOrEmail: string, now: Date): Promise<ForgetResult> {
  const store = dynamoCustomerStore(dynamoDocumentClient(), stack.tableName);
  const email = idOrEmail.includes('@') ? cleanEmail(idOrEmail) : undefined;
  if (idOrEmail.includes('@') && email === undefined) throw new Error(`${idOrEmail} is not a valid e-mail address`);
  const ids = email === undefined ? [idOrEmail] : await store.findByEmail(email);
  let itemsDeleted = 0;
  let suppressedHash = email === undefined ? undefined : emailHash(email);
  for (const id of ids) {
    const contact = (await store.loadCustomer(id)).profile?.contact;
    const result = await store.forgetCustomer(id, now);
    itemsDeleted += result.deleted;
    if (contact?.email) suppressedHash = emailHash(contact.email);
  }
  // An address with no customer yet is suppressed all the same: a later import stays unmailable.
  if (email !== undefined && ids.length === 0 && suppressedHash !== undefined) await store.suppress(suppressedHash, 'erased', now);
  return { customers: ids, itemsDeleted, suppressedHash };
}

export async function exportCustomer(stack: LocalStack, customerId: string): Promise<Record<string, unknown>[]> {
  return dynamoCustomerStore(dynamoDocumentClient(), stack.tableName).exportCustomer(customerId);
}
