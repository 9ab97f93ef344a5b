import type { SegmentDefinition } from './definition.ts';

/**
 * The segments strata ships with. Only the thin slice's segment is here so far; the full
 * catalogue (demographic, RFM, lifecycle, value, ...) grows in this list as data.
 */
export const BUILTIN_SEGMENTS: readonly SegmentDefinition[] = [
  {
    name: 'first-time-buyers',
    title: 'First-time buyers without a second purchase',
    description: 'Customers who have bought on exactly one day and not come back since.',
    kind: 'behavioural',
    condition: { type: 'compare', field: 'orders.purchaseDays', op: 'eq', value: 1 },
  },
];
