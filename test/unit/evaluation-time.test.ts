import { describe, expect, it } from 'vitest';
import { resolveEvaluationTime, type EvaluationTimeSources } from '../../functions/core/evaluation-time.ts';

const CLOCK = new Date('2026-03-04T05:06:07Z');
const CONFIGURED = new Date('1998-07-01T00:00:00Z');

describe('the evaluation time: requested, else configured, else the clock', () => {
  it.each<[string, EvaluationTimeSources, string]>([
    ['nothing asked for or configured', {}, CLOCK.toISOString()],
    ['only the stack replays a date', { configured: CONFIGURED }, CONFIGURED.toISOString()],
    ['a configured date as text (STRATA_AS_OF)', { configured: '1998-07-01' }, '1998-07-01T00:00:00.000Z'],
    ['an empty STRATA_AS_OF', { configured: '' }, CLOCK.toISOString()],
    ['the request asks for a time, over the configured one', { requested: '1997-12-31T12:00:00Z', configured: CONFIGURED }, '1997-12-31T12:00:00.000Z'],
    ['a requested Date', { requested: new Date('1997-01-01T00:00:00Z') }, '1997-01-01T00:00:00.000Z'],
  ])('%s', (_, sources, expected) => {
    expect(resolveEvaluationTime(sources, CLOCK).toISOString()).toBe(expected);
  });
});
