import type { CustomerRecord } from './records.ts';
import { stableJson } from './stable-json.ts';

/** What a customers file can say about a customer besides the id. */
export type ContactFields = Omit<CustomerRecord, 'customerId'>;

/** One explicit consent statement that changed the consent in force. */
export interface ConsentChange {
  readonly consent: boolean;
  /** When it was applied (the ingest's clock). */
  readonly at: string;
  /** Where it came from: the file's key. */
  readonly source: string;
  /** Which upload of that key (its ETag): a retry repeats it, a new upload does not. */
  readonly revision?: string;
}

/** Where a batch of contact fields comes from and when it is applied. */
export type ContactChangeOrigin = Omit<ConsentChange, 'consent'>;

/** The file a batch of contacts comes from: its key and, when known, its ETag. */
export type ContactSource = Omit<ContactChangeOrigin, 'at'>;

/** The CONTACT item's contact: the fields files set, and when and where consent last changed. */
export interface StoredContact extends ContactFields {
  readonly consentAt?: string;
  readonly consentSource?: string;
  /** The consent changes, oldest first, the latest CONSENT_HISTORY_LIMIT of them. */
  readonly consentHistory?: readonly ConsentChange[];
}

const CONSENT_HISTORY_LIMIT = 20;

const CONTACT_FIELDS = [
  'email', 'firstName', 'lastName', 'phone', 'birthDate', 'country', 'city', 'region', 'postalCode', 'timezone',
  'gender', 'ageBand', 'incomeBand', 'interests', 'signedUpAt', 'externalId',
] as const satisfies readonly Exclude<keyof ContactFields, 'consent'>[];
// A new CustomerRecord field fails to compile here until it is listed above.
const everyField: [Exclude<keyof ContactFields, 'consent' | (typeof CONTACT_FIELDS)[number]>] extends [never] ? true : never = true;
void everyField;

/**
 * Applies what one file says about a customer to the stored contact: only the fields it carries
 * change (an absent column or an empty cell leaves the stored value), and consent changes only by
 * the rule of `consentWins`. Pure and idempotent: the same file applied again returns an equal contact.
 */
function updateContact(stored: StoredContact | undefined, update: ContactFields, origin: ContactChangeOrigin): StoredContact {
  const next: Record<string, unknown> = { ...stored };
  for (const field of CONTACT_FIELDS) {
    const value = update[field];
    if (value !== undefined) next[field] = value;
  }
  const contact = next as StoredContact;
  return update.consent === undefined ? contact : withConsent(contact, { ...origin, consent: update.consent });
}

/** Several records of one customer from one batch, applied in file order. */
export function updateContacts(stored: StoredContact | undefined, updates: readonly ContactFields[], origin: ContactChangeOrigin): StoredContact {
  return updates.reduce<StoredContact>((contact, update) => updateContact(contact, update, origin), stored ?? {});
}

/** The records of one batch grouped by customer, in file order. */
export function contactUpdatesById(customers: readonly CustomerRecord[]): Map<string, ContactFields[]> {
  const updates = new Map<string, ContactFields[]>();
  for (const { customerId, ...fields } of customers) updates.set(customerId, [...(updates.get(customerId) ?? []), fields]);
  return updates;
}

/**
 * The contact of a customer that absorbs another (an identity merge): the canonical customer's
 * fields win and the alias fills gaps; consent follows the most recent change of the two (an
 * opt-out wins a tie), and both histories are kept.
 */
export function mergeContacts(canonical: StoredContact | undefined, alias: StoredContact | undefined): StoredContact {
  const next: Record<string, unknown> = { ...alias, ...canonical };
  for (const field of CONTACT_FIELDS) {
    const value = canonical?.[field] ?? alias?.[field];
    if (value !== undefined) next[field] = value;
  }
  const history = mergeHistories(canonical?.consentHistory ?? [], alias?.consentHistory ?? []);
  const a = consentInForce(canonical);
  const b = consentInForce(alias);
  const winner = a === undefined ? b : b === undefined ? a : compareChanges(b, a) > 0 ? b : a;
  delete next.consent;
  delete next.consentAt;
  delete next.consentSource;
  delete next.consentHistory;
  return {
    ...(next as ContactFields),
    ...(winner === undefined ? {} : consentFields(winner)),
    ...(history.length === 0 ? {} : { consentHistory: history }),
  };
}

