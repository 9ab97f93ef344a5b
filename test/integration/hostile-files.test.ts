import { gzipSync } from 'node:zlib';
import { Readable } from 'node:stream';
import { Logger } from '@aws-lambda-powertools/logger';
import { describe, expect, it } from 'vitest';
import { memoryCustomerStore, memoryWriter } from '../../functions/adapters/memory-stores.ts';
import type { ObjectStore } from '../../functions/adapters/ports/objects.ts';
import { ingestObject, type IngestOutcome } from '../../functions/ingest-pipeline/ingest-object.ts';
import { BUILTIN_SEGMENTS } from '../../functions/core/segments/builtin.ts';

const NOW = new Date('2024-06-01T00:00:00Z');
const logger = new Logger({ serviceName: 'test', logLevel: 'SILENT' });

/** Objects held in memory as bytes: exactly what a hostile uploader could put in the bucket. */
function bytesStore(objects: Record<string, Buffer | string>): ObjectStore & { written: Map<string, string> } {
  const written = new Map<string, string>();
  return {
    written,
    async openStream(key) {
      const body = objects[key];
      if (body === undefined) throw new Error(`no ${key}`);
      return Readable.from([Buffer.from(body)]);
    },
    async readText(key) {
      const body = objects[key];
      return written.get(key) ?? (body === undefined ? undefined : Buffer.from(body).toString('utf-8'));
    },
    async put(key, body) {
      written.set(key, body);
    },
    createWriter: (key) => memoryWriter((body) => written.set(key, body)),
    list: async (prefix) => Object.keys(objects).filter((k) => k.startsWith(prefix)),
  };
}

async function ingestBytes(key: string, body: Buffer | string, mapping?: object) {
  const store = memoryCustomerStore();
  const objects = bytesStore({ [key]: body, ...(mapping ? { [key.replace(/(\.gz)?$/, '').replace(/\.[^./]+$/, '') + '.mapping.json']: JSON.stringify(mapping) } : {}) });
  let outcome: IngestOutcome | { status: 'error'; message: string };
  try {
    outcome = await ingestObject({ objects, store, logger, definitions: BUILTIN_SEGMENTS, now: NOW, maxRejectedShare: 0.5 }, key, 'e1');
  } catch (error) {
    outcome = { status: 'error', message: (error as Error).message };
  }
  return { outcome, store, objects };
}

const report = (outcome: unknown) => (outcome as { report?: { accepted: number; rejected: number; rejectedByReason: Record<string, number> } }).report;
const ordersMapping = { kind: 'orders', columns: { customerId: 'customer_id', orderedAt: 'date', amount: 'amount' } };

