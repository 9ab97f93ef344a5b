import { describe, expect, it } from 'vitest';
import { cleanDate, cleanEmail, cleanExternalId, cleanInteger, cleanMoney, cleanPhone, isMissing, neutralizeFormula, roundMoney, type DateFormat } from '../../functions/core/clean.ts';

const NFC = 'jos\u00e9@example.com';
const NFD = 'jose\u0301@example.com';

describe('cleanEmail trims, lower-cases and rejects what cannot be an address', () => {
  it.each([
    { raw: 'ada@example.com', expected: 'ada@example.com' },
    { raw: '  Ada.Lovelace@Example.COM\t', expected: 'ada.lovelace@example.com' },
    { raw: '  Ada@Example.COM ', expected: 'ada@example.com' },
    { raw: 'first+tag@mail.example.co.uk', expected: 'first+tag@mail.example.co.uk' },
    { raw: 'o-k@sub-domain.example.org', expected: 'o-k@sub-domain.example.org' },
    { raw: 'success+label@simulator.amazonses.com', expected: 'success+label@simulator.amazonses.com' },
    { raw: 'plainaddress', expected: undefined },
    { raw: '@example.com', expected: undefined },
    { raw: 'ada@', expected: undefined },
    { raw: 'ada@@example.com', expected: undefined },
    { raw: 'two@@example.com', expected: undefined },
    { raw: 'no-at-sign.example.com', expected: undefined },
    { raw: 'ada@example', expected: undefined },
    { raw: 'ada@localhost', expected: undefined },
    { raw: 'ada lovelace@example.com', expected: undefined },
    { raw: 'space in@example.com', expected: undefined },
    { raw: '"ada"@example.com', expected: undefined },
    { raw: 'ada@exa_mple.com', expected: undefined },
    { raw: 'ada@-example.com', expected: undefined },
    { raw: 'ada@example-.com', expected: undefined },
    { raw: 'ada@example..com', expected: undefined },
    { raw: 'ada@example.com.', expected: undefined },
    { raw: `${'a'.repeat(250)}@example.com`, expected: undefined },
    { raw: '   ', expected: undefined },
    { raw: '', expected: undefined },
    { raw: undefined, expected: undefined },
  ])('$raw → $expected', ({ raw, expected }) => {
    // Act
    const email = cleanEmail(raw);

    // Assess
    expect(email).toBe(expected);
  });
});

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

describe('cleanMoney reads the amounts real exports write', () => {
  it.each([
    { raw: '12', expected: 12 },
    { raw: '12.5', expected: 12.5 },
    { raw: '$1,234.50', expected: 1234.5 },
    { raw: '1,234,567.89', expected: 1234567.89 },
    { raw: '1,234', expected: 1234 },
    { raw: '1.234,50', expected: 1234.5 },
    { raw: '12,5', expected: 12.5 },
    { raw: '12,50 €', expected: 12.5 },
    { raw: '€ 7', expected: 7 },
    { raw: '£1 000,00', expected: 1000 },
    { raw: 'EUR 3.10', expected: 3.1 },
    { raw: 'USD 10.10', expected: 10.1 },
    { raw: '(3.00)', expected: -3 },
    { raw: '-$5', expected: -5 },
    { raw: '.5', expected: 0.5 },
    { raw: '4.125', expected: 4.13 },
    { raw: '-4.125', expected: -4.13 },
    { raw: '1.005', expected: 1.01 },
    { raw: '2.2e-16', expected: 0 },
    { raw: '4.440892e-16', expected: 0 },
    { raw: ' 7 ', expected: 7 },
    { raw: 'abc', expected: undefined },
    { raw: '12abc', expected: undefined },
    { raw: '1.2.3', expected: undefined },
    { raw: '--5', expected: undefined },
    { raw: '()', expected: undefined },
    { raw: '$', expected: undefined },
    { raw: 'NaN', expected: undefined },
    { raw: '1e400', expected: undefined },
    { raw: '', expected: undefined },
    { raw: undefined, expected: undefined },
  ])('$raw → $expected', ({ raw, expected }) => {
    // Act
    const amount = cleanMoney(raw);

    // Assess
    expect(amount).toBe(expected);
  });
});

