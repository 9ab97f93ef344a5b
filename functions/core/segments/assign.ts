import type { SegmentDefinition } from './definition.ts';
import type { Reason, EvaluationContext } from './evaluate.ts';
import { evaluateSegment } from './evaluate.ts';
import type { Facts } from './fact-path.ts';

export interface Membership {
  readonly segment: string;
  readonly since: string;
  readonly why: readonly Reason[];
}

/** One enter or exit: who, which segment, from what to what, when, and why. */
export interface Transition {
  readonly customerId: string;
  readonly segment: string;
  readonly change: 'enter' | 'exit';
  readonly at: string;
  readonly why: readonly Reason[];
  /** For segments of which a customer is in at most one (lifecycle, RFM map): where they came from or went. */
  readonly from?: string;
  readonly to?: string;
}

/** Kinds whose segments are mutually exclusive by construction, so a move has a from and a to. */
const EXCLUSIVE_KINDS = new Set(['lifecycle', 'rfm']);

export interface MembershipChanges {
  readonly enter: readonly Membership[];
  readonly exit: readonly Membership[];
  readonly transitions: readonly Transition[];
}

/**
 * assign → diff for one customer, from the decisions of every definition (matched[i] for ordered[i],
 * see orderDefinitions; refreshCustomers decides a batch at once in columns): only what changed
 * against the current memberships is returned. A member that stays a member is not rewritten, even
 * when the values behind its reasons moved. Memberships of segments no longer defined are left
 * alone: removing a definition is an explicit operation. The facts are asked for only when something
 * changed, for the reasons: the interpreter explains, the decisions decide.
 */
export function diffDecisions(
  customerId: string,
  matched: ArrayLike<boolean>,
  ordered: readonly SegmentDefinition[],
  current: readonly Membership[],
  context: Omit<EvaluationContext, 'decided'>,
  factsOf: () => Facts,
): MembershipChanges {
  const at = context.now.toISOString();
  const currentByName = new Map(current.map((m) => [m.segment, m]));
  const enter: Membership[] = [];
  const exit: Membership[] = [];
  const entered: Transition[] = [];
  const exited: Transition[] = [];
  let explain: ((i: number) => readonly Reason[]) | undefined;
  const why = (i: number) => {
    if (explain === undefined) {
      const facts = factsOf();
      const decided = new Map(ordered.map((d, j) => [d.name, matched[j] === true]));
      explain = (k) => evaluateSegment(ordered[k] as SegmentDefinition, facts, { ...context, decided }).why;
    }
    return explain(i);
  };
  ordered.forEach(({ name: segment }, i) => {
    const existing = currentByName.get(segment);
    if (matched[i] && existing === undefined) {
      const reasons = why(i);
      enter.push({ segment, since: at, why: reasons });
      entered.push({ customerId, segment, change: 'enter', at, why: reasons });
    } else if (!matched[i] && existing !== undefined) {
      exit.push(existing);
      // The exit's why is what failed now, so "why did they leave Active?" has an answer.
      exited.push({ customerId, segment, change: 'exit', at, why: why(i) });
    }
  });
  if (entered.length === 0 && exited.length === 0) return { enter, exit, transitions: [] };
  const kindOf = new Map(ordered.map((d) => [d.name, d.kind]));
  const pair = (t: Transition, others: readonly Transition[]) => {
    const kind = kindOf.get(t.segment);
    const other = kind !== undefined && EXCLUSIVE_KINDS.has(kind) ? others.find((o) => kindOf.get(o.segment) === kind) : undefined;
    return other === undefined ? t : { ...t, ...(t.change === 'enter' ? { from: other.segment } : { to: other.segment }) };
  };
  // Exits first: a move reads "left Active, entered Lapsed".
  const transitions = [...exited.map((t) => pair(t, entered)), ...entered.map((t) => pair(t, exited))];
  return { enter, exit, transitions };
}
