import { dynamoDocumentClient, s3Client } from '../../functions/adapters/aws-clients.ts';
import { purgeUploads } from './purge-files.ts';
import { dynamoCustomerStore } from '../../functions/adapters/customer-store.ts';
import type { IdentityStore } from '../../functions/adapters/ports/customers.ts';
import { emailHash } from '../../functions/core/privacy.ts';
import { cleanEmail } from '../../functions/core/clean.ts';
import { InputError } from '../../functions/core/errors.ts';
import type { SuppressionEntry } from '../../functions/core/suppression.ts';
import type { StackNames } from './target.ts';

export interface ForgetResult {
  /** What was asked for: a customer id, or an address (which is never echoed back). */
  readonly target: 'id' | 'email';
  /** The canonical customer that was erased; undefined when nothing was. */
  readonly erased: string | undefined;
  /** Every id erased: the canonical one first, then those merged into it. */
  readonly customers: readonly string[];
  readonly itemsDeleted: number;
  /** Hashes now on the suppression list as erased: every address the customer had (or the address asked for). */
  readonly addressesSuppressed: number;
  readonly idsSuppressed: number;
  /** The id had been erased before: only its suppression entry is left, and nothing more was done. */
  readonly alreadyErased: boolean;
  /** With --purge-files: the uploads under incoming/ that mentioned the customer, every version deleted. */
  readonly purgedFiles?: readonly string[];
}

/**
 * Erases a customer, found by id (an alias id leads to the customer it was merged into) or by any
 * address they have had, with every id merged into them, and keeps only hashed suppression entries.
 * An address that no customer holds is suppressed all the same, so a later import stays unmailable.
 */
export async function forget(stack: StackNames, idOrEmail: string, now: Date, options: { readonly purgeFiles?: boolean } = {}): Promise<ForgetResult> {
  const { result, addressHashes } = await forgetIn(dynamoCustomerStore(dynamoDocumentClient(), stack.tableName), idOrEmail, now);
  if (options.purgeFiles !== true) return result;
  // An id erased before (or unknown) still has its uploads purged when asked.
  const ids = result.customers.length > 0 ? result.customers : result.target === 'id' ? [idOrEmail] : [];
  const purgedFiles = await purgeUploads(s3Client(), stack.bucketName, { ids: new Set(ids), addressHashes: new Set(addressHashes) });
  return { ...result, purgedFiles };
}

/** The erasure itself, and the hashes of the addresses it covered (kept off the printed result). */
export async function forgetIn(store: IdentityStore, idOrEmail: string, now: Date): Promise<{ result: ForgetResult; addressHashes: readonly string[] }> {
  const target = idOrEmail.includes('@') ? 'email' : 'id';
  const email = target === 'email' ? cleanEmail(idOrEmail) : undefined;
  if (target === 'email' && email === undefined) throw new InputError('the argument is not a valid e-mail address');
  const hash = email === undefined ? undefined : emailHash(email);
  const found = hash === undefined ? idOrEmail : (await store.emailOwners([hash])).get(hash);
  const customerId = found === undefined ? undefined : await canonicalId(store, found);
  const nothing = { target, erased: undefined, customers: [], itemsDeleted: 0, addressesSuppressed: 0, idsSuppressed: 0, alreadyErased: false } as const;
  if (customerId === undefined || (await store.exportCustomer(customerId)).length === 0) {
    if (hash !== undefined) {
      await store.suppress(hash, 'erased', now);
      return { result: { ...nothing, addressesSuppressed: 1 }, addressHashes: [hash] };
    }
    return { result: { ...nothing, alreadyErased: customerId !== undefined && (await store.erasedIds([customerId])).has(customerId) }, addressHashes: [] };
  }
  const erasure = await store.forgetCustomer(customerId, now);
  // The address asked for may predate the record of every address (ADDR# items): suppress it by name too.
  if (hash !== undefined) await store.suppress(hash, 'erased', now);
  const addressHashes = [...new Set([...erasure.addressHashes, ...(hash === undefined ? [] : [hash])])];
  const result: ForgetResult = {
    target,
    erased: customerId,
    customers: [customerId, ...erasure.mergedIds],
    itemsDeleted: erasure.itemsDeleted,
    addressesSuppressed: addressHashes.length,
    idsSuppressed: 1 + erasure.mergedIds.length,
    alreadyErased: false,
  };
  return { result, addressHashes };
}

/** Follows alias pointers (a merge of a merge leaves a chain) to the customer that holds the data. */
async function canonicalId(store: IdentityStore, id: string): Promise<string> {
  let current = id;
  for (let hop = 0; hop < 32; hop++) {
    const next = (await store.resolveAliases([current])).get(current);
    if (next === undefined || next === current) return current;
    current = next;
  }
  return current;
}

export function formatForget(result: ForgetResult): string {
  const purged = result.purgedFiles === undefined ? '' : `\n${result.purgedFiles.length === 0 ? 'no upload under incoming/ mentioned the customer' : `purged every version of ${result.purgedFiles.length} upload(s): ${result.purgedFiles.join(', ')}`}`;
  return `${erasure(result)}${purged}`;
}

function erasure(result: ForgetResult): string {
  if (result.erased !== undefined) {
    const merged = result.customers.slice(1);
    return `erased customer ${result.erased}${merged.length > 0 ? ` and the ids merged into it (${merged.join(', ')})` : ''}: ${result.itemsDeleted} items deleted; ${result.addressesSuppressed} address(es) and ${result.idsSuppressed} id(s) suppressed as erased`;
  }
  if (result.target === 'email') return 'no customer holds this address: nothing erased; the address is suppressed as erased';
  return result.alreadyErased ? 'this customer was erased before: nothing left to erase' : 'no such customer: nothing erased';
}

export interface CustomerExport {
  readonly customerId: string;
  readonly items: Record<string, unknown>[];
  /** Whether and why the customer is suppressed: each entry by address (hash) or id, with its reason and time. */
  readonly suppression: SuppressionEntry[];
}

export async function exportCustomer(stack: StackNames, customerId: string): Promise<Record<string, unknown>[]> {
  return dynamoCustomerStore(dynamoDocumentClient(), stack.tableName).exportCustomer(customerId);
}

/** exportCustomer with the suppression entries that concern the customer (subject access request). */
export async function exportCustomerWithSuppression(stack: StackNames, customerId: string): Promise<CustomerExport> {
  const store = dynamoCustomerStore(dynamoDocumentClient(), stack.tableName);
  const [items, suppression] = await Promise.all([store.exportCustomer(customerId), store.suppressions(customerId)]);
  return { customerId, items, suppression };
}
