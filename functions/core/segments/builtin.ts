import * as z from 'zod';
import type { Condition, SegmentDefinition } from './definition.ts';
import { parseOrThrow } from '../validation.ts';

/**
 * The thresholds of the built-in segments. Every one is configuration with a documented default
 * (README "Segments"); a deployment overrides them in config/segments/builtin.json.
 */
const builtinConfigSchema = z
  .object({
    /** New: first order within this many days. */
    newWithinDays: z.number().int().positive().default(30),
    /** Active: last order within max(activeMinWindowDays, activeGapMultiple × median gap). */
    activeMinWindowDays: z.number().int().positive().default(90),
    activeGapMultiple: z.number().positive().default(3),
    /** Churned: no order for this many days, or P(alive) below churnedPAlive once a model exists. */
    churnedAfterDays: z.number().int().positive().default(365),
    churnedPAlive: z.number().min(0).max(1).default(0.1),
    /** Churn risk: a repeat customer whose P(alive) is below this (without a model: twice their usual gap). */
    churnRiskPAlive: z.number().min(0).max(1).default(0.5),
    churnRiskGapMultiple: z.number().positive().default(2),
    churnRiskMinDays: z.number().int().positive().default(60),
    /**
     * Likely to lapse: Active, with the purchases a fitted model expects in the next 30 days below this
     * share of the customer's own past rate (their repeat purchases per 30 days so far).
     */
    likelyToLapseRateRatio: z.number().positive().max(1).default(0.5),
    /**
     * ... and P(alive) below this: the model must see a chance they have stopped. Without it the
     * heaviest buyers qualify on regression to the mean alone (on Superstore, where the fit finds no
     * dropout, they were the ones who bought most in the year after).
     */
    likelyToLapsePAlive: z.number().min(0).max(1).default(0.8),
    /** VIP: bought on at least this many days and revenue in the top (100 − percentile)%. */
    vipMinPurchaseDays: z.number().int().positive().default(3),
    vipRevenuePercentile: z.number().int().min(0).max(100).default(90),
    /** High value: CLV in the top share once a model exists, revenue in the top share until then. */
    highValueClvPercentile: z.number().int().min(0).max(100).default(90),
    highValueRevenuePercentile: z.number().int().min(0).max(100).default(80),
    /**
     * Discount abusers: with at least discountMinOrders, a share of revenue bought at a discount in
     * the population's top (100 − discountRevenuePercentile)% and at least discountShare, and, where
     * the data has a profit column, a margin at or below the population's discountMarginPercentile;
     * or a share of orders returned in the top (100 − returnPercentile)% and at least returnShare.
     */
    discountMinOrders: z.number().int().positive().default(3),
    discountRevenuePercentile: z.number().int().min(0).max(100).default(80),
    discountShare: z.number().min(0).max(1).default(0.5),
    discountMarginPercentile: z.number().int().min(0).max(100).default(50),
    returnPercentile: z.number().int().min(0).max(100).default(90),
    returnShare: z.number().min(0).max(1).default(0.3),
    /**
     * Cherry pickers: at least two orders, a share of orders at a discount in the top
     * (100 − cherryPickerPercentile)% and at least cherryPickerShare, and, where the data has a
     * profit column, a margin at or below the population's cherryPickerMarginPercentile.
     */
    cherryPickerPercentile: z.number().int().min(0).max(100).default(90),
    cherryPickerShare: z.number().min(0).max(1).default(0.75),
    cherryPickerMarginPercentile: z.number().int().min(0).max(100).default(25),
    /** Charmed: an order within charmedFollowUpDays of a positive experience in the last charmedLookbackDays. */
    charmedFollowUpDays: z.number().positive().default(30),
    charmedLookbackDays: z.number().positive().default(180),
    charmedMinRating: z.number().default(4),
    charmedMinNps: z.number().default(9),
    /** Engaged: opened or clicked within engagedWithinDays; unengaged: several deliveries, no opens. */
    engagedWithinDays: z.number().positive().default(30),
    unengagedWithinDays: z.number().positive().default(90),
    unengagedMinDeliveries: z.number().int().positive().default(3),
    /** Location: customers in the home country and elsewhere (ISO 3166 alpha-2). */
    homeCountry: z.string().length(2).default('US'),
    /** Psychographic: one segment per declared interest. */
    interests: z.array(z.string().regex(/^[a-z0-9-]+$/)).default(['music', 'books', 'sports', 'outdoors', 'fashion', 'technology']),
    /**
     * Category loyalists: over two or more orders, a share of spend in one category in the top
     * (100 − categoryAffinityPercentile)% and at least categoryAffinityShare.
     */
    categoryAffinityPercentile: z.number().int().min(0).max(100).default(75),
    categoryAffinityShare: z.number().min(0).max(1).default(0.6),
  })
  .strict();

