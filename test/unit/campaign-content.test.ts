import { describe, expect, it } from 'vitest';
import { parseCampaign } from '../../functions/core/campaign.ts';
import { templateData } from '../../functions/core/campaign-content.ts';

const p = (slug: string) => ({ title: slug, url: `https://shop.example.com/${slug}` });
const campaign = parseCampaign(
  {
    name: 'win-back', segments: ['lapsed', 'churn-risk'], trigger: { type: 'enter' },
    content: { subject: 's', mjml: 'm.mjml', text: 't', defaults: { shopUrl: 'https://shop.example.com/' },
      suggestions: { count: 3, byCategory: { rock: [p('rock-1'), p('rock-2')], jazz: [p('jazz-1')] }, fallback: [p('picks'), p('new')] } },
    offer: { type: 'code', code: 'COMEBACK20', bySegment: { 'churn-risk': 'SAVE25' }, description: '20% off' },
  },
  'c.json',
);

describe('product suggestions by category affinity', () => {
  it.each([
    { label: 'one per category, strongest first, then more of them', mix: { jazz: 0.7, rock: 0.3 } as Record<string, number>, titles: ['jazz-1', 'rock-1', 'rock-2'] },
    { label: 'topped up from the fallback', mix: { jazz: 1 }, titles: ['jazz-1', 'picks', 'new'] },
    { label: 'the fallback without categories', mix: undefined, titles: ['picks', 'new'] },
    { label: 'unknown categories are skipped', mix: { polka: 1 }, titles: ['picks', 'new'] },
  ])('$label', ({ mix, titles }) => {
    const data = templateData(campaign, { customerId: '1', orders: { categoryMix: mix } }, 'lapsed', 'u');
    expect(data.products.map((x) => x.title)).toEqual(titles);
  });
});

describe('template data', () => {
  it('carries every field even for a customer with nothing known', () => {
    const data = templateData(campaign, { customerId: '1' }, 'lapsed', 'https://u/?t=x');
    const fields = ['firstName', 'city', 'country', 'favouriteCategory', 'orderCount', 'lastOrderDate', 'products', 'hasProducts', 'hasOffer', 'offerCode', 'offerDescription', 'unsubscribeUrl'];
    for (const field of fields) expect(data).toHaveProperty(field);
    expect(data).toMatchObject({ firstName: '', city: '', favouriteCategory: '', orderCount: '', hasProducts: true, hasOffer: true, offerCode: 'COMEBACK20', shopUrl: 'https://shop.example.com/' });
  });

  it('personalizes from the profile and the segment', () => {
    const data = templateData(campaign, {
      customerId: '1', contact: { firstName: ' Ada ', city: 'Leeds', email: 'a@example.com' },
      orders: { orders: 4, lastOrderAt: '1998-03-02T00:00:00.000Z', categoryMix: { rock: 1 } },
    }, 'churn-risk', 'https://u/?t=x');
    expect(data).toMatchObject({ firstName: 'Ada', city: 'Leeds', favouriteCategory: 'rock', orderCount: '4', lastOrderDate: '1998-03-02', offerCode: 'SAVE25', unsubscribeUrl: 'https://u/?t=x' });
  });

  it('drops markup from profile values, which SES would put into the HTML as is', () => {
    const data = templateData(campaign, { customerId: '1', contact: { firstName: '<img src=x onerror="alert(1)">Eve', city: '<>' } }, 'lapsed', 'u');
    expect(data).toMatchObject({ firstName: 'img src=x onerror=alert(1)Eve', city: '' });
  });

  it('offers nothing when the campaign has no offer', () => {
    const none = { ...campaign, offer: { type: 'none' as const } };
    expect(templateData(none, { customerId: '1' }, 'lapsed', 'u')).toMatchObject({ hasOffer: false, offerCode: '', offerDescription: '' });
  });
});
