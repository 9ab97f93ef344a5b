import { describe, expect, it } from 'vitest';
import { InputError } from '../../functions/core/errors.ts';
import { parseSegmentDefinition, type Condition, type SegmentDefinition } from '../../functions/core/segments/definition.ts';
import { evaluateSegment, type Evaluation, type Facts, type Reason } from '../../functions/core/segments/evaluate.ts';
import { diffMemberships, type Membership } from '../../functions/core/segments/assign.ts';
import { BUILTIN_SEGMENTS } from '../../functions/core/segments/builtin.ts';

function segment(condition: Condition, name = 'test-segment'): SegmentDefinition {
  return { name, title: 'Test segment', description: '', kind: 'custom', condition };
}

describe('parseSegmentDefinition', () => {
  it('accepts a nested definition and defaults the description', () => {
    // Prepare
    const json = {
      name: 'lapsed-vip-2',
      title: 'Lapsed VIPs',
      kind: 'value',
      condition: {
        type: 'all',
        conditions: [
          { type: 'compare', field: 'orders.revenue', op: 'gte', value: 500 },
          { type: 'any', conditions: [{ type: 'compare', field: 'contact.country', op: 'in', value: ['US', 'CA'] }, { type: 'compare', field: 'contact.email', op: 'exists' }] },
          { type: 'not', condition: { type: 'compare', field: 'contact.consent', op: 'eq', value: false } },
        ],
      },
    };

    // Act
    const definition = parseSegmentDefinition(json, 'segments/lapsed.json');

    // Assess
    expect(definition).toEqual({ ...json, description: '' });
  });

  it.each<{ readonly label: string; readonly json: unknown; readonly message: RegExp }>([
    {
      label: 'a name with capitals and spaces',
      json: { name: 'Big Spenders', title: 't', kind: 'value', condition: { type: 'compare', field: 'x', op: 'eq', value: 1 } },
      message: /^invalid segment definition s\.json: name: lower-case letters, digits and dashes$/,
    },
    {
      label: 'an empty title and an unknown kind, both named',
      json: { name: 'a', title: '', kind: 'vibes', condition: { type: 'compare', field: 'x', op: 'eq', value: 1 } },
      message: /^invalid segment definition s\.json: title: .+; kind: Invalid option: /,
    },
    {
      label: 'a compare without a value',
      json: { name: 'a', title: 't', kind: 'custom', condition: { type: 'compare', field: 'x', op: 'lt' } },
      message: /^invalid segment definition s\.json: condition: value is required unless op is "exists"$/,
    },
    {
      label: '"in" with a single value',
      json: { name: 'a', title: 't', kind: 'custom', condition: { type: 'compare', field: 'x', op: 'in', value: 'US' } },
      message: /^invalid segment definition s\.json: condition: op "in" takes an array value, other ops a single value$/,
    },
    {
      label: 'an unknown operator deep in the tree',
      json: { name: 'a', title: 't', kind: 'custom', condition: { type: 'all', conditions: [{ type: 'compare', field: 'x', op: 'between', value: 1 }] } },
      message: /^invalid segment definition s\.json: condition: /,
    },
    {
      label: 'an empty "any"',
      json: { name: 'a', title: 't', kind: 'custom', condition: { type: 'any', conditions: [] } },
      message: /^invalid segment definition s\.json: condition\.conditions: Too small: /,
    },
    {
      label: 'an empty "any" inside an "all"',
      json: { name: 'a', title: 't', kind: 'custom', condition: { type: 'all', conditions: [{ type: 'any', conditions: [] }] } },
      message: /^invalid segment definition s\.json: condition\.conditions\.0\.conditions: Too small: /,
    },
    {
      label: 'an unknown top-level key',
      json: { name: 'a', title: 't', kind: 'custom', condition: { type: 'compare', field: 'x', op: 'exists' }, owner: 'me' },
      message: /^invalid segment definition s\.json: \(root\): Unrecognized key: "owner"$/,
    },
  ])('refuses $label, naming the path', ({ json, message }) => {
    // Act
    const parse = (): SegmentDefinition => parseSegmentDefinition(json, 's.json');

    // Assess
    expect(parse).toThrow(InputError);
    expect(parse).toThrow(message);
  });
});

