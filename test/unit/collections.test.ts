import { describe, expect, it } from 'vitest';
import { chunk, mapLimit } from '../../functions/core/collections.ts';

describe('chunk', () => {
  it.each([
    { count: 0, size: 50, sizes: [] },
    { count: 1, size: 50, sizes: [1] },
    { count: 50, size: 50, sizes: [50] },
    { count: 51, size: 50, sizes: [50, 1] },
    { count: 101, size: 50, sizes: [50, 50, 1] },
  ])('$count items in chunks of $size → $sizes', ({ count, size, sizes }) => {
    // Prepare
    const items = Array.from({ length: count }, (_, i) => i);

    // Act
    const chunks = chunk(items, size);

    // Assess
    expect(chunks.map((c) => c.length)).toEqual(sizes);
    expect(chunks.flat()).toEqual(items);
  });

  it.each([0, -1, 1.5, Number.NaN])('refuses a chunk size of %s', (size) => {
    expect(() => chunk([1, 2, 3], size)).toThrow(`chunk size must be a positive integer, got ${size}`);
  });
});

describe('mapLimit', () => {
  it.each([
    { count: 0, limit: 4 },
    { count: 3, limit: 4 },
    { count: 20, limit: 4 },
    { count: 5, limit: 1 },
  ])('calls fn once per item of $count with at most $limit in flight', async ({ count, limit }) => {
    // Prepare
    const items = Array.from({ length: count }, (_, i) => i);
    const seen: number[] = [];
    let inFlight = 0;
    let most = 0;

    // Act
    await mapLimit(items, limit, async (item) => {
      inFlight += 1;
      most = Math.max(most, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 1));
      seen.push(item);
      inFlight -= 1;
    });

    // Assess
    expect([...seen].sort((a, b) => a - b)).toEqual(items);
    expect(most).toBeLessThanOrEqual(Math.max(1, Math.min(limit, count)));
  });

  it('rejects with the failure of a call', async () => {
    await expect(mapLimit([1, 2, 3], 2, async (item) => {
      if (item === 2) throw new Error('item 2 failed');
    })).rejects.toThrow('item 2 failed');
  });
});