describe('hostile files: each gets a clear answer and leaves the stored state intact', () => {
  it('a truncated file: the cut row is quarantined, the complete rows are kept', async () => {
    const { outcome } = await ingestBytes('incoming/orders/cut.csv', 'customer_id,date,amount\n1,2024-01-01,5.00\n2,2024-01-02,6.00\n3,"2024-01');
    expect(report(outcome)).toMatchObject({ accepted: 2, rejected: 1 });
  });

  it('Latin-1 bytes read as UTF-8 are refused row by row with advice; declared as latin1 they read correctly', async () => {
    const latin1 = Buffer.from('customer_id,first_name\n1,Ren\xe9\n2,Zo\xeb\n3,Ann\n', 'latin1');
    const undeclared = await ingestBytes('incoming/customers/latin.csv', latin1);
    expect(undeclared.outcome).toMatchObject({ status: 'rejected', report: { accepted: 1, rejected: 2 } });
    expect(Object.keys(report(undeclared.outcome)!.rejectedByReason)[0]).toMatch(/invalid UTF-8.*latin1/);
    const declared = await ingestBytes('incoming/customers/latin.csv', latin1, { kind: 'customers', columns: { customerId: 'customer_id', firstName: 'first_name' }, encoding: 'latin1' });
    expect(report(declared.outcome)).toMatchObject({ accepted: 3, rejected: 0 });
    expect((await declared.store.loadCustomer('1')).profile?.contact?.firstName).toBe('René');
  });

  it('a 2 MB line is quarantined without taking the file down', async () => {
    const rows = ['customer_id,date,amount', ...Array.from({ length: 9 }, (_, i) => `${i},2024-01-01,1.00`), `9,2024-01-01,"${'x'.repeat(2 * 1024 * 1024)}"`];
    const { outcome } = await ingestBytes('incoming/orders/long.csv', rows.join('\n'));
    expect(report(outcome)).toMatchObject({ accepted: 9, rejected: 1 });
  });

  it('huge numbers, future and ancient dates are rejected with their reasons', async () => {
    const { outcome } = await ingestBytes(
      'incoming/orders/numbers.csv',
      ['customer_id,date,amount', '1,2024-01-01,1e300', '2,2030-01-01,5.00', '3,1850-01-01,5.00', '4,2024-01-01,5.00', '5,2024-01-01,7.00', '6,2024-01-01,8.00'].join('\n'),
    );
    expect(report(outcome)?.rejectedByReason).toEqual({ 'amount out of range': 1, 'order date in the future': 1, 'order date before 1900': 1 });
  });

  it('emoji and injection strings are kept as inert data', async () => {
    const hostile = ['customer_id,first_name,email', `1,"Zoë 🎉",a@example.com`, `2,"<script>alert(1)</script>",b@example.com`, `3,"{{7*7}}'; DROP TABLE x;--",c@example.com`];
    const { outcome, store } = await ingestBytes('incoming/customers/hostile.csv', hostile.join('\n'));
    expect(report(outcome)).toMatchObject({ accepted: 3, rejected: 0 });
    expect((await store.loadCustomer('1')).profile?.contact?.firstName).toBe('Zoë 🎉');
    expect((await store.loadCustomer('3')).profile?.contact?.firstName).toBe("{{7*7}}'; DROP TABLE x;--");
  });

  it('a gzip file is read like its plain twin', async () => {
    const plain = 'customer_id,date,amount\n1,2024-01-01,5.00\n1,2024-02-01,6.00\n';
    const gz = await ingestBytes('incoming/orders/a.csv.gz', gzipSync(plain), ordersMapping);
    const csv = await ingestBytes('incoming/orders/a.csv', plain, ordersMapping);
    expect(report(gz.outcome)).toMatchObject({ accepted: 2 });
    expect((await gz.store.loadCustomer('1')).profile).toEqual((await csv.store.loadCustomer('1')).profile);
  });

  it('semicolons, CRLF and a UTF-8 BOM are understood', async () => {
    const { outcome, store } = await ingestBytes('incoming/orders/eu.csv', '\ufeffcustomer_id;date;amount\r\n1;15/03/2024;"1.234,50"\r\n');
    expect(report(outcome)).toMatchObject({ accepted: 1, rejected: 0 });
    expect((await store.loadCustomer('1')).profile?.orders).toMatchObject({ revenue: 1234.5, firstOrderAt: '2024-03-15T00:00:00.000Z' });
  });

  it('JSONL with a broken line quarantines that line', async () => {
    const { outcome } = await ingestBytes('incoming/orders/o.jsonl', ['{"customer_id":"1","date":"2024-01-01","amount":5}', '{"customer_id":', '[1,2]', '{"customer_id":"2","date":"2024-01-02","amount":"6.50"}'].join('\n'), ordersMapping);
    expect(report(outcome)).toMatchObject({ accepted: 2, rejected: 2, rejectedByReason: { 'malformed JSON': 1, 'not a JSON object': 1 } });
  });

  it('a mapping file that is not JSON, or names unknown fields, is refused with a precise message', async () => {
    const bad = await ingestBytes('incoming/orders/x.csv', 'a,b\n1,2\n', { kind: 'orders', columns: { customer: 'a' } });
    expect(bad.outcome).toMatchObject({ status: 'error', message: expect.stringContaining('"customer" is not a field of orders files') });
    const store = memoryCustomerStore();
    const objects = bytesStore({ 'incoming/orders/y.csv': 'a\n', 'incoming/orders/y.mapping.json': '{not json' });
    await expect(ingestObject({ objects, store, logger, definitions: [], now: NOW, maxRejectedShare: 0.2 }, 'incoming/orders/y.csv', 'e')).rejects.toThrow(/y\.mapping\.json is not valid JSON/);
    expect(store.writes()).toBe(0);
  });
});