describe('evaluateSegment compares a field with a value', () => {
  it.each<{ readonly condition: Condition; readonly facts: Facts; readonly matched: boolean }>([
    { condition: { type: 'compare', field: 'n', op: 'eq', value: 3 }, facts: { n: 3 }, matched: true },
    { condition: { type: 'compare', field: 'n', op: 'eq', value: 3 }, facts: { n: 4 }, matched: false },
    { condition: { type: 'compare', field: 'n', op: 'eq', value: 3 }, facts: { n: '3' }, matched: false },
    { condition: { type: 'compare', field: 'n', op: 'neq', value: 3 }, facts: { n: 4 }, matched: true },
    { condition: { type: 'compare', field: 'n', op: 'neq', value: 3 }, facts: { n: 3 }, matched: false },
    { condition: { type: 'compare', field: 'n', op: 'gt', value: 3 }, facts: { n: 4 }, matched: true },
    { condition: { type: 'compare', field: 'n', op: 'gt', value: 3 }, facts: { n: 3 }, matched: false },
    { condition: { type: 'compare', field: 'n', op: 'gte', value: 3 }, facts: { n: 3 }, matched: true },
    { condition: { type: 'compare', field: 'n', op: 'gte', value: 3 }, facts: { n: 2.99 }, matched: false },
    { condition: { type: 'compare', field: 'n', op: 'lt', value: 3 }, facts: { n: 2 }, matched: true },
    { condition: { type: 'compare', field: 'n', op: 'lt', value: 3 }, facts: { n: 3 }, matched: false },
    { condition: { type: 'compare', field: 'n', op: 'lte', value: 3 }, facts: { n: 3 }, matched: true },
    { condition: { type: 'compare', field: 'n', op: 'lte', value: 3 }, facts: { n: 4 }, matched: false },
    { condition: { type: 'compare', field: 'at', op: 'lt', value: '2024-01-01' }, facts: { at: '2023-12-31T23:00:00.000Z' }, matched: true },
    { condition: { type: 'compare', field: 'n', op: 'gt', value: 3 }, facts: { n: '10' }, matched: false },
    { condition: { type: 'compare', field: 'c', op: 'in', value: ['US', 'CA'] }, facts: { c: 'CA' }, matched: true },
    { condition: { type: 'compare', field: 'c', op: 'in', value: ['US', 'CA'] }, facts: { c: 'DE' }, matched: false },
    { condition: { type: 'compare', field: 'b', op: 'eq', value: false }, facts: { b: false }, matched: true },
    { condition: { type: 'compare', field: 'e', op: 'exists' }, facts: { e: '' }, matched: true },
    { condition: { type: 'compare', field: 'e', op: 'exists' }, facts: { e: 0 }, matched: true },
    { condition: { type: 'compare', field: 'e', op: 'exists' }, facts: { e: null }, matched: false },
    { condition: { type: 'compare', field: 'e', op: 'exists' }, facts: {}, matched: false },
    { condition: { type: 'compare', field: 'a.b.c', op: 'eq', value: 1 }, facts: { a: { b: { c: 1 } } }, matched: true },
    { condition: { type: 'compare', field: 'a.b.c', op: 'eq', value: 1 }, facts: { a: { b: 1 } }, matched: false },
  ])('$condition.field $condition.op $condition.value on $facts → $matched', ({ condition, facts, matched }) => {
    // Act
    const evaluation = evaluateSegment(segment(condition), facts);

    // Assess
    expect(evaluation.matched).toBe(matched);
  });

  it.each<{ readonly condition: Condition }>([
    { condition: { type: 'compare', field: 'missing', op: 'eq', value: 1 } },
    { condition: { type: 'compare', field: 'missing', op: 'neq', value: 1 } },
    { condition: { type: 'compare', field: 'missing', op: 'lt', value: 1 } },
    { condition: { type: 'compare', field: 'missing', op: 'lte', value: 1 } },
    { condition: { type: 'compare', field: 'missing', op: 'gt', value: 0 } },
    { condition: { type: 'compare', field: 'missing', op: 'in', value: [1] } },
    { condition: { type: 'compare', field: 'missing', op: 'exists' } },
    { condition: { type: 'compare', field: 'missing.deeper', op: 'neq', value: 1 } },
  ])('a missing field never matches $condition.op', ({ condition }) => {
    // Act
    const evaluation = evaluateSegment(segment(condition), { present: 1 });

    // Assess
    expect(evaluation).toEqual({ matched: false, why: [] });
  });

  it('a missing field matches only through not', () => {
    // Prepare
    const definition = segment({ type: 'not', condition: { type: 'compare', field: 'contact.email', op: 'exists' } });

    // Act
    const evaluation = evaluateSegment(definition, { contact: {} });

    // Assess
    expect(evaluation).toEqual({ matched: true, why: [{ field: '(not)', op: 'not', actual: 'inner condition did not match' }] });
  });
});

