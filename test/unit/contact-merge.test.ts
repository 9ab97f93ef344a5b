import { describe, expect, it } from 'vitest';
import {
  combineRecords,
  mergeContacts,
  sameContact,
  updateContacts,
  type ConsentChange,
  type ContactChangeOrigin,
  type ContactFields,
  type StoredContact,
} from '../../functions/core/contact-merge.ts';

/** One file's record of the customer applied to the stored contact, as ingest applies a batch. */
const applyFile = (stored: StoredContact | undefined, update: ContactFields, origin: ContactChangeOrigin): StoredContact => updateContacts(stored, [update], origin);

const FILE1 = { at: '2026-01-01T00:00:00.000Z', source: 'incoming/customers/one.csv', revision: 'e1' };
const FILE2 = { at: '2026-02-01T00:00:00.000Z', source: 'incoming/customers/two.csv', revision: 'e2' };
const FILE3 = { at: '2026-03-01T00:00:00.000Z', source: 'incoming/customers/three.csv', revision: 'e3' };

const optedOut: StoredContact = applyFile(undefined, { email: 'a@example.com', firstName: 'Ada', lastName: 'Lovelace', consent: false }, FILE1);

describe('updateContacts: a file sets only the fields it carries', () => {
  it.each([
    { name: 'a file without consent or names', update: { country: 'GB' }, expected: { email: 'a@example.com', firstName: 'Ada', lastName: 'Lovelace', country: 'GB', consent: false } },
    { name: 'a file with a new e-mail only', update: { email: 'b@example.com' }, expected: { email: 'b@example.com', firstName: 'Ada', lastName: 'Lovelace', consent: false } },
    { name: 'a file restating the opt-out', update: { consent: false }, expected: { email: 'a@example.com', firstName: 'Ada', lastName: 'Lovelace', consent: false } },
    { name: 'an explicit opt-in in a later file', update: { consent: true }, expected: { email: 'a@example.com', firstName: 'Ada', lastName: 'Lovelace', consent: true } },
  ])('$name', ({ update, expected }) => {
    const next = applyFile(optedOut, update, FILE2);
    expect(next).toMatchObject(expected);
  });

  it('keeps when consent changed and from which file, and adds a history entry per change', () => {
    const kept = applyFile(optedOut, { firstName: 'Ada' }, FILE2);
    expect(kept).toMatchObject({ consent: false, consentAt: FILE1.at, consentSource: FILE1.source });
    expect(kept.consentHistory).toEqual([{ consent: false, ...FILE1 }]);
    const optedIn = applyFile(kept, { consent: true }, FILE3);
    expect(optedIn).toMatchObject({ consent: true, consentAt: FILE3.at, consentSource: FILE3.source });
    expect(optedIn.consentHistory).toEqual([{ consent: false, ...FILE1 }, { consent: true, ...FILE3 }]);
  });

  it('does not move the change time when a later file restates the same consent', () => {
    const restated = applyFile(optedOut, { consent: false }, FILE2);
    expect(sameContact(restated, optedOut)).toBe(true);
  });

  it.each([
    { name: 'an opt-in stamped earlier than the opt-out in force', stored: { consent: false, ...FILE2 }, incoming: { consent: true, ...FILE1 }, consent: false },
    { name: 'an opt-in at the same time as the opt-out', stored: { consent: false, ...FILE2 }, incoming: { consent: true, ...FILE2, source: 'other.csv' }, consent: false },
    { name: 'an opt-out at the same time as an opt-in', stored: { consent: true, ...FILE2 }, incoming: { consent: false, ...FILE2, source: 'other.csv' }, consent: false },
    { name: 'an opt-out stamped earlier than the opt-in in force', stored: { consent: true, ...FILE2 }, incoming: { consent: false, ...FILE1 }, consent: true },
    { name: 'an opt-in later in the same file (another chunk) than its opt-out', stored: { consent: false, ...FILE1 }, incoming: { consent: true, ...FILE1, at: FILE2.at }, consent: false },
    { name: 'an opt-in in a later file', stored: { consent: false, ...FILE1 }, incoming: { consent: true, ...FILE2 }, consent: true },
  ])('consent: $name → $consent', ({ stored, incoming, consent }) => {
    const { consent: storedConsent, ...storedChange } = stored;
    const { consent: incomingConsent, ...incomingChange } = incoming;
    const before = applyFile(undefined, { consent: storedConsent }, storedChange);
    expect(applyFile(before, { consent: incomingConsent }, incomingChange).consent).toBe(consent);
  });

  it('changes nothing when the same file is applied again (a retry), even after a later file changed consent', () => {
    const again = applyFile(optedOut, { email: 'a@example.com', firstName: 'Ada', lastName: 'Lovelace', consent: false }, { ...FILE1, at: FILE2.at });
    expect(sameContact(again, optedOut)).toBe(true);
    const optedIn = applyFile(optedOut, { consent: true }, FILE3);
    const replayed = applyFile(optedIn, { consent: false }, { ...FILE1, at: '2026-04-01T00:00:00.000Z' });
    expect(sameContact(replayed, optedIn)).toBe(true);
  });

  it('takes a new upload of the same key (another revision) as a new statement', () => {
    const optedIn = applyFile(optedOut, { consent: true }, FILE3);
    const reuploaded = applyFile(optedIn, { consent: false }, { ...FILE1, revision: 'e4', at: '2026-04-01T00:00:00.000Z' });
    expect(reuploaded).toMatchObject({ consent: false, consentAt: '2026-04-01T00:00:00.000Z', consentSource: FILE1.source });
  });

  it('keeps the latest 20 changes', () => {
    let contact: StoredContact | undefined;
    for (let i = 0; i < 25; i++) {
      contact = applyFile(contact, { consent: i % 2 === 1 }, { at: new Date(Date.UTC(2026, 0, 1 + i)).toISOString(), source: `f${i}.csv` });
    }
    expect(contact?.consentHistory).toHaveLength(20);
    expect(contact?.consentHistory?.at(-1)?.source).toBe('f24.csv');
  });

  it('treats a consent stored before consent times were kept as older than any dated change', () => {
    const legacy: StoredContact = { email: 'a@example.com', consent: false };
    expect(applyFile(legacy, { consent: true }, FILE1)).toMatchObject({ consent: true, consentAt: FILE1.at });
  });

  it('ignores fields that are not contact fields', () => {
    const update = { firstName: 'Ada', consentAt: '1999-01-01T00:00:00.000Z', consentSource: 'forged' } as unknown as ContactFields;
    expect(applyFile(optedOut, update, FILE2)).toMatchObject({ consentAt: FILE1.at, consentSource: FILE1.source });
  });
});

