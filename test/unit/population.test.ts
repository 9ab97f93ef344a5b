import { describe, expect, it } from 'vitest';
import { addToStats, emptyStats, finalizeStats, mergeStats, percentileOf, quintileScore } from '../../functions/core/segments/population.ts';

/** DESIGN.md's definition, computed the slow way: 1 + floor(5 × (number strictly worse) / N). */
const bruteScore = (values: readonly number[], v: number) => 1 + Math.floor((5 * values.filter((x) => x < v).length) / values.length);
/** A value outside the population (a customer scored at ingest) above everyone still scores 5. */
const outsiderScore = (values: readonly number[], v: number) => Math.min(5, bruteScore(values, v));

/** A small deterministic generator, so failures reproduce. */
function random(seed: number) {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

const statsOf = (values: readonly number[], field = 'x') => {
  const partial = emptyStats([field]);
  for (const v of values) addToStats(partial, { x: v });
  return partial;
};

describe('quintile scores from 101 order statistics equal the definition exactly', () => {
  it.each([
    ['distinct values', (r: () => number) => Math.round(r() * 100_000) / 100],
    ['heavy ties (most customers buy once)', (r: () => number) => (r() < 0.7 ? 1 : 1 + Math.floor(r() * 12))],
    ['money with cents', (r: () => number) => Math.round(r() * 50_000) / 100],
  ])('%s, for population sizes 1 to 500', (_label, draw) => {
    const r = random(42);
    for (const n of [1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 99, 100, 101, 499, 500]) {
      const values = Array.from({ length: n }, () => draw(r));
      const population = finalizeStats(statsOf(values));
      for (const v of values) expect(quintileScore(population, 'x', v), `n=${n} v=${v}`).toBe(bruteScore(values, v));
      for (const v of [-1, 0.5, 1e9, ...values.map((x) => x + 0.01)]) expect(quintileScore(population, 'x', v), `n=${n} v=${v}`).toBe(outsiderScore(values, v));
    }
  });

  it('merging partial statistics in any split gives the same population', () => {
    const r = random(7);
    const values = Array.from({ length: 1000 }, () => Math.round(r() * 300));
    const whole = finalizeStats(statsOf(values));
    const parts = [values.slice(0, 10), values.slice(10, 600), values.slice(600)].map((v) => statsOf(v));
    const merged = finalizeStats(parts.reduce((a, b) => mergeStats(a, b)));
    expect(merged).toEqual(whole);
  });

  it('percentiles are order statistics: p90 of 1..100 is 90, p0 the minimum, p100 the maximum', () => {
    const population = finalizeStats(statsOf(Array.from({ length: 100 }, (_, i) => i + 1)));
    expect([0, 50, 90, 100].map((p) => percentileOf(population, 'x', p))).toEqual([1, 50, 90, 100]);
  });

  it('ignores customers without a numeric value and scores nothing before statistics exist', () => {
    const partial = emptyStats(['x']);
    for (const facts of [{ x: 3 }, { x: 'three' }, {}, { x: Number.NaN }]) addToStats(partial, facts);
    expect(finalizeStats(partial).fields.x?.count).toBe(1);
    expect(quintileScore(finalizeStats(emptyStats(['x'])), 'x', 3)).toBeUndefined();
  });
});