describe('evaluateSegment combines conditions and explains the match', () => {
  const big: Condition = { type: 'compare', field: 'orders.revenue', op: 'gt', value: 100 };
  const often: Condition = { type: 'compare', field: 'orders.orders', op: 'gte', value: 3 };
  const bigReason: Reason = { field: 'orders.revenue', op: 'gt', expected: 100, actual: 250 };
  const oftenReason: Reason = { field: 'orders.orders', op: 'gte', expected: 3, actual: 5 };

  it.each<{ readonly label: string; readonly condition: Condition; readonly facts: Facts; readonly expected: Evaluation }>([
    { label: 'all: every part matches', condition: { type: 'all', conditions: [big, often] }, facts: { orders: { revenue: 250, orders: 5 } }, expected: { matched: true, why: [bigReason, oftenReason] } },
    { label: 'all: one part fails', condition: { type: 'all', conditions: [big, often] }, facts: { orders: { revenue: 250, orders: 1 } }, expected: { matched: false, why: [] } },
    { label: 'any: the first match explains', condition: { type: 'any', conditions: [big, often] }, facts: { orders: { revenue: 250, orders: 5 } }, expected: { matched: true, why: [bigReason] } },
    { label: 'any: a later match explains', condition: { type: 'any', conditions: [big, often] }, facts: { orders: { revenue: 5, orders: 5 } }, expected: { matched: true, why: [oftenReason] } },
    { label: 'any: nothing matches', condition: { type: 'any', conditions: [big, often] }, facts: { orders: { revenue: 5, orders: 1 } }, expected: { matched: false, why: [] } },
    { label: 'not: the inner condition matches', condition: { type: 'not', condition: big }, facts: { orders: { revenue: 250 } }, expected: { matched: false, why: [] } },
    {
      label: 'not: the inner condition fails',
      condition: { type: 'not', condition: big },
      facts: { orders: { revenue: 5 } },
      expected: { matched: true, why: [{ field: '(not)', op: 'not', actual: 'inner condition did not match' }] },
    },
    {
      label: 'in: the list is the expected value',
      condition: { type: 'compare', field: 'contact.country', op: 'in', value: ['US', 'CA'] },
      facts: { contact: { country: 'US' } },
      expected: { matched: true, why: [{ field: 'contact.country', op: 'in', expected: ['US', 'CA'], actual: 'US' }] },
    },
  ])('$label', ({ condition, facts, expected }) => {
    // Act
    const evaluation = evaluateSegment(segment(condition), facts);

    // Assess
    expect(evaluation).toEqual(expected);
  });
});

describe('the built-in first-time-buyers segment', () => {
  const firstTimeBuyers = BUILTIN_SEGMENTS.find((d) => d.name === 'first-time-buyers');

  it('is a valid definition', () => {
    // Act
    const parsed = parseSegmentDefinition(firstTimeBuyers, 'builtin');

    // Assess
    expect(parsed).toEqual(firstTimeBuyers);
  });

  it.each<{ readonly label: string; readonly facts: Facts; readonly matched: boolean }>([
    { label: 'one purchase day → in', facts: { orders: { orders: 2, purchaseDays: 1 } }, matched: true },
    { label: 'two purchase days → out', facts: { orders: { orders: 2, purchaseDays: 2 } }, matched: false },
    { label: 'no orders → out', facts: { contact: { email: 'ada@example.com' } }, matched: false },
  ])('$label', ({ facts, matched }) => {
    // Prepare
    if (firstTimeBuyers === undefined) throw new Error('first-time-buyers is not built in');

    // Act
    const evaluation = evaluateSegment(firstTimeBuyers, facts);

    // Assess
    expect(evaluation.matched).toBe(matched);
  });
});

