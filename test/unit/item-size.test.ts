import { describe, expect, it } from 'vitest';
import { writeProblem } from '../../functions/core/item-size.ts';

/** DynamoDB's item size limit. */
const MAX_ITEM_BYTES = 400 * 1024;

describe('the size DynamoDB charges for an item', () => {
  it.each([
    ['a string: name and value in UTF-8', { pk: 'C#1' }, 2 + 3],
    ['multi-byte characters count in bytes', { name: 'Zoë' }, 4 + 4],
    ['a number at its largest size, 21 bytes', { amount: 1.5 }, 6 + 21],
    ['booleans and nulls, 1 byte', { cancelled: true, note: null }, 9 + 1 + 4 + 1],
    ['a map: 3 bytes, then per element 1 byte, its name and value', { contact: { email: 'a@b.c' } }, 7 + 3 + 1 + 5 + 5],
    ['a list: 3 bytes, then per element 1 byte and its value', { interests: ['jazz', 'rock'] }, 9 + 3 + (1 + 4) * 2],
    ['undefined attributes are not stored', { pk: 'x', gone: undefined }, 3],
  ])('%s', (_rule, item, bytes) => {
    // The item fits with exactly the rest of the limit in reserve, and not with a byte more.
    expect(writeProblem(item, MAX_ITEM_BYTES - bytes)).toBeUndefined();
    expect(writeProblem(item, MAX_ITEM_BYTES - bytes + 1)).toBe('row too large for one item');
  });
});

describe('what DynamoDB would refuse', () => {
  it.each([
    ['an item within the limit', { pk: 'C#1', sk: 'O#1', note: 'x'.repeat(1000) }, 0, undefined],
    ['an item over 400 KB', { pk: 'C#1', sk: 'O#1', note: 'x'.repeat(MAX_ITEM_BYTES) }, 0, 'row too large for one item'],
    ['an item that fits only without the reserve', { pk: 'C#1', sk: 'O#1', note: 'x'.repeat(MAX_ITEM_BYTES - 100) }, 4096, 'row too large for one item'],
    ['a sort key over 1024 bytes', { pk: 'C#1', sk: `O#${'é'.repeat(512)}` }, 0, 'id too long for a key'],
    ['a partition key over 2048 bytes', { pk: `C#${'x'.repeat(2047)}`, sk: 'CONTACT' }, 0, 'id too long for a key'],
    ['an integer beyond 2^53, nested', { pk: 'C#1', sk: 'O#1', facts: { n: [2 ** 60] } }, 0, 'number out of range for storage'],
    ['not a number', { pk: 'C#1', sk: 'O#1', amount: Number.NaN }, 0, 'number out of range for storage'],
  ])('%s', (_case, item, reserve, problem) => {
    expect(writeProblem(item, reserve)).toBe(problem);
  });
});
