import { describe, expect, it } from 'vitest';
import { InputError } from '../../functions/core/errors.ts';
import { MAX_BULK_DESTINATIONS, chunk, parseCampaign, templateName, toBulkEntries, type Campaign, type Recipient } from '../../functions/core/campaign.ts';

const template = { subject: 'Hello {{firstName}}', html: '<p>Hello {{firstName}}</p>', text: 'Hello {{firstName}}' };

describe('chunk splits recipients into SES-sized calls', () => {
  it.each([
    { count: 0, size: 50, sizes: [] },
    { count: 1, size: 50, sizes: [1] },
    { count: 49, size: 50, sizes: [49] },
    { count: 50, size: 50, sizes: [50] },
    { count: 51, size: 50, sizes: [50, 1] },
    { count: 100, size: 50, sizes: [50, 50] },
    { count: 101, size: 50, sizes: [50, 50, 1] },
    { count: 3, size: 1, sizes: [1, 1, 1] },
  ])('$count items in chunks of $size → $sizes', ({ count, size, sizes }) => {
    // Prepare
    const items = Array.from({ length: count }, (_, i) => i);

    // Act
    const chunks = chunk(items, size);

    // Assess
    expect(chunks.map((c) => c.length)).toEqual(sizes);
    expect(chunks.flat()).toEqual(items);
  });

  it.each([0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY])('refuses a chunk size of %s', (size) => {
    // Act
    const split = (): number[][] => chunk([1, 2, 3], size);

    // Assess
    expect(split).toThrow(RangeError);
    expect(split).toThrow(`chunk size must be a positive integer, got ${size}`);
  });

  it('sizes chunks for the SES limit of 50 destinations', () => {
    // Assess
    expect(MAX_BULK_DESTINATIONS).toBe(50);
  });
});

describe('toBulkEntries personalizes each destination', () => {
  const campaign: Campaign = { name: 'welcome', segment: 'first-time-buyers', template, defaults: { firstName: 'there', code: 'WELCOME10' } };

  it.each<{ readonly label: string; readonly recipient: Recipient; readonly data: Record<string, string> }>([
    { label: 'the first name overrides the default', recipient: { customerId: '1', email: 'ada@example.com', firstName: 'Ada' }, data: { firstName: 'Ada', code: 'WELCOME10' } },
    { label: 'a missing first name falls back to the default', recipient: { customerId: '2', email: 'bob@example.com' }, data: { firstName: 'there', code: 'WELCOME10' } },
    { label: 'an empty first name falls back to the default', recipient: { customerId: '3', email: 'cy@example.com', firstName: '' }, data: { firstName: 'there', code: 'WELCOME10' } },
  ])('$label', ({ recipient, data }) => {
    // Act
    const [entry] = toBulkEntries(campaign, [recipient]);

    // Assess
    expect(entry).toEqual({ customerId: recipient.customerId, email: recipient.email, templateData: expect.any(String) });
    expect(JSON.parse(entry?.templateData ?? 'null')).toEqual(data);
  });

  it('sends no data but the first name when the campaign has no defaults', () => {
    // Prepare
    const bare: Campaign = { name: 'bare', segment: 's', template, defaults: {} };

    // Act
    const entries = toBulkEntries(bare, [{ customerId: '1', email: 'a@example.com', firstName: 'Ada' }, { customerId: '2', email: 'b@example.com' }]);

    // Assess
    expect(entries.map((e) => e.templateData)).toEqual(['{"firstName":"Ada"}', '{}']);
  });
});

describe('parseCampaign', () => {
  it('accepts a campaign and defaults its template data to none', () => {
    // Act
    const campaign = parseCampaign({ name: 'spring-2024', segment: 'first-time-buyers', template }, 'campaigns/spring.json');

    // Assess
    expect(campaign).toEqual({ name: 'spring-2024', segment: 'first-time-buyers', template, defaults: {} });
  });

  it.each<{ readonly label: string; readonly json: unknown; readonly message: RegExp }>([
    { label: 'a name with capitals', json: { name: 'Spring', segment: 's', template }, message: /^invalid campaign c\.json: name: lower-case letters, digits and dashes$/ },
    { label: 'a name starting with a dash', json: { name: '-spring', segment: 's', template }, message: /^invalid campaign c\.json: name: / },
    { label: 'an empty segment', json: { name: 'spring', segment: '', template }, message: /^invalid campaign c\.json: segment: / },
    { label: 'no template', json: { name: 'spring', segment: 's' }, message: /^invalid campaign c\.json: template: / },
    { label: 'a template without a text part', json: { name: 'spring', segment: 's', template: { subject: 's', html: 'h' } }, message: /^invalid campaign c\.json: template\.text: / },
    { label: 'an empty subject', json: { name: 'spring', segment: 's', template: { ...template, subject: '' } }, message: /^invalid campaign c\.json: template\.subject: / },
    { label: 'a template with an unknown part', json: { name: 'spring', segment: 's', template: { ...template, amp: 'x' } }, message: /^invalid campaign c\.json: template: Unrecognized key: "amp"$/ },
    { label: 'a default that is not a string', json: { name: 'spring', segment: 's', template, defaults: { discount: 10 } }, message: /^invalid campaign c\.json: defaults\.discount: / },
    { label: 'an unknown key', json: { name: 'spring', segment: 's', template, sendAt: 'now' }, message: /^invalid campaign c\.json: \(root\): Unrecognized key: "sendAt"$/ },
  ])('refuses $label', ({ json, message }) => {
    // Act
    const parse = (): Campaign => parseCampaign(json, 'c.json');

    // Assess
    expect(parse).toThrow(InputError);
    expect(parse).toThrow(message);
  });
});

describe('templateName', () => {
  it.each([
    { name: 'welcome', expected: 'strata-welcome' },
    { name: 'spring-2024', expected: 'strata-spring-2024' },
  ])('$name → $expected', ({ name, expected }) => {
    // Act
    const ses = templateName({ name });

    // Assess
    expect(ses).toBe(expected);
  });
});