export type BuiltinConfig = z.infer<typeof builtinConfigSchema>;

export const DEFAULT_BUILTIN_CONFIG: BuiltinConfig = builtinConfigSchema.parse({});

export function parseBuiltinConfig(json: unknown, source: string): BuiltinConfig {
  return parseOrThrow(builtinConfigSchema, json, 'built-in segment configuration', source);
}

const cmp = (field: string, op: Extract<Condition, { type: 'compare' }>['op'], value?: Extract<Condition, { type: 'compare' }>['value']): Condition =>
  value === undefined ? { type: 'compare', field, op } : { type: 'compare', field, op, value };
const allOf = (...conditions: Condition[]): Condition => ({ type: 'all', conditions });
const anyOf = (...conditions: Condition[]): Condition => ({ type: 'any', conditions });
const not = (condition: Condition): Condition => ({ type: 'not', condition });
const segment = (name: string): Condition => ({ type: 'segment', name });
const hasOrders = cmp('orders.orders', 'gte', 1);
const pct = (share: number): string => `${Math.round(share * 1000) / 10}%`;

/**
 * "In the population's top share, and at least a floor": a percentile alone would always pick a
 * share of customers, even where nobody behaves so (CDNOW has no discounts, so p80 is 0); the
 * floor alone is a fixed number that fits one shop (half of Superstore's lines are discounted).
 */
const atLeastRelative = (field: string, percentile: number, floor: number): Condition[] => [
  cmp(field, 'gte', { percentile }),
  cmp(field, 'gte', floor),
];

/** The standard RFM map on the R and F scores: every one of the 25 cells belongs to exactly one name. */
export const RFM_MAP: readonly { readonly name: string; readonly title: string; readonly cells: readonly (readonly [number, readonly number[]])[] }[] = [
  { name: 'rfm-champions', title: 'Champions', cells: [[5, [4, 5]]] },
  { name: 'rfm-loyal', title: 'Loyal customers', cells: [[4, [4, 5]], [3, [4, 5]]] },
  { name: 'rfm-potential-loyalists', title: 'Potential loyalists', cells: [[5, [2, 3]], [4, [2, 3]]] },
  { name: 'rfm-new', title: 'New customers', cells: [[5, [1]]] },
  { name: 'rfm-promising', title: 'Promising', cells: [[4, [1]]] },
  { name: 'rfm-need-attention', title: 'Need attention', cells: [[3, [3]]] },
  { name: 'rfm-about-to-sleep', title: 'About to sleep', cells: [[3, [1, 2]]] },
  { name: 'rfm-at-risk', title: 'At risk', cells: [[2, [3, 4]], [1, [3, 4]]] },
  { name: 'rfm-cant-lose-them', title: "Can't lose them", cells: [[2, [5]], [1, [5]]] },
  { name: 'rfm-hibernating', title: 'Hibernating', cells: [[2, [1, 2]], [1, [2]]] },
  { name: 'rfm-lost', title: 'Lost', cells: [[1, [1]]] },
];

