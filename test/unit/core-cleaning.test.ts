import { describe, expect, it } from 'vitest';
import { cleanDate, cleanEmail, cleanInteger, cleanMoney, cleanPhone, isMissing, neutralizeFormula } from '../../functions/core/clean.ts';

describe('cleanEmail', () => {
  it.each([
    ['  Ada@Example.COM ', 'ada@example.com'],
    ['success+label@simulator.amazonses.com', 'success+label@simulator.amazonses.com'],
    ['no-at-sign.example.com', undefined],
    ['two@@example.com', undefined],
    ['space in@example.com', undefined],
    ['ada@localhost', undefined],
    ['', undefined],
    [undefined, undefined],
  ])('%j → %j', (raw, expected) => {
    expect(cleanEmail(raw)).toBe(expected);
  });
});

describe('cleanMoney', () => {
  it.each([
    ['12', 12],
    ['$1,234.50', 1234.5],
    ['1.234,50', 1234.5],
    ['12,5', 12.5],
    ['€ 7', 7],
    ['(3.00)', -3],
    ['-4.125', -4.13],
    ['4.440892e-16', 0],
    ['USD 10.10', 10.1],
    ['abc', undefined],
    ['1.2.3', undefined],
    ['', undefined],
  ])('%j → %j', (raw, expected) => {
    expect(cleanMoney(raw)).toBe(expected);
  });
});

describe('cleanInteger', () => {
  it.each([
    ['3', 3],
    [' -2 ', -2],
    ['2.5', undefined],
    ['99999999999999999999', undefined],
    ['x', undefined],
  ])('%j → %j', (raw, expected) => {
    expect(cleanInteger(raw)).toBe(expected);
  });
});

describe('cleanDate', () => {
  it.each([
    ['1997-01-01', undefined, undefined, '1997-01-01T00:00:00.000Z'],
    ['19970101', undefined, undefined, '1997-01-01T00:00:00.000Z'],
    ['2017-01-28T19:06:53Z', undefined, 'America/New_York', '2017-01-28T19:06:53.000Z'],
    ['2017-01-28T19:06:53+0200', undefined, undefined, '2017-01-28T17:06:53.000Z'],
    ['2011-06-16 14:45:00', undefined, 'Europe/London', '2011-06-16T13:45:00.000Z'],
    ['2011-01-16 14:45:00', undefined, 'Europe/London', '2011-01-16T14:45:00.000Z'],
    ['3/12/2021', 'us', undefined, '2021-03-12T00:00:00.000Z'],
    ['3/12/2021', 'eu', undefined, '2021-12-03T00:00:00.000Z'],
    ['25/12/2021', undefined, undefined, '2021-12-25T00:00:00.000Z'],
    ['1700000000', undefined, undefined, '2023-11-14T22:13:20.000Z'],
    ['1700000000000', undefined, undefined, '2023-11-14T22:13:20.000Z'],
    ['2021-02-30', undefined, undefined, undefined],
    ['2021-13-01', undefined, undefined, undefined],
    ['yesterday', undefined, undefined, undefined],
    ['2021-01-01 10:00', undefined, 'Not/AZone', undefined],
    ['abc', 'epoch', undefined, undefined],
    ['2021-01-01', 'epoch', undefined, undefined],
    ['99999999999999999', 'epoch', undefined, undefined],
  ] as const)('%j (%s, %s) → %j', (raw, format, zone, expected) => {
    expect(cleanDate(raw, format, zone)).toBe(expected);
  });
});

describe('cleanPhone', () => {
  it.each([
    ['(415) 555-2671', 'US', '+14155552671'],
    ['+44 20 7946 0958', undefined, '+442079460958'],
    ['020 7946 0958', 'GB', '+442079460958'],
    ['12', 'US', undefined],
    ['NA', 'US', undefined],
  ])('%j in %s → %j', (raw, country, expected) => {
    expect(cleanPhone(raw, country)).toBe(expected);
  });
});

describe('missing values and formula cells', () => {
  it.each(['', ' NA ', 'n/a', 'NULL', 'NaN', '-'])('%j is missing', (raw) => expect(isMissing(raw)).toBe(true));
  it.each(['0', 'Ann', 'NAB'])('%j is a value', (raw) => expect(isMissing(raw)).toBe(false));
  it.each([
    ['=SUM(A1)', "'=SUM(A1)"],
    ['+1', "'+1"],
    ['-1', "'-1"],
    ['@cmd', "'@cmd"],
    ['plain', 'plain'],
  ])('%j is written as %j', (cell, expected) => expect(neutralizeFormula(cell)).toBe(expected));
});
