import { describe, expect, it } from 'vitest';
import { RepeatFilter } from '../../functions/core/repeat-filter.ts';

describe('RepeatFilter', () => {
  it('never misses a row that occurs twice, and rarely flags one that occurs once', () => {
    const filter = new RepeatFilter(2 ** 20);
    const rows = Array.from({ length: 50_000 }, (_, i) => `customer-${i},1997-01-${(i % 28) + 1},${i % 97}.00`);
    const repeated = rows.filter((_, i) => i % 100 === 0);
    for (const row of [...rows, ...repeated]) filter.add(row);
    expect(repeated.every((row) => filter.mayRepeat(row))).toBe(true);
    const falsePositives = rows.filter((row, i) => i % 100 !== 0 && filter.mayRepeat(row)).length;
    expect(falsePositives / rows.length).toBeLessThan(0.01);
  });

  it('refuses a size that is not a power of two', () => {
    expect(() => new RepeatFilter(1000)).toThrow(RangeError);
  });
});

describe('RepeatFilter.acrossChunks', () => {
  it('flags every row that occurs in two chunks and, at this fill, none that occurs in one', () => {
    const chunks = [['a', 'b', 'c'], ['c', 'd', 'e', 'e'], ['f', 'a']].map((rows) => {
      const filter = new RepeatFilter(2 ** 16);
      for (const row of rows) filter.add(row);
      return RepeatFilter.fromBytes(filter.toBytes());
    });
    const across = RepeatFilter.acrossChunks(chunks);
    expect(['a', 'b', 'c', 'd', 'e', 'f'].filter((row) => across.mayRepeat(row))).toEqual(['a', 'c']);
  });
});
