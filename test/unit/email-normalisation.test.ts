import { describe, expect, it } from 'vitest';
import { emailHash } from '../../functions/core/privacy.ts';

const NFC = 'jos\u00e9@example.com';
const NFD = 'jose\u0301@example.com';

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