describe('roundMoney rounds to cents, half away from zero', () => {
  it.each([
    { value: 4.125, expected: 4.13 },
    { value: -4.125, expected: -4.13 },
    { value: 0.1 + 0.2, expected: 0.3 },
    { value: 2.344, expected: 2.34 },
    { value: -0.001, expected: 0 },
  ])('$value → $expected', ({ value, expected }) => {
    // Act
    const rounded = roundMoney(value);

    // Assess
    expect(rounded).toBe(expected);
  });
});

describe('cleanInteger reads whole numbers only', () => {
  it.each([
    { raw: '0', expected: 0 },
    { raw: '3', expected: 3 },
    { raw: '42', expected: 42 },
    { raw: ' 7 ', expected: 7 },
    { raw: ' -2 ', expected: -2 },
    { raw: '+5', expected: 5 },
    { raw: '-3', expected: -3 },
    { raw: '007', expected: 7 },
    { raw: '9007199254740991', expected: 9007199254740991 },
    { raw: '9007199254740993', expected: undefined },
    { raw: '99999999999999999999', expected: undefined },
    { raw: '2.5', expected: undefined },
    { raw: '1e3', expected: undefined },
    { raw: '1,000', expected: undefined },
    { raw: 'three', expected: undefined },
    { raw: 'x', expected: undefined },
    { raw: '', expected: undefined },
    { raw: undefined, expected: undefined },
  ])('$raw → $expected', ({ raw, expected }) => {
    // Act
    const integer = cleanInteger(raw);

    // Assess
    expect(integer).toBe(expected);
  });
});

interface DateCase {
  readonly raw: string | undefined;
  readonly format?: DateFormat;
  readonly zone?: string;
  readonly expected: string | undefined;
}

