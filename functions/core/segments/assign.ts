import type { SegmentDefinition } from './definition.ts';
import { evaluateSegment, type Facts, type Reason } from './evaluate.ts';

export interface Membership {
  readonly segment: string;
  readonly since: string;
  readonly why: readonly Reason[];
}

export interface Transition {
  readonly customerId: string;
  readonly segment: string;
  readonly change: 'enter' | 'exit';
  readonly at: string;
  readonly why: readonly Reason[];
}

export interface MembershipChanges {
  readonly enter: readonly Membership[];
  readonly exit: readonly Membership[];
  readonly transitions: readonly Transition[];
}

/**
 * compute → assign → diff for one customer: evaluates every definition against the facts and
 * returns only what changed against the current memberships. `now` is the evaluation time.
 */
export function diffMemberships(
  customerId: string,
  facts: Facts,
  definitions: readonly SegmentDefinition[],
  current: readonly Membership[],
  now: Date,
): MembershipChanges {
  const at = now.toISOString();
  const currentByName = new Map(current.map((m) => [m.segment, m]));
  const enter: Membership[] = [];
  const exit: Membership[] = [];
  const transitions: Transition[] = [];
  for (const definition of definitions) {
    const { matched, why } = evaluateSegment(definition, facts);
    const existing = currentByName.get(definition.name);
    if (matched && existing === undefined) {
      enter.push({ segment: definition.name, since: at, why });
      transitions.push({ customerId, segment: definition.name, change: 'enter', at, why });
    } else if (!matched && existing !== undefined) {
      exit.push(existing);
      transitions.push({ customerId, segment: definition.name, change: 'exit', at, why: existing.why });
    }
  }
  return { enter, exit, transitions };
}
