import { describe, expect, it } from 'vitest';
import { InputError } from '../../functions/core/errors.ts';
import { classifyIncomingKey, mappingKeyFor, quarantineKeys, type IncomingObject } from '../../functions/core/object-key.ts';

describe('classifyIncomingKey', () => {
  it.each<{ readonly key: string; readonly expected: IncomingObject }>([
    { key: 'incoming/orders/cdnow.csv', expected: { type: 'data', kind: 'orders', key: 'incoming/orders/cdnow.csv', format: 'csv', gzip: false } },
    { key: 'incoming/orders/retail.csv.gz', expected: { type: 'data', kind: 'orders', key: 'incoming/orders/retail.csv.gz', format: 'csv', gzip: true } },
    { key: 'incoming/orders/export.TSV', expected: { type: 'data', kind: 'orders', key: 'incoming/orders/export.TSV', format: 'csv', gzip: false } },
    { key: 'incoming/orders/export.txt', expected: { type: 'data', kind: 'orders', key: 'incoming/orders/export.txt', format: 'csv', gzip: false } },
    { key: 'incoming/customers/crm.jsonl', expected: { type: 'data', kind: 'customers', key: 'incoming/customers/crm.jsonl', format: 'jsonl', gzip: false } },
    { key: 'incoming/events/clicks.ndjson.gz', expected: { type: 'data', kind: 'events', key: 'incoming/events/clicks.ndjson.gz', format: 'jsonl', gzip: true } },
    { key: 'incoming/orders/2024/06/day.csv', expected: { type: 'data', kind: 'orders', key: 'incoming/orders/2024/06/day.csv', format: 'csv', gzip: false } },
    { key: 'incoming/orders/a.csv', expected: { type: 'data', kind: 'orders', key: 'incoming/orders/a.csv', format: 'csv', gzip: false } },
    { key: 'incoming/customers/b.jsonl.gz', expected: { type: 'data', kind: 'customers', key: 'incoming/customers/b.jsonl.gz', format: 'jsonl', gzip: true } },
    { key: 'incoming/orders/a.mapping.json', expected: { type: 'mapping', key: 'incoming/orders/a.mapping.json' } },
    { key: 'incoming/orders/cdnow.mapping.json', expected: { type: 'mapping', key: 'incoming/orders/cdnow.mapping.json' } },
  ])('$key', ({ key, expected }) => {
    // Act
    const incoming = classifyIncomingKey(key);

    // Assess
    expect(incoming).toEqual(expected);
  });

  it.each([
    { key: 'orders/a.csv', message: 'object orders/a.csv is not under incoming/{customers,orders,events}/' },
    { key: 'reports/orders/a.csv', message: 'object reports/orders/a.csv is not under incoming/{customers,orders,events}/' },
    { key: 'reports/x.csv', message: 'object reports/x.csv is not under incoming/{customers,orders,events}/' },
    { key: 'incoming/a.csv', message: 'object incoming/a.csv is not under incoming/{customers,orders,events}/' },
    { key: 'incoming/shipments/a.csv', message: 'object incoming/shipments/a.csv is not under incoming/{customers,orders,events}/' },
    { key: 'incoming/Orders/a.csv', message: 'object incoming/Orders/a.csv is not under incoming/{customers,orders,events}/' },
    { key: 'incoming/orders/', message: 'object incoming/orders/ is not under incoming/{customers,orders,events}/' },
    { key: 'incoming/orders/a.xlsx', message: 'object incoming/orders/a.xlsx is neither .csv/.tsv/.txt nor .jsonl (optionally .gz)' },
    { key: 'incoming/orders/a.json', message: 'object incoming/orders/a.json is neither .csv/.tsv/.txt nor .jsonl (optionally .gz)' },
    { key: 'incoming/orders/a.gz', message: 'object incoming/orders/a.gz is neither .csv/.tsv/.txt nor .jsonl (optionally .gz)' },
    { key: 'incoming/orders/a.csv.zip', message: 'object incoming/orders/a.csv.zip is neither .csv/.tsv/.txt nor .jsonl (optionally .gz)' },
  ])('refuses $key', ({ key, message }) => {
    // Act
    const classify = (): IncomingObject => classifyIncomingKey(key);

    // Assess
    expect(classify).toThrow(InputError);
    expect(classify).toThrow(new InputError(message));
  });
});

describe('mappingKeyFor finds the mapping file next to a data file', () => {
  it.each([
    { key: 'incoming/orders/a.csv', expected: 'incoming/orders/a.mapping.json' },
    { key: 'incoming/orders/a.csv.gz', expected: 'incoming/orders/a.mapping.json' },
    { key: 'incoming/customers/crm.jsonl', expected: 'incoming/customers/crm.mapping.json' },
    { key: 'incoming/orders/2024/a.csv.gz', expected: 'incoming/orders/2024/a.mapping.json' },
    { key: 'incoming/orders/2024/q1.v2.csv', expected: 'incoming/orders/2024/q1.v2.mapping.json' },
    { key: 'incoming/orders/v1.0/data.tsv.gz', expected: 'incoming/orders/v1.0/data.mapping.json' },
  ])('$key → $expected', ({ key, expected }) => {
    // Act
    const mappingKey = mappingKeyFor(key);

    // Assess
    expect(mappingKey).toBe(expected);
  });
});

describe('quarantineKeys mirrors the incoming path under quarantine/', () => {
  it.each([
    { key: 'incoming/orders/a.csv', rejected: 'quarantine/orders/a.csv.rejected.csv', report: 'quarantine/orders/a.csv.report.json' },
    { key: 'incoming/events/2024/06/b.jsonl.gz', rejected: 'quarantine/events/2024/06/b.jsonl.gz.rejected.csv', report: 'quarantine/events/2024/06/b.jsonl.gz.report.json' },
  ])('$key', ({ key, rejected, report }) => {
    // Act
    const keys = quarantineKeys(key);

    // Assess
    expect(keys).toEqual({ rejected, report });
  });
});
