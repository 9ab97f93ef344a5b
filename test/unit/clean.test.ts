import { describe, expect, it } from 'vitest';
import { cleanDate, cleanEmail, cleanExternalId, cleanInteger, cleanMoney, neutralizeFormula, roundMoney, type DateFormat } from '../../functions/core/clean.ts';

describe('cleanEmail trims, lower-cases and rejects what cannot be an address', () => {
  it.each([
    { raw: 'ada@example.com', expected: 'ada@example.com' },
    { raw: '  Ada.Lovelace@Example.COM\t', expected: 'ada.lovelace@example.com' },
    { raw: 'first+tag@mail.example.co.uk', expected: 'first+tag@mail.example.co.uk' },
    { raw: 'o-k@sub-domain.example.org', expected: 'o-k@sub-domain.example.org' },
    { raw: 'plainaddress', expected: undefined },
    { raw: '@example.com', expected: undefined },
    { raw: 'ada@', expected: undefined },
    { raw: 'ada@@example.com', expected: undefined },
    { raw: 'ada@example', expected: undefined },
    { raw: 'ada lovelace@example.com', expected: undefined },
    { raw: '"ada"@example.com', expected: undefined },
    { raw: 'ada@exa_mple.com', expected: undefined },
    { raw: 'ada@-example.com', expected: undefined },
    { raw: 'ada@example-.com', expected: undefined },
    { raw: 'ada@example..com', expected: undefined },
    { raw: 'ada@example.com.', expected: undefined },
    { raw: `${'a'.repeat(250)}@example.com`, expected: undefined },
    { raw: '   ', expected: undefined },
    { raw: undefined, expected: undefined },
  ])('$raw → $expected', ({ raw, expected }) => {
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
    { raw: '(3.00)', expected: -3 },
    { raw: '-$5', expected: -5 },
    { raw: '.5', expected: 0.5 },
    { raw: '4.125', expected: 4.13 },
    { raw: '-4.125', expected: -4.13 },
    { raw: '1.005', expected: 1.01 },
    { raw: '2.2e-16', expected: 0 },
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
    { raw: '42', expected: 42 },
    { raw: ' 7 ', expected: 7 },
    { raw: '+5', expected: 5 },
    { raw: '-3', expected: -3 },
    { raw: '007', expected: 7 },
    { raw: '9007199254740991', expected: 9007199254740991 },
    { raw: '9007199254740993', expected: undefined },
    { raw: '2.5', expected: undefined },
    { raw: '1e3', expected: undefined },
    { raw: '1,000', expected: undefined },
    { raw: 'three', expected: undefined },
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
    // YYYYMMDD
    { raw: '19970101', expected: '1997-01-01T00:00:00.000Z' },
    { raw: '19971231', expected: '1997-12-31T00:00:00.000Z' },
    // US m/d/yyyy unless the first part cannot be a month
    { raw: '3/4/2021', expected: '2021-03-04T00:00:00.000Z' },
    { raw: '12/25/2021', expected: '2021-12-25T00:00:00.000Z' },
    { raw: '3/4/2021 9:05', expected: '2021-03-04T09:05:00.000Z' },
    { raw: '3/4/2021', format: 'us', expected: '2021-03-04T00:00:00.000Z' },
    // EU d/m/yyyy when declared or when the first part exceeds 12
    { raw: '13/01/2021', expected: '2021-01-13T00:00:00.000Z' },
    { raw: '25.12.2021', expected: '2021-12-25T00:00:00.000Z' },
    { raw: '3/4/2021', format: 'eu', expected: '2021-04-03T00:00:00.000Z' },
    { raw: '13/01/2021', format: 'us', expected: undefined },
    { raw: '12/25/2021', format: 'eu', expected: undefined },
    // Epoch seconds and milliseconds
    { raw: '1700000000', expected: '2023-11-14T22:13:20.000Z' },
    { raw: '1700000000123', expected: '2023-11-14T22:13:20.123Z' },
    { raw: '0', format: 'epoch', expected: '1970-01-01T00:00:00.000Z' },
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
    { raw: '2021-07-01T12:00:00+01:00', zone: 'Asia/Tokyo', expected: '2021-07-01T11:00:00.000Z' },
    { raw: '1700000000', zone: 'Asia/Tokyo', expected: '2023-11-14T22:13:20.000Z' },
    { raw: '2021-07-01 12:00', zone: 'Mars/Olympus_Mons', expected: undefined },
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

describe('neutralizeFormula quotes cells a spreadsheet would run', () => {
  it.each([
    { cell: '=HYPERLINK("http://x")', expected: `'=HYPERLINK("http://x")` },
    { cell: '+1+1', expected: `'+1+1` },
    { cell: '-2', expected: `'-2` },
    { cell: '@SUM(A1)', expected: `'@SUM(A1)` },
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
