import type { SegmentDefinition } from './definition.ts';
import type { Reason, EvaluationContext } from './evaluate.ts';
import { evaluateSegment } from './evaluate.ts';
import { compileCatalog, type CompiledCatalog } from './compile.ts';
import type { PopulationStats } from './population.ts';
import type { Facts } from './facts.ts';

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

const catalogs = new WeakMap<readonly SegmentDefinition[], { now: number; population: PopulationStats; catalog: CompiledCatalog }>();

/** One compiled catalog per definitions, time and population: a whole refresh shares it. */
function compiled(ordered: readonly SegmentDefinition[], now: Date, population: PopulationStats): CompiledCatalog {
  const cached = catalogs.get(ordered);
  if (cached !== undefined && cached.now === now.getTime() && cached.population === population) return cached.catalog;
  const catalog = compileCatalog(ordered, now, population);
  catalogs.set(ordered, { now: now.getTime(), population, catalog });
  return catalog;
}

/** Kinds whose segments are mutually exclusive by construction, so a move has a from and a to. */
const EXCLUSIVE_KINDS = new Set(['lifecycle', 'rfm']);

export interface MembershipChanges {
  readonly enter: readonly Membership[];
  readonly exit: readonly Membership[];
  readonly transitions: readonly Transition[];
}

/**
 * compute → assign → diff for one customer: evaluates every definition (ordered, see
 * orderDefinitions) and returns only what changed against the current memberships. A member that
 * stays a member is not rewritten, even when the values behind its reasons moved. Memberships of
 * segments no longer defined are left alone: removing a definition is an explicit operation.
 */
export function diffMemberships(
  customerId: string,
  facts: Facts,
  ordered: readonly SegmentDefinition[],
  current: readonly Membership[],
  context: Omit<EvaluationContext, 'decided'>,
): MembershipChanges {
  const at = context.now.toISOString();
  const currentByName = new Map(current.map((m) => [m.segment, m]));
  const kindOf = new Map(ordered.map((d) => [d.name, d.kind]));
  const enter: Membership[] = [];
  const exit: Membership[] = [];
  const entered: Transition[] = [];
  const exited: Transition[] = [];
  const catalog = compiled(ordered, context.now, context.population);
  const matched = catalog.evaluate(facts, context.ledgers);
  // Reasons only for what changed: the interpreter explains, the compiled catalog decides.
  const decided = new Map(ordered.map((d, i) => [d.name, matched[i] === true]));
  const why = (i: number) => evaluateSegment(ordered[i] as SegmentDefinition, facts, { ...context, decided }).why;
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
  const pair = (t: Transition, others: readonly Transition[]) => {
    const kind = kindOf.get(t.segment);
    const other = kind !== undefined && EXCLUSIVE_KINDS.has(kind) ? others.find((o) => kindOf.get(o.segment) === kind) : undefined;
    return other === undefined ? t : { ...t, ...(t.change === 'enter' ? { from: other.segment } : { to: other.segment }) };
  };
  // Exits first: a move reads "left Active, entered Lapsed".
  const transitions = [...exited.map((t) => pair(t, entered)), ...entered.map((t) => pair(t, exited))];
  return { enter, exit, transitions };
}