describe('cleanDate turns every supported form into an ISO-8601 UTC instant', () => {
  it.each<DateCase>([
    // ISO, with and without time and offset
    { raw: '2021-03-04', expected: '2021-03-04T00:00:00.000Z' },
    { raw: '2021-03-04T05:06', expected: '2021-03-04T05:06:00.000Z' },
    { raw: '2021-03-04 05:06:07', expected: '2021-03-04T05:06:07.000Z' },
    { raw: '2021-03-04T05:06:07+02:00', expected: '2021-03-04T03:06:07.000Z' },
    { raw: '2021-03-04T05:06:07-0500', expected: '2021-03-04T10:06:07.000Z' },
    { raw: '2021-01-01T02:00:00+05:30', expected: '2020-12-31T20:30:00.000Z' },
    { raw: ' 2021-03-04 ', expected: '2021-03-04T00:00:00.000Z' },
    { raw: '1997-01-01', expected: '1997-01-01T00:00:00.000Z' },
    { raw: '2017-01-28T19:06:53+0200', expected: '2017-01-28T17:06:53.000Z' },
    // YYYYMMDD
    { raw: '19970101', expected: '1997-01-01T00:00:00.000Z' },
    { raw: '19971231', expected: '1997-12-31T00:00:00.000Z' },
    // US m/d/yyyy unless the first part cannot be a month
    { raw: '3/4/2021', expected: '2021-03-04T00:00:00.000Z' },
    { raw: '12/25/2021', expected: '2021-12-25T00:00:00.000Z' },
    { raw: '3/4/2021 9:05', expected: '2021-03-04T09:05:00.000Z' },
    { raw: '3/4/2021', format: 'us', expected: '2021-03-04T00:00:00.000Z' },
    { raw: '3/12/2021', format: 'us', expected: '2021-03-12T00:00:00.000Z' },
    // EU d/m/yyyy when declared or when the first part exceeds 12
    { raw: '13/01/2021', expected: '2021-01-13T00:00:00.000Z' },
    { raw: '25.12.2021', expected: '2021-12-25T00:00:00.000Z' },
    { raw: '25/12/2021', expected: '2021-12-25T00:00:00.000Z' },
    { raw: '3/4/2021', format: 'eu', expected: '2021-04-03T00:00:00.000Z' },
    { raw: '3/12/2021', format: 'eu', expected: '2021-12-03T00:00:00.000Z' },
    { raw: '13/01/2021', format: 'us', expected: undefined },
    { raw: '12/25/2021', format: 'eu', expected: undefined },
    // Epoch seconds and milliseconds
    { raw: '1700000000', expected: '2023-11-14T22:13:20.000Z' },
    { raw: '1700000000123', expected: '2023-11-14T22:13:20.123Z' },
    { raw: '1700000000000', expected: '2023-11-14T22:13:20.000Z' },
    { raw: '0', format: 'epoch', expected: '1970-01-01T00:00:00.000Z' },
    { raw: 'abc', format: 'epoch', expected: undefined },
    { raw: '2021-01-01', format: 'epoch', expected: undefined },
    { raw: '99999999999999999', format: 'epoch', expected: undefined },
    // Impossible or unreadable dates
    { raw: '2021-02-30', expected: undefined },
    { raw: '2021-02-29', expected: undefined },
    { raw: '2020-02-29', expected: '2020-02-29T00:00:00.000Z' },
    { raw: '2021-04-31', expected: undefined },
    { raw: '2021-13-01', expected: undefined },
    { raw: '2021-00-10', expected: undefined },
    { raw: '20210230', expected: undefined },
    { raw: '31/04/2021', expected: undefined },
    { raw: '2/30/2021', expected: undefined },
    { raw: '2021-03-04T25:00', expected: undefined },
    { raw: '04-03-2021', expected: undefined },
    { raw: 'March 4, 2021', expected: undefined },
    { raw: 'yesterday', expected: undefined },
    { raw: '', expected: undefined },
    { raw: undefined, expected: undefined },
  ])('$raw ($format) → $expected', ({ raw, format, expected }) => {
    // Act
    const instant = cleanDate(raw, format);

    // Assess
    expect(instant).toBe(expected);
  });

  it.each<DateCase>([
    { raw: '2021-07-01 12:00', zone: 'America/New_York', expected: '2021-07-01T16:00:00.000Z' },
    { raw: '2021-01-01 12:00', zone: 'America/New_York', expected: '2021-01-01T17:00:00.000Z' },
    { raw: '2021-07-01', zone: 'Asia/Tokyo', expected: '2021-06-30T15:00:00.000Z' },
    { raw: '7/1/2021 12:00', zone: 'Europe/Berlin', expected: '2021-07-01T10:00:00.000Z' },
    { raw: '2021-07-01T12:00:00Z', zone: 'America/New_York', expected: '2021-07-01T12:00:00.000Z' },
    { raw: '2017-01-28T19:06:53Z', zone: 'America/New_York', expected: '2017-01-28T19:06:53.000Z' },
    { raw: '2011-06-16 14:45:00', zone: 'Europe/London', expected: '2011-06-16T13:45:00.000Z' },
    { raw: '2011-01-16 14:45:00', zone: 'Europe/London', expected: '2011-01-16T14:45:00.000Z' },
    { raw: '2021-07-01T12:00:00+01:00', zone: 'Asia/Tokyo', expected: '2021-07-01T11:00:00.000Z' },
    { raw: '1700000000', zone: 'Asia/Tokyo', expected: '2023-11-14T22:13:20.000Z' },
    { raw: '2021-07-01 12:00', zone: 'Mars/Olympus_Mons', expected: undefined },
    { raw: '2021-01-01 10:00', zone: 'Not/AZone', expected: undefined },
  ])('reads $raw as a wall-clock time in $zone only when it has no offset → $expected', ({ raw, zone, expected }) => {
    // Act
    const instant = cleanDate(raw, undefined, zone);

    // Assess
    expect(instant).toBe(expected);
  });

  it('answers a repeated value by its own format and zone, not by the last answer for the same text', () => {
    // Prepare
    const raw = '5/6/2021';

    // Act
    const answers = [cleanDate(raw, 'us'), cleanDate(raw, 'eu'), cleanDate(raw, 'us', 'Asia/Tokyo'), cleanDate(raw, 'us')];

    // Assess
    expect(answers).toEqual(['2021-05-06T00:00:00.000Z', '2021-06-05T00:00:00.000Z', '2021-05-05T15:00:00.000Z', '2021-05-06T00:00:00.000Z']);
  });
});

