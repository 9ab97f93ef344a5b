import { describe, expect, it } from 'vitest';
import { stableJson } from '../../functions/core/stable-json.ts';

describe('stableJson', () => {
  it.each<{ readonly label: string; readonly a: unknown; readonly b: unknown }>([
    { label: 'top-level keys', a: { b: 1, a: 2 }, b: { a: 2, b: 1 } },
    { label: 'nested keys', a: { x: { d: 1, c: { f: 2, e: 3 } } }, b: { x: { c: { e: 3, f: 2 }, d: 1 } } },
    { label: 'objects inside arrays', a: [{ b: 1, a: 2 }, { d: 3, c: 4 }], b: [{ a: 2, b: 1 }, { c: 4, d: 3 }] },
    { label: 'a DynamoDB-like item', a: { pk: 'C#1', sk: 'PROFILE', orders: { revenue: 10, orders: 1 } }, b: { orders: { orders: 1, revenue: 10 }, sk: 'PROFILE', pk: 'C#1' } },
  ])('ignores the order of $label', ({ a, b }) => {
    // Act
    const [left, right] = [stableJson(a), stableJson(b)];

    // Assess
    expect(left).toBe(right);
  });

  it.each<{ readonly label: string; readonly value: unknown; readonly expected: string }>([
    { label: 'sorts keys', value: { b: 1, a: { d: null, c: 'x' } }, expected: '{"a":{"c":"x","d":null},"b":1}' },
    { label: 'keeps array order', value: [3, 1, 2], expected: '[3,1,2]' },
    { label: 'writes scalars as JSON does', value: 'text', expected: '"text"' },
    { label: 'drops undefined values as JSON does', value: { b: undefined, a: 1 }, expected: '{"a":1}' },
  ])('$label', ({ value, expected }) => {
    // Act
    const json = stableJson(value);

    // Assess
    expect(json).toBe(expected);
  });

  it.each<{ readonly label: string; readonly a: unknown; readonly b: unknown }>([
    { label: 'different values', a: { a: 1 }, b: { a: 2 } },
    { label: 'different array orders', a: { a: [1, 2] }, b: { a: [2, 1] } },
    { label: 'a number and a string', a: { a: 1 }, b: { a: '1' } },
  ])('still tells apart $label', ({ a, b }) => {
    // Act
    const [left, right] = [stableJson(a), stableJson(b)];

    // Assess
    expect(left).not.toBe(right);
  });
});
