import type { Campaign, Product } from './campaign.ts';
import type { CustomerRecord } from './records.ts';

/** What personalization reads about a customer: the contact and a few order aggregates. */
export interface RecipientProfile {
  readonly customerId: string;
  readonly contact?: Omit<CustomerRecord, 'customerId'>;
  readonly orders?: {
    readonly orders?: number;
    readonly lastOrderAt?: string;
    readonly categoryMix?: Readonly<Record<string, number>>;
  };
}

/**
 * The data an SES template renders. Every field is always present (empty when unknown): SES fails
 * a message whose template names a missing attribute, so templates branch with {{#if}} instead.
 */
export interface TemplateData {
  readonly [field: string]: string | boolean | readonly Product[];
  readonly firstName: string;
  readonly city: string;
  readonly country: string;
  readonly favouriteCategory: string;
  readonly orderCount: string;
  readonly lastOrderDate: string;
  readonly products: readonly Product[];
  readonly hasProducts: boolean;
  readonly hasOffer: boolean;
  readonly offerCode: string;
  readonly offerDescription: string;
  readonly unsubscribeUrl: string;
}

/** The offer code a member of `segment` gets: the segment's own code when set, else the campaign's. */
function offerCodeFor(campaign: Campaign, segment: string | undefined): string {
  if (campaign.offer.type === 'none') return '';
  return (segment === undefined ? undefined : campaign.offer.bySegment[segment]) ?? campaign.offer.code;
}

/** Products from the categories the customer buys most, topped up with the fallback list. */
function suggestProducts(campaign: Campaign, categoryMix: Readonly<Record<string, number>> | undefined): Product[] {
  const suggestions = campaign.content?.suggestions;
  if (suggestions === undefined) return [];
  const categories = Object.entries(categoryMix ?? {})
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([category]) => category);
  const picked: Product[] = [];
  const seen = new Set<string>();
  const add = (p: Product) => {
    if (picked.length < suggestions.count && !seen.has(p.url)) {
      seen.add(p.url);
      picked.push(p);
    }
  };
  // One product per category in affinity order first, so a broad buyer sees their range.
  for (const category of categories) {
    const first = suggestions.byCategory[category]?.[0];
    if (first !== undefined) add(first);
  }
  for (const category of categories) for (const p of suggestions.byCategory[category] ?? []) add(p);
  for (const p of suggestions.fallback) add(p);
  return picked;
}

export function templateData(campaign: Campaign, profile: RecipientProfile, segment: string | undefined, unsubscribeUrl: string): TemplateData {
  const defaults = campaign.content?.defaults ?? {};
  // SES does not escape template data and one data set fills both the HTML and the text part:
  // markup characters are dropped from profile values instead (no real name or city needs them).
  const pick = (value: string | undefined, field: string): string => {
    const clean = value?.replace(/[<>"`]/g, '').trim();
    return clean !== undefined && clean !== '' ? clean : (defaults[field] ?? '');
  };
  const mix = profile.orders?.categoryMix;
  const favourite = Object.entries(mix ?? {}).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0]?.[0];
  const products = suggestProducts(campaign, mix);
  const code = offerCodeFor(campaign, segment);
  return {
    ...defaults,
    firstName: pick(profile.contact?.firstName, 'firstName'),
    city: pick(profile.contact?.city, 'city'),
    country: pick(profile.contact?.country, 'country'),
    favouriteCategory: pick(favourite, 'favouriteCategory'),
    orderCount: profile.orders?.orders === undefined ? pick(undefined, 'orderCount') : String(profile.orders.orders),
    lastOrderDate: pick(profile.orders?.lastOrderAt?.slice(0, 10), 'lastOrderDate'),
    products,
    hasProducts: products.length > 0,
    hasOffer: code !== '',
    offerCode: code,
    offerDescription: campaign.offer.type === 'code' ? campaign.offer.description : '',
    unsubscribeUrl,
  };
}
