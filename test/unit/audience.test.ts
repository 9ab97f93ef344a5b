import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { audienceCsv, audienceKey, type AudiencePlatform } from '../../functions/core/audience.ts';

const sha = (s: string) => createHash('sha256').update(s).digest('hex');
/** The hashed line an audience file of this one address holds; undefined when the address is refused. */
const hashedLine = (email: string, platform: AudiencePlatform): string | undefined => {
  const { csv, invalid } = audienceCsv([email], platform);
  return invalid === 1 ? undefined : csv.split('\n')[1];
};

describe('customer-match normalization', () => {
  it.each([
    { email: ' Ada.Lovelace+news@GMail.com ', google: 'adalovelace@gmail.com', meta: 'ada.lovelace+news@gmail.com' },
    { email: 'a.b+c@googlemail.com', google: 'ab@googlemail.com', meta: 'a.b+c@googlemail.com' },
    { email: 'Ada.Lovelace+news@Example.com', google: 'ada.lovelace+news@example.com', meta: 'ada.lovelace+news@example.com' },
    { email: 'not-an-address', google: undefined, meta: undefined },
    { email: 'a b@example.com', google: undefined, meta: undefined },
  ])('$email → google $google, meta $meta', ({ email, google, meta }) => {
    expect(hashedLine(email, 'google')).toBe(google === undefined ? undefined : sha(google));
    expect(hashedLine(email, 'meta')).toBe(meta === undefined ? undefined : sha(meta));
  });

  it('writes one hashed, de-duplicated address per line under the platform header', () => {
    const { csv, rows, invalid } = audienceCsv(['Ada@example.com', 'ada@example.com ', 'bob@example.com', 'nope'], 'meta');
    expect(csv).toBe(['email', ...[sha('ada@example.com'), sha('bob@example.com')].sort(), ''].join('\n'));
    expect({ rows, invalid }).toEqual({ rows: 2, invalid: 1 });
    expect(audienceCsv(['x.y@gmail.com'], 'google').csv).toBe(`Email\n${sha('xy@gmail.com')}\n`);
  });

  it('keys files by segment, day and platform under exports/', () => {
    expect(audienceKey('vip', new Date('2024-05-14T15:00:00Z'), 'google')).toBe('exports/audiences/vip/2024-05-14/google.csv');
  });
});
