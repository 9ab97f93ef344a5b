import * as z from 'zod';
import { assertNever } from '../assert-never.ts';
import { parseOrThrow } from '../validation.ts';

/**
 * Segment definitions are data: a tree of conditions combined with all / any / not. Leaves compare
 * a fact (dotted path: "orders.revenue", "contact.country", "rfm.r"), count events in a time window
 * relative to the evaluation time, or refer to another segment. Comparison values may be constants,
 * another fact scaled ("3 × their median gap, at least 90"), or a percentile of the population.
 */
const scalar = z.union([z.string(), z.number(), z.boolean()]);

const fieldPath = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z0-9_ &'-]+)*$/, 'a dotted path of fact names, e.g. "orders.revenue"');

/** Another fact as the comparison value: field × multiply, raised to atLeast, ifMissing when absent. */
const fieldOperand = z
  .object({
    field: fieldPath,
    multiply: z.number().finite().optional(),
    atLeast: z.number().finite().optional(),
    ifMissing: z.number().finite().optional(),
  })
  .strict();

/** The population's value of the compared field at this percentile (0–100), as of the evaluation. */
const percentileOperand = z.object({ percentile: z.number().int().min(0).max(100) }).strict();

export type FieldOperand = z.infer<typeof fieldOperand>;
export type PercentileOperand = z.infer<typeof percentileOperand>;
export type Operand = z.infer<typeof scalar> | FieldOperand | PercentileOperand;

const COMPARE_OPS = ['eq', 'neq', 'gt', 'gte', 'lt', 'lte', 'in', 'contains', 'exists', 'missing', 'withinDays', 'olderThanDays'] as const;

const compareSchema = z
  .object({
    type: z.literal('compare'),
    field: fieldPath,
    op: z.enum(COMPARE_OPS),
    value: z.union([scalar, z.array(scalar).min(1), fieldOperand, percentileOperand]).optional(),
  })
  .strict()
  .superRefine((c, ctx) => {
    const issue = (message: string) => ctx.addIssue({ code: 'custom', path: ['value'], message });
    if (c.op === 'exists' || c.op === 'missing') {
      if (c.value !== undefined) issue(`op "${c.op}" takes no value`);
      return;
    }
    if (c.value === undefined) return issue(`op "${c.op}" needs a value`);
    if (c.op === 'in' && !Array.isArray(c.value)) issue('op "in" takes an array of values');
    if (c.op !== 'in' && Array.isArray(c.value)) issue(`op "${c.op}" takes a single value, not an array`);
    if ((c.op === 'withinDays' || c.op === 'olderThanDays') && (typeof c.value !== 'number' || c.value < 0)) {
      issue(`op "${c.op}" takes a number of days (≥ 0)`);
    }
    if (typeof c.value === 'object' && !Array.isArray(c.value) && !['gt', 'gte', 'lt', 'lte', 'eq', 'neq'].includes(c.op)) {
      issue(`op "${c.op}" cannot compare against a field or percentile`);
    }
  });

/** A property filter of an event condition: a constant, or an op and a value. */
const propertyTest = z.union([
  scalar,
  z.object({ op: z.enum(['eq', 'neq', 'gt', 'gte', 'lt', 'lte', 'in']), value: z.union([scalar, z.array(scalar).min(1)]) }).strict(),
]);

/**
 * "Opened an e-mail in the last 30 days", "viewed a category twice without buying it", "bought
 * again within 30 days of a 5-star review": events of one type in a window, optionally grouped by a
 * property, optionally each followed by (or not matched by) an order.
 */
const eventSchema = z
  .object({
    type: z.literal('event'),
    name: z.string().min(1).max(100),
    withinDays: z.number().positive().optional(),
    where: z.record(z.string().min(1), propertyTest).optional(),
    minCount: z.number().int().min(0).default(1),
    maxCount: z.number().int().min(0).optional(),
    /** Count per value of this property; the condition holds when any one value meets the counts. */
    perProperty: z.string().min(1).optional(),
    /** With perProperty: ignore values the customer bought (an order line of that category) in the window. */
    unlessOrderedInCategory: z.boolean().optional(),
    /** Only events followed by an order within this many days count. */
    followedByOrderWithinDays: z.number().positive().optional(),
  })
  .strict()
  .refine((e) => e.maxCount === undefined || e.maxCount >= e.minCount, { message: 'maxCount must be ≥ minCount', path: ['maxCount'] })
  .refine((e) => !e.unlessOrderedInCategory || e.perProperty !== undefined, {
    message: 'unlessOrderedInCategory needs perProperty (the property holding the category)',
    path: ['unlessOrderedInCategory'],
  });

const segmentRefSchema = z.object({ type: z.literal('segment'), name: z.string().min(1) }).strict();

export type CompareCondition = z.infer<typeof compareSchema>;
export type EventCondition = z.infer<typeof eventSchema>;
export type SegmentRefCondition = z.infer<typeof segmentRefSchema>;

export type Condition =
  | CompareCondition
  | EventCondition
  | SegmentRefCondition
  | { readonly type: 'all'; readonly conditions: readonly Condition[] }
  | { readonly type: 'any'; readonly conditions: readonly Condition[] }
  | { readonly type: 'not'; readonly condition: Condition };

export type LeafCondition = CompareCondition | EventCondition | SegmentRefCondition;

/** The comparisons, event conditions and segment references of a condition tree, depth first. */
export function leafConditions(condition: Condition): LeafCondition[] {
  switch (condition.type) {
    case 'all':
    case 'any':
      return condition.conditions.flatMap(leafConditions);
    case 'not':
      return leafConditions(condition.condition);
    case 'compare':
    case 'event':
    case 'segment':
      return [condition];
    default:
      return assertNever(condition, 'unhandled condition');
  }
}

/** Every comparison in a condition tree, depth first: what the fields a catalog reads are found from. */
export function compareConditions(condition: Condition): CompareCondition[] {
  return leafConditions(condition).filter((c): c is CompareCondition => c.type === 'compare');
}

// A discriminated union (not z.union) so that an error inside a nested condition names its path
// and the exact problem instead of "Invalid input".
const conditionSchema: z.ZodType<Condition> = z.lazy(() =>
  z.discriminatedUnion('type', [
    compareSchema,
    eventSchema,
    segmentRefSchema,
    z.object({ type: z.literal('all'), conditions: z.array(conditionSchema).min(1) }).strict(),
    z.object({ type: z.literal('any'), conditions: z.array(conditionSchema).min(1) }).strict(),
    z.object({ type: z.literal('not'), condition: conditionSchema }).strict(),
  ]),
) as z.ZodType<Condition>;

const SEGMENT_KINDS = ['demographic', 'psychographic', 'behavioural', 'rfm', 'lifecycle', 'value', 'predictive', 'engagement', 'custom'] as const;

const segmentDefinitionSchema = z
  .object({
    name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'lower-case letters, digits and dashes, at most 63'),
    title: z.string().min(1),
    description: z.string().default(''),
    kind: z.enum(SEGMENT_KINDS),
    condition: conditionSchema,
  })
  .strict();

export type SegmentDefinition = z.infer<typeof segmentDefinitionSchema>;

export function parseSegmentDefinition(json: unknown, source: string): SegmentDefinition {
  return parseOrThrow(segmentDefinitionSchema, json, 'segment definition', source);
}