describe('mergeContacts: the canonical customer absorbs an alias', () => {
  const change = (consent: boolean, base: typeof FILE1): ConsentChange => ({ consent, ...base });
  const withConsent = (fields: StoredContact, consent: boolean | undefined, base: typeof FILE1) =>
    consent === undefined ? fields : applyFile(fields, { consent }, base);

  it.each([
    { name: 'alias opted out later', canonical: [true, FILE1], alias: [false, FILE2], consent: false, at: FILE2.at },
    { name: 'canonical opted out later', canonical: [false, FILE2], alias: [true, FILE1], consent: false, at: FILE2.at },
    { name: 'alias opted in later', canonical: [false, FILE1], alias: [true, FILE2], consent: true, at: FILE2.at },
    { name: 'canonical opted in later', canonical: [true, FILE2], alias: [false, FILE1], consent: true, at: FILE2.at },
    { name: 'a tie', canonical: [true, FILE2], alias: [false, { ...FILE2, source: 'other.csv' }], consent: false, at: FILE2.at },
    { name: 'only the alias has consent', canonical: [undefined, FILE1], alias: [false, FILE1], consent: false, at: FILE1.at },
    { name: 'only the canonical has consent', canonical: [true, FILE1], alias: [undefined, FILE1], consent: true, at: FILE1.at },
  ] as const)('$name → $consent', ({ canonical, alias, consent, at }) => {
    const c = withConsent({ email: 'c@example.com', firstName: 'Cee' }, canonical[0], canonical[1]);
    const a = withConsent({ email: 'a@example.com', lastName: 'Alias' }, alias[0], alias[1]);
    const merged = mergeContacts(c, a);
    expect(merged).toMatchObject({ email: 'c@example.com', firstName: 'Cee', lastName: 'Alias', consent, consentAt: at });
    expect(sameContact(mergeContacts(merged, a), merged)).toBe(true);
  });

  it('keeps both histories, oldest first, once each', () => {
    const c = applyFile({}, { consent: true }, FILE1);
    const a = applyFile({}, { consent: false }, FILE2);
    expect(mergeContacts(c, a).consentHistory).toEqual([change(true, FILE1), change(false, FILE2)]);
  });
});

describe('combineRecords: two rows of one batch for the same customer', () => {
  it.each([
    { name: 'the later row wins a field', first: { firstName: 'A' }, second: { firstName: 'B' }, fillGapsOnly: false, expected: { firstName: 'B' } },
    { name: 'the first row wins a field when the second only fills gaps', first: { firstName: 'A' }, second: { firstName: 'B', city: 'X' }, fillGapsOnly: true, expected: { firstName: 'A', city: 'X' } },
    { name: 'an opt-out in either row wins', first: { consent: false }, second: { consent: true }, fillGapsOnly: false, expected: { consent: false } },
    { name: 'an opt-out of a merged row wins', first: { consent: true }, second: { consent: false }, fillGapsOnly: true, expected: { consent: false } },
    { name: 'consent from the only row that has it', first: {}, second: { consent: true }, fillGapsOnly: true, expected: { consent: true } },
  ])('$name', ({ first, second, fillGapsOnly, expected }) => {
    expect(combineRecords({ customerId: '1', ...first }, { customerId: '1', ...second }, fillGapsOnly)).toEqual({ customerId: '1', ...expected });
  });
});