describe('diffMemberships reports only what changed, at the evaluation time', () => {
  const now = new Date('2024-03-01T12:00:00Z');
  const at = '2024-03-01T12:00:00.000Z';
  const oneDay = segment({ type: 'compare', field: 'orders.purchaseDays', op: 'eq', value: 1 }, 'one-day');
  const big = segment({ type: 'compare', field: 'orders.revenue', op: 'gt', value: 100 }, 'big');
  const oneDayWhy: Reason[] = [{ field: 'orders.purchaseDays', op: 'eq', expected: 1, actual: 1 }];
  const previously: Membership = { segment: 'one-day', since: '2024-01-01T00:00:00.000Z', why: oneDayWhy };

  it.each<{ readonly label: string; readonly facts: Facts; readonly current: readonly Membership[]; readonly expected: ReturnType<typeof diffMemberships> }>([
    {
      label: 'enter: matches now, was not a member',
      facts: { orders: { purchaseDays: 1, revenue: 10 } },
      current: [],
      expected: {
        enter: [{ segment: 'one-day', since: at, why: oneDayWhy }],
        exit: [],
        transitions: [{ customerId: 'c1', segment: 'one-day', change: 'enter', at, why: oneDayWhy }],
      },
    },
    {
      label: 'exit: no longer matches, keeps the reason it entered with',
      facts: { orders: { purchaseDays: 2, revenue: 10 } },
      current: [previously],
      expected: {
        enter: [],
        exit: [previously],
        transitions: [{ customerId: 'c1', segment: 'one-day', change: 'exit', at, why: oneDayWhy }],
      },
    },
    { label: 'unchanged member: no transition', facts: { orders: { purchaseDays: 1, revenue: 10 } }, current: [previously], expected: { enter: [], exit: [], transitions: [] } },
    { label: 'unchanged non-member: no transition', facts: { orders: { purchaseDays: 3, revenue: 10 } }, current: [], expected: { enter: [], exit: [], transitions: [] } },
    {
      label: 'one segment exits while another enters',
      facts: { orders: { purchaseDays: 2, revenue: 150 } },
      current: [previously],
      expected: {
        enter: [{ segment: 'big', since: at, why: [{ field: 'orders.revenue', op: 'gt', expected: 100, actual: 150 }] }],
        exit: [previously],
        transitions: [
          { customerId: 'c1', segment: 'one-day', change: 'exit', at, why: oneDayWhy },
          { customerId: 'c1', segment: 'big', change: 'enter', at, why: [{ field: 'orders.revenue', op: 'gt', expected: 100, actual: 150 }] },
        ],
      },
    },
    {
      label: 'a membership of a segment not evaluated is left alone',
      facts: { orders: { purchaseDays: 3, revenue: 10 } },
      current: [{ segment: 'retired-segment', since: '2023-01-01T00:00:00.000Z', why: [] }],
      expected: { enter: [], exit: [], transitions: [] },
    },
  ])('$label', ({ facts, current, expected }) => {
    // Act
    const changes = diffMemberships('c1', facts, [oneDay, big], current, now);

    // Assess
    expect(changes).toEqual(expected);
  });

  it('moves with the clock it is given', () => {
    // Prepare
    const later = new Date('2030-12-31T23:59:59Z');

    // Act
    const changes = diffMemberships('c1', { orders: { purchaseDays: 1 } }, [oneDay], [], later);

    // Assess
    expect(changes.transitions.map((t) => t.at)).toEqual(['2030-12-31T23:59:59.000Z']);
    expect(changes.enter.map((m) => m.since)).toEqual(['2030-12-31T23:59:59.000Z']);
  });
});
