import { describe, expect, it } from 'vitest';
import { cleanEmail } from '../../functions/core/clean.ts';
import { emailHash } from '../../functions/core/privacy.ts';

const NFC = 'jos\u00e9@example.com';
const NFD = 'jose\u0301@example.com';

describe('cleanEmail normalises an address before it is hashed or stored', () => {
  it.each([
    { name: 'NFC stays NFC', raw: NFC, expected: NFC },
    { name: 'NFD is composed to NFC', raw: NFD, expected: NFC },
    { name: 'upper-case NFD is composed and lower-cased', raw: 'JOSE\u0301@Example.com', expected: NFC },
    { name: 'an IDN domain becomes punycode', raw: 'ada@b\u00fccher.example', expected: 'ada@xn--bcher-kva.example' },
    { name: 'an upper-case IDN domain becomes punycode', raw: ' Ada@B\u00dcCHER.Example ', expected: 'ada@xn--bcher-kva.example' },
    { name: 'a punycode domain is kept', raw: 'ada@xn--bcher-kva.example', expected: 'ada@xn--bcher-kva.example' },
    { name: 'a zero-width space is refused', raw: 'ada\u200b@example.com', expected: undefined },
    { name: 'a zero-width joiner is refused', raw: 'ad\u200da@example.com', expected: undefined },
    { name: 'a word joiner is refused', raw: 'ada@exam\u2060ple.com', expected: undefined },
    { name: 'a bidi override is refused', raw: '\u202eada@example.com', expected: undefined },
    { name: 'a bidi isolate is refused', raw: 'ada\u2066@example.com', expected: undefined },
    { name: 'a left-to-right mark is refused', raw: 'ada@example.com\u200e', expected: undefined },
    { name: 'a soft hyphen is refused', raw: 'ada\u00ad@example.com', expected: undefined },
    { name: 'a byte-order mark inside is refused', raw: 'ada\ufeff@example.com', expected: undefined },
    { name: 'a variation selector is refused', raw: 'ada\ufe0f@example.com', expected: undefined },
    { name: 'fullwidth letters are refused', raw: '\uff41\uff44\uff41@example.com', expected: undefined },
    { name: 'a fullwidth at sign is refused', raw: 'ada\uff20example.com', expected: undefined },
    { name: 'a fullwidth domain is refused', raw: 'ada@\uff45xample.com', expected: undefined },
    { name: 'a ligature is refused', raw: '\ufb01nn@example.com', expected: undefined },
    { name: 'a superscript digit is refused', raw: 'ada\u00b2@example.com', expected: undefined },
    { name: 'a control character is refused', raw: 'ada\u0007@example.com', expected: undefined },
    { name: 'an invalid IDN domain is refused', raw: 'ada@xn--a.example', expected: undefined },
  ])('$name', ({ raw, expected }) => {
    // Act
    const email = cleanEmail(raw);

    // Assess
    expect(email).toBe(expected);
  });
});

describe('emailHash: one address, one hash', () => {
  it.each([
    { name: 'NFC and NFD', a: NFC, b: NFD },
    { name: 'case and spaces', a: 'Ada@Example.com ', b: 'ada@example.com' },
    { name: 'an IDN domain and its punycode', a: 'ada@b\u00fccher.example', b: 'ada@xn--bcher-kva.example' },
    { name: 'NFD in an unreadable address', a: 'jose\u0301@', b: 'jos\u00e9@' },
  ])('$name hash the same', ({ a, b }) => {
    expect(emailHash(a)).toBe(emailHash(b));
  });

  it('an address with an invisible character does not hash like the visible one', () => {
    expect(emailHash('ada\u200b@example.com')).not.toBe(emailHash('ada@example.com'));
  });
});
