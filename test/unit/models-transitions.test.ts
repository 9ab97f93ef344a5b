import { describe, expect, it } from 'vitest';
import { forecastTransitions, periodBoundaries, type SegmentTransition } from '../../functions/core/models/transitions.ts';

const enter = (customerId: string, segment: string, at: string): SegmentTransition => ({ customerId, segment, change: 'enter', at: `${at}T06:00:00.000Z` });
const exit = (customerId: string, segment: string, at: string): SegmentTransition => ({ customerId, segment, change: 'exit', at: `${at}T06:00:00.000Z` });
const move = (customerId: string, from: string, to: string, at: string) => [exit(customerId, from, at), enter(customerId, to, at)];

// Month ends: January, February, March.
const BOUNDARIES = ['2024-01-31T23:59:59.999Z', '2024-02-29T23:59:59.999Z', '2024-03-31T23:59:59.999Z'];

/**
 * Four customers over two monthly periods:
 *   a  new (Jan) → active (Feb) → active
 *   b  new (Jan) → lapsed (Feb) → churned (Mar)
 *   c  none      → new (Feb)    → active (Mar)
 *   d  active (Jan) → active    → lapsed (Mar)
 * plus segments outside the lifecycle, which are ignored.
 */
const HISTORY: SegmentTransition[] = [
  enter('a', 'new', '2024-01-10'),
  ...move('a', 'new', 'active', '2024-02-10'),
  enter('b', 'new', '2024-01-15'),
  ...move('b', 'new', 'lapsed', '2024-02-20'),
  ...move('b', 'lapsed', 'churned', '2024-03-20'),
  enter('c', 'new', '2024-02-05'),
  ...move('c', 'new', 'active', '2024-03-05'),
  enter('d', 'active', '2023-12-01'),
  ...move('d', 'active', 'lapsed', '2024-03-25'),
  enter('a', 'vip', '2024-02-10'),
  enter('d', 'rfm-champions', '2024-01-01'),
];

describe('lifecycle transitions', () => {
  const result = forecastTransitions(HISTORY, BOUNDARIES);
  const p = (from: string, to: string) => result.probabilities[result.states.indexOf(from)]![result.states.indexOf(to)]!;
  const n = (from: string, to: string) => result.counts[result.states.indexOf(from)]![result.states.indexOf(to)]!;

  it.each([
    ['new', 'active', 2], // a in Feb, c in Mar
    ['new', 'lapsed', 1], // b in Feb
    ['lapsed', 'churned', 1], // b in Mar
    ['active', 'active', 2], // d in Feb, a in Mar
    ['active', 'lapsed', 1], // d in Mar
    ['none', 'new', 1], // c in Feb
    ['none', 'none', 0],
  ])('counts %s → %s: %i', (from, to, expected) => {
    expect(n(from, to)).toBe(expected);
  });

  it('estimates each row as shares of the customers who started the period there', () => {
    expect(p('new', 'active')).toBeCloseTo(2 / 3, 12);
    expect(p('new', 'lapsed')).toBeCloseTo(1 / 3, 12);
    expect(p('active', 'active')).toBeCloseTo(2 / 3, 12);
    expect(p('active', 'lapsed')).toBeCloseTo(1 / 3, 12);
    for (const row of result.probabilities) expect(row.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 12);
  });

  it('keeps a state never left from (churned here) where it is', () => {
    expect(p('churned', 'churned')).toBe(1);
  });

  it('forecasts next period from the current sizes and the average inflow', () => {
    expect(result.current).toEqual({ none: 0, new: 0, active: 2, lapsed: 1, churned: 1 });
    expect(result.inflowPerPeriod).toEqual({ none: 0, new: 0.5, active: 0, lapsed: 0, churned: 0 });
    // active 2 × (2/3 stay, 1/3 lapse); lapsed 1 → churned; churned stays; plus half a new customer.
    expect(result.forecast.active).toBeCloseTo(4 / 3, 12);
    expect(result.forecast.lapsed).toBeCloseTo(2 / 3, 12);
    expect(result.forecast.churned).toBeCloseTo(2, 12);
    expect(result.forecast.new).toBeCloseTo(0.5, 12);
  });

  it('reads an exit and an enter at the same instant as one move, whatever their order in the input', () => {
    const reversed = forecastTransitions([...HISTORY].reverse(), BOUNDARIES);
    expect(reversed.counts).toEqual(result.counts);
  });

  it('puts a customer who left every lifecycle segment (erased) back in none', () => {
    const erased = forecastTransitions([enter('e', 'active', '2024-01-01'), exit('e', 'active', '2024-02-15')], BOUNDARIES);
    expect(erased.counts[erased.states.indexOf('active')]![erased.states.indexOf('none')]).toBe(1);
    expect(erased.current.none).toBe(1);
  });

  it('needs ascending boundaries', () => {
    expect(() => forecastTransitions(HISTORY, ['2024-02-01', '2024-01-01'])).toThrow(/ascending/);
    expect(() => forecastTransitions(HISTORY, ['2024-02-01'])).toThrow(/two period boundaries/);
  });

  it('spaces period boundaries evenly back from the end', () => {
    expect(periodBoundaries(new Date('2024-03-31T00:00:00Z'), 2, 30)).toEqual(['2024-01-31T00:00:00.000Z', '2024-03-01T00:00:00.000Z', '2024-03-31T00:00:00.000Z']);
  });
});
