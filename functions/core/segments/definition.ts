import { z } from 'zod';
import { parseOrThrow } from '../validation.ts';

/**
 * Segment definitions are data: a tree of conditions over profile fields, combined with
 * all / any / not. Field paths are dotted ("orders", "contact.country").
 */
const scalar = z.union([z.string(), z.number(), z.boolean()]);

const compareSchema = z
  .object({
    type: z.literal('compare'),
    field: z.string().min(1),
    op: z.enum(['eq', 'neq', 'gt', 'gte', 'lt', 'lte', 'in', 'exists']),
    value: z.union([scalar, z.array(scalar)]).optional(),
  })
  .strict()
  .refine((c) => c.op === 'exists' || c.value !== undefined, { message: 'value is required unless op is "exists"' })
  .refine((c) => (c.op === 'in') === Array.isArray(c.value) || c.op === 'exists', {
    message: 'op "in" takes an array value, other ops a single value',
  });

export type Condition =
  | z.infer<typeof compareSchema>
  | { readonly type: 'all'; readonly conditions: readonly Condition[] }
  | { readonly type: 'any'; readonly conditions: readonly Condition[] }
  | { readonly type: 'not'; readonly condition: Condition };

export const conditionSchema: z.ZodType<Condition> = z.lazy(() =>
  z.union([
    compareSchema,
    z.object({ type: z.literal('all'), conditions: z.array(conditionSchema).min(1) }).strict(),
    z.object({ type: z.literal('any'), conditions: z.array(conditionSchema).min(1) }).strict(),
    z.object({ type: z.literal('not'), condition: conditionSchema }).strict(),
  ]),
);

export const segmentDefinitionSchema = z
  .object({
    name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'lower-case letters, digits and dashes'),
    title: z.string().min(1),
    description: z.string().default(''),
    kind: z.enum(['demographic', 'psychographic', 'behavioural', 'lifecycle', 'value', 'predictive', 'custom']),
    condition: conditionSchema,
  })
  .strict();

export type SegmentDefinition = z.infer<typeof segmentDefinitionSchema>;

export function parseSegmentDefinition(json: unknown, source: string): SegmentDefinition {
  return parseOrThrow(segmentDefinitionSchema, json, 'segment definition', source);
}