describe('cleanPhone writes a number in E.164, read in the given country when it has no prefix', () => {
  it.each([
    { raw: '(415) 555-2671', country: 'US', expected: '+14155552671' },
    { raw: '+44 20 7946 0958', country: undefined, expected: '+442079460958' },
    { raw: '020 7946 0958', country: 'GB', expected: '+442079460958' },
    { raw: '12', country: 'US', expected: undefined },
    { raw: 'NA', country: 'US', expected: undefined },
  ])('$raw in $country → $expected', ({ raw, country, expected }) => {
    // Act
    const phone = cleanPhone(raw, country);

    // Assess
    expect(phone).toBe(expected);
  });
});

describe('isMissing knows the ways exports write an empty cell', () => {
  it.each(['', ' NA ', 'n/a', 'NULL', 'NaN', '-'])('%j is missing', (raw) => {
    expect(isMissing(raw)).toBe(true);
  });

  it.each(['0', 'Ann', 'NAB'])('%j is a value', (raw) => {
    expect(isMissing(raw)).toBe(false);
  });
});

describe('neutralizeFormula quotes cells a spreadsheet would run', () => {
  it.each([
    { cell: '=HYPERLINK("http://x")', expected: `'=HYPERLINK("http://x")` },
    { cell: '+1+1', expected: `'+1+1` },
    { cell: '-2', expected: `'-2` },
    { cell: '@SUM(A1)', expected: `'@SUM(A1)` },
    { cell: '=SUM(A1)', expected: `'=SUM(A1)` },
    { cell: '+1', expected: `'+1` },
    { cell: '-1', expected: `'-1` },
    { cell: '@cmd', expected: `'@cmd` },
    { cell: 'plain', expected: 'plain' },
    { cell: '\t=1', expected: `'\t=1` },
    { cell: '\r=1', expected: `'\r=1` },
    { cell: 'a=b', expected: 'a=b' },
    { cell: 'ada@example.com', expected: 'ada@example.com' },
    { cell: '12.50', expected: '12.50' },
    { cell: '', expected: '' },
  ])('$cell → $expected', ({ cell, expected }) => {
    // Act
    const safe = neutralizeFormula(cell);

    // Assess
    expect(safe).toBe(expected);
  });
});

describe('cleanExternalId makes the ways people write one card number compare equal', () => {
  it.each([
    { raw: 'LY-0042', expected: 'ly0042' },
    { raw: ' ly 0042 ', expected: 'ly0042' },
    { raw: 'LY.0042', expected: 'ly0042' },
    { raw: 'ly_00_42', expected: 'ly0042' },
    { raw: 'ＬＹ００４２', expected: 'ly0042' },
    { raw: '12345', expected: '12345' },
    { raw: ' - ', expected: undefined },
    { raw: '', expected: undefined },
    { raw: undefined, expected: undefined },
    { raw: 'x'.repeat(129), expected: undefined },
  ])('$raw → $expected', ({ raw, expected }) => {
    expect(cleanExternalId(raw)).toBe(expected);
  });
});