/**
 * Two rows of one batch for the same customer: the later row's fields win, or only fill gaps
 * when it was merged in from another id. Both are statements of one file at one time, so an
 * opt-out in either wins (the tie rule).
 */
export function combineRecords(first: CustomerRecord, second: CustomerRecord, fillGapsOnly: boolean): CustomerRecord {
  const combined = fillGapsOnly ? { ...second, ...definedFields(first) } : { ...first, ...definedFields(second) };
  const consent = first.consent === false || second.consent === false ? false : (first.consent ?? second.consent);
  const { consent: _consent, ...rest } = combined;
  return consent === undefined ? rest : { ...rest, consent };
}

/** Whether two stored contacts hold the same values, whatever the order of their keys. */
export function sameContact(a: StoredContact | undefined, b: StoredContact | undefined): boolean {
  return stableJson(a ?? null) === stableJson(b ?? null);
}

/** Only the contact fields of a stored contact: what a file could have said. */
export function contactFieldsOf(contact: StoredContact): ContactFields {
  const fields: Record<string, unknown> = {};
  for (const field of [...CONTACT_FIELDS, 'consent'] as const) if (contact[field] !== undefined) fields[field] = contact[field];
  return fields as ContactFields;
}

/**
 * Whether a consent statement replaces the one in force. Restating the value in force changes
 * nothing (its time stays the time of the change). Otherwise the later one wins; an opt-out wins
 * a tie, and two statements of one upload (rows in different chunks) are a tie whatever their times.
 */
function consentWins(candidate: ConsentChange, current: ConsentChange | undefined): boolean {
  if (current === undefined) return true;
  if (candidate.consent === current.consent) return false;
  return compareChanges(candidate, current) > 0;
}

function withConsent(contact: StoredContact, change: ConsentChange): StoredContact {
  const history = contact.consentHistory ?? [];
  // The same upload applied again (a retry) changes nothing, even after a later file changed consent.
  if (history.some((h) => h.source === change.source && h.revision === change.revision && h.consent === change.consent)) return contact;
  if (!consentWins(change, consentInForce(contact))) return contact;
  return { ...contact, ...consentFields(change), consentHistory: mergeHistories(history, [change]) };
}

function consentFields(change: ConsentChange) {
  return { consent: change.consent, consentAt: change.at, consentSource: change.source };
}

/** The statement in force; one stored before times were kept counts as older than any dated one. */
function consentInForce(contact: StoredContact | undefined): ConsentChange | undefined {
  if (contact?.consent === undefined) return undefined;
  const at = contact.consentAt ?? '';
  const source = contact.consentSource ?? '';
  const recorded = contact.consentHistory?.find((h) => h.at === at && h.source === source && h.consent === contact.consent);
  return recorded ?? { consent: contact.consent, at, source };
}

/** Orders two statements: later first, then opt-out; two of the same upload compare on consent only. */
function compareChanges(a: ConsentChange, b: ConsentChange): number {
  const sameUpload = a.source === b.source && a.revision === b.revision && a.source !== '';
  if (!sameUpload && a.at !== b.at) return a.at > b.at ? 1 : -1;
  if (a.consent !== b.consent) return a.consent ? -1 : 1;
  return 0;
}

function mergeHistories(a: readonly ConsentChange[], b: readonly ConsentChange[]): ConsentChange[] {
  const byKey = new Map([...a, ...b].map((h) => [stableJson(h), h]));
  return [...byKey.values()]
    .sort((x, y) => (x.at < y.at ? -1 : x.at > y.at ? 1 : stableJson(x) < stableJson(y) ? -1 : 1))
    .slice(-CONSENT_HISTORY_LIMIT);
}

function definedFields(record: CustomerRecord): Partial<CustomerRecord> {
  return Object.fromEntries(Object.entries(record).filter(([, v]) => v !== undefined));
}