/** The segments strata ships with, built from their configuration. Order matters: references come first. */
export function builtinSegments(config: BuiltinConfig = DEFAULT_BUILTIN_CONFIG): SegmentDefinition[] {
  const c = config;
  const activeWindow = { field: 'orders.medianGapDays', multiply: c.activeGapMultiple, atLeast: c.activeMinWindowDays, ifMissing: c.activeMinWindowDays };
  const lifecycle: SegmentDefinition[] = [
    {
      name: 'new',
      title: 'New',
      description: `First order within the last ${c.newWithinDays} days.`,
      kind: 'lifecycle',
      condition: allOf(hasOrders, cmp('orders.daysSinceFirstOrder', 'lte', c.newWithinDays)),
    },
    {
      name: 'churned',
      title: 'Churned',
      description: `Not New, and no order for ${c.churnedAfterDays} days or P(alive) below ${c.churnedPAlive}.`,
      kind: 'lifecycle',
      condition: allOf(hasOrders, not(segment('new')), anyOf(cmp('orders.daysSinceLastOrder', 'gte', c.churnedAfterDays), cmp('model.pAlive', 'lt', c.churnedPAlive))),
    },
    {
      name: 'active',
      title: 'Active',
      description: `Not New or Churned, last order within max(${c.activeMinWindowDays} days, ${c.activeGapMultiple} × their median gap).`,
      kind: 'lifecycle',
      condition: allOf(hasOrders, not(segment('new')), not(segment('churned')), cmp('orders.daysSinceLastOrder', 'lte', activeWindow)),
    },
    {
      name: 'lapsed',
      title: 'Lapsed',
      description: 'Beyond their expected inter-purchase window, not yet Churned.',
      kind: 'lifecycle',
      condition: allOf(hasOrders, not(segment('new')), not(segment('churned')), not(segment('active'))),
    },
  ];

  const value: SegmentDefinition[] = [
    {
      name: 'vip',
      title: 'VIP',
      description: `Bought on at least ${c.vipMinPurchaseDays} days and revenue in the top ${100 - c.vipRevenuePercentile}%.`,
      kind: 'value',
      condition: allOf(cmp('orders.purchaseDays', 'gte', c.vipMinPurchaseDays), cmp('orders.revenue', 'gte', { percentile: c.vipRevenuePercentile })),
    },
    {
      name: 'high-value',
      title: 'High value',
      description: `Predicted 12-month CLV in the top ${100 - c.highValueClvPercentile}% once a model exists; revenue in the top ${100 - c.highValueRevenuePercentile}% until then.`,
      kind: 'value',
      condition: anyOf(
        cmp('model.clv12m', 'gte', { percentile: c.highValueClvPercentile }),
        allOf(cmp('model.clv12m', 'missing'), cmp('orders.revenue', 'gte', { percentile: c.highValueRevenuePercentile })),
      ),
    },
    {
      name: 'first-time-buyers',
      title: 'First-time buyers without a second purchase',
      description: 'Customers who have bought on exactly one day and not come back since.',
      kind: 'behavioural',
      condition: cmp('orders.purchaseDays', 'eq', 1),
    },
    {
      name: 'discount-abusers',
      title: 'Discount abusers',
      description:
        `At least ${c.discountMinOrders} orders, and a share of revenue bought at a discount ≥ p${c.discountRevenuePercentile} of all customers and ≥ ${pct(c.discountShare)} ` +
        `with, where profit is known, a margin ≤ p${c.discountMarginPercentile}; or a share of orders returned ≥ p${c.returnPercentile} and ≥ ${pct(c.returnShare)}.`,
      kind: 'behavioural',
      condition: allOf(
        cmp('orders.orders', 'gte', c.discountMinOrders),
        anyOf(
          allOf(
            ...atLeastRelative('orders.discountShareOfRevenue', c.discountRevenuePercentile, c.discountShare),
            anyOf(cmp('orders.marginShare', 'missing'), cmp('orders.marginShare', 'lte', { percentile: c.discountMarginPercentile })),
          ),
          allOf(...atLeastRelative('orders.returnShare', c.returnPercentile, c.returnShare)),
        ),
      ),
    },
    {
      name: 'cherry-pickers',
      title: 'Cherry pickers',
      description:
        `At least 2 orders, a share of orders at a discount ≥ p${c.cherryPickerPercentile} of all customers and ≥ ${pct(c.cherryPickerShare)}, ` +
        `and, where profit is known, a margin ≤ p${c.cherryPickerMarginPercentile} (buying mostly what is on offer).`,
      kind: 'behavioural',
      condition: allOf(
        cmp('orders.orders', 'gte', 2),
        ...atLeastRelative('orders.discountShareOfOrders', c.cherryPickerPercentile, c.cherryPickerShare),
        anyOf(cmp('orders.marginShare', 'missing'), cmp('orders.marginShare', 'lte', { percentile: c.cherryPickerMarginPercentile })),
      ),
    },
    {
      name: 'charmed',
      title: 'Charmed customers',
      description: `Bought again within ${c.charmedFollowUpDays} days of a positive experience (a review of ${c.charmedMinRating}+, an NPS of ${c.charmedMinNps}+, or a click in an e-mail) in the last ${c.charmedLookbackDays} days.`,
      kind: 'behavioural',
      condition: anyOf(
        ...([
          ['review', { rating: { op: 'gte', value: c.charmedMinRating } }],
          ['nps', { score: { op: 'gte', value: c.charmedMinNps } }],
          ['email_click', undefined],
        ] as const).map(([name, where]): Condition => ({
          type: 'event',
          name,
          ...(where === undefined ? {} : { where }),
          withinDays: c.charmedLookbackDays,
          minCount: 1,
          followedByOrderWithinDays: c.charmedFollowUpDays,
        })),
      ),
    },
  ];

  const predictive: SegmentDefinition[] = [
    {
      name: 'churn-risk',
      title: 'Churn risk',
      description: `Repeat customers, not yet Churned, with P(alive) below ${c.churnRiskPAlive}; without a model, ${c.churnRiskGapMultiple} × their usual gap (at least ${c.churnRiskMinDays} days) since the last order.`,
      kind: 'predictive',
      condition: allOf(
        cmp('orders.purchaseDays', 'gte', 2),
        not(segment('churned')),
        anyOf(
          cmp('model.pAlive', 'lt', c.churnRiskPAlive),
          allOf(
            cmp('model.pAlive', 'missing'),
            cmp('orders.daysSinceLastOrder', 'gt', { field: 'orders.medianGapDays', multiply: c.churnRiskGapMultiple, atLeast: c.churnRiskMinDays, ifMissing: c.churnRiskMinDays }),
          ),
        ),
      ),
    },
    {
      name: 'likely-to-lapse',
      title: 'Likely to lapse in the next 30 days',
      description:
        `Active now, with the purchases expected in the next 30 days below ${pct(c.likelyToLapseRateRatio)} of their own past rate (repeat purchases per 30 days so far) ` +
        `and P(alive) below ${c.likelyToLapsePAlive} (needs a fitted model).`,
      kind: 'predictive',
      condition: allOf(
        segment('active'),
        cmp('model.pastPurchases30d', 'gt', 0),
        cmp('model.expectedPurchases30d', 'lt', { field: 'model.pastPurchases30d', multiply: c.likelyToLapseRateRatio }),
        cmp('model.pAlive', 'lt', c.likelyToLapsePAlive),
      ),
    },
  ];

  const engagement: SegmentDefinition[] = [
    {
      name: 'engaged',
      title: 'Engaged with e-mail',
      description: `Opened or clicked an e-mail in the last ${c.engagedWithinDays} days.`,
      kind: 'engagement',
      condition: anyOf(
        { type: 'event', name: 'email_open', withinDays: c.engagedWithinDays, minCount: 1 },
        { type: 'event', name: 'email_click', withinDays: c.engagedWithinDays, minCount: 1 },
      ),
    },
    {
      name: 'unengaged',
      title: 'Unengaged with e-mail',
      description: `${c.unengagedMinDeliveries} or more e-mails delivered and none opened or clicked in the last ${c.unengagedWithinDays} days.`,
      kind: 'engagement',
      condition: allOf(
        { type: 'event', name: 'email_delivery', withinDays: c.unengagedWithinDays, minCount: c.unengagedMinDeliveries },
        { type: 'event', name: 'email_open', withinDays: c.unengagedWithinDays, minCount: 0, maxCount: 0 },
        { type: 'event', name: 'email_click', withinDays: c.unengagedWithinDays, minCount: 0, maxCount: 0 },
      ),
    },
  ];

  const rfm: SegmentDefinition[] = RFM_MAP.map((cell) => ({
    name: cell.name,
    title: cell.title,
    description: `RFM map: ${cell.cells.map(([r, fs]) => `R=${r}, F in ${fs.join('/')}`).join('; ')}.`,
    kind: 'rfm',
    condition: anyOf(...cell.cells.map(([r, fs]) => allOf(cmp('rfm.r', 'eq', r), cmp('rfm.f', 'in', [...fs])))),
  }));

  const bands = (field: string, prefix: string, title: string, values: readonly string[]): SegmentDefinition[] =>
    values.map((v) => ({ name: `${prefix}-${v}`, title: `${title} ${v}`, description: `${field} is ${v}.`, kind: 'demographic', condition: cmp(field, 'eq', v) }));
  const demographic: SegmentDefinition[] = [
    ...bands('demographics.ageBand', 'age', 'Age', ['18-24', '25-34', '35-44', '45-54', '55-64', '65-plus']),
    ...bands('demographics.gender', 'gender', 'Gender', ['female', 'male']),
    ...bands('demographics.incomeBand', 'income', 'Income', ['low', 'middle', 'high']),
    {
      name: 'location-home',
      title: `Customers in ${c.homeCountry}`,
      description: `Country is ${c.homeCountry}.`,
      kind: 'demographic',
      condition: cmp('demographics.country', 'eq', c.homeCountry),
    },
    {
      name: 'location-abroad',
      title: `Customers outside ${c.homeCountry}`,
      description: `Country known and not ${c.homeCountry}.`,
      kind: 'demographic',
      condition: allOf(cmp('demographics.country', 'exists'), cmp('demographics.country', 'neq', c.homeCountry)),
    },
  ];

  const psychographic: SegmentDefinition[] = [
    ...c.interests.map((interest): SegmentDefinition => ({
      name: `interest-${interest}`,
      title: `Interested in ${interest}`,
      description: `Declared the interest "${interest}".`,
      kind: 'psychographic',
      condition: cmp('demographics.interests', 'contains', interest),
    })),
    {
      name: 'category-loyalists',
      title: 'Category loyalists',
      description: `Over two or more orders, a share of spend in one category ≥ p${c.categoryAffinityPercentile} of all customers and ≥ ${pct(c.categoryAffinityShare)}.`,
      kind: 'psychographic',
      condition: allOf(cmp('orders.orders', 'gte', 2), ...atLeastRelative('orders.topCategoryShare', c.categoryAffinityPercentile, c.categoryAffinityShare)),
    },
  ];

  return [...lifecycle, ...value, ...predictive, ...engagement, ...rfm, ...demographic, ...psychographic];
}

export const BUILTIN_SEGMENTS: readonly SegmentDefinition[] = builtinSegments();
