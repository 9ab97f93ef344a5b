import { describe, expect, it } from 'vitest';
import { parseMapping, recognizeMapping, type Mapping } from '../../functions/core/mapping.ts';
import { toCustomer, toOrderLine } from '../../functions/core/records.ts';
import { InputError } from '../../functions/core/errors.ts';
import { classifyIncomingKey, mappingKeyFor, quarantineKeys } from '../../functions/core/object-key.ts';

describe('recognizeMapping', () => {
  it.each([
    [['master_id', 'sample_id', 'date', 'number_of_cds', 'dollar_value'], { customerId: 'sample_id', orderedAt: 'date', amount: 'dollar_value', quantity: 'number_of_cds' }],
    [['customer_id', 'date', 'number_of_cds', 'dollar_value'], { customerId: 'customer_id', orderedAt: 'date', amount: 'dollar_value', quantity: 'number_of_cds' }],
    [
      ['InvoiceNo', 'StockCode', 'Description', 'Quantity', 'InvoiceDate', 'UnitPrice', 'CustomerID', 'Country'],
      { customerId: 'CustomerID', orderId: 'InvoiceNo', orderedAt: 'InvoiceDate', unitPrice: 'UnitPrice', quantity: 'Quantity', productId: 'StockCode' },
    ],
  ])('orders %j', (headers, columns) => {
    expect(recognizeMapping('orders', headers).columns).toEqual(columns);
  });

  it('names the columns it cannot find', () => {
    expect(() => recognizeMapping('orders', ['foo', 'date'])).toThrow(new InputError('cannot recognize the customerId, amount column(s) of this orders file among [foo, date]; add a mapping file'));
  });

  it('recognizes demographics as customers', () => {
    expect(recognizeMapping('customers', ['household_id', 'age', 'income']).columns).toEqual({ customerId: 'household_id', ageBand: 'age', incomeBand: 'income' });
  });
});

describe('parseMapping', () => {
  it('fills defaults', () => {
    expect(parseMapping({ kind: 'orders', columns: { customerId: 'id' } }, 'm.json')).toEqual({ kind: 'orders', columns: { customerId: 'id' }, timezone: 'UTC', encoding: 'utf-8' });
  });

  it.each([
    [{ kind: 'orders', columns: { client: 'id' } }, /columns\.client: "client" is not a field of orders files/],
    [{ kind: 'shipments', columns: {} }, /kind:/],
    [{ kind: 'orders', columns: {}, extra: 1 }, /\(root\)|extra/],
    [{ kind: 'orders', columns: {}, maxRejectedShare: 2 }, /maxRejectedShare/],
  ])('refuses %j', (json, message) => {
    expect(() => parseMapping(json, 'm.json')).toThrow(message);
  });
});

const orders: Mapping = { kind: 'orders', columns: { customerId: 'c', orderedAt: 'd', amount: 'a', quantity: 'q' }, timezone: 'UTC', encoding: 'utf-8' };
const lines: Mapping = { kind: 'orders', columns: { customerId: 'c', orderId: 'o', orderedAt: 'd', unitPrice: 'p', quantity: 'q', status: 's' }, timezone: 'UTC', encoding: 'utf-8' };
const NOW = new Date('2024-01-01T00:00:00Z');

describe('toOrderLine', () => {
  it.each([
    [{ c: '', d: '2020-01-01', a: '1' }, 'missing customer id'],
    [{ c: 'NA', d: '2020-01-01', a: '1' }, 'missing customer id'],
    [{ c: '1', d: '', a: '1' }, 'missing order date'],
    [{ c: '1', d: 'soon', a: '1' }, 'unreadable order date'],
    [{ c: '1', d: '2020-01-01', a: '' }, 'missing amount'],
    [{ c: '1', d: '2020-01-01', a: 'ten' }, 'unreadable amount'],
    [{ c: '1', d: '2020-01-01', a: '1', q: '1.5' }, 'unreadable quantity'],
    [{ c: '1', d: '2030-01-01', a: '1' }, 'order date in the future'],
  ])('rejects %j: %s', (row, reason) => {
    expect(toOrderLine(row, orders, 1, NOW)).toEqual({ ok: false, reason });
  });

  it('gives the same id to the same row and occurrence, another to the next identical row', () => {
    const row = { c: '1', d: '2020-01-01', a: '5.00', q: '1' };
    const first = toOrderLine(row, orders, 1);
    expect(toOrderLine({ ...row }, orders, 1)).toEqual(first);
    const second = toOrderLine(row, orders, 2);
    expect(first.ok && second.ok && first.value.orderId !== second.value.orderId).toBe(true);
  });

  it('prices a line as unit price × quantity and keeps the explicit order id', () => {
    expect(toOrderLine({ c: '1', o: '536365', d: '2010-12-01 08:26', p: '2.55', q: '6' }, lines, 1)).toMatchObject({ ok: true, value: { orderId: '536365', amount: 15.3, quantity: 6 } });
  });

  it.each([
    [{ c: '1', o: 'C536379', d: '2010-12-01', p: '27.50', q: '-1' }],
    [{ c: '1', o: '536380', d: '2010-12-01', p: '27.50', q: '1', s: 'Cancelled' }],
    [{ c: '1', o: '536381', d: '2010-12-01', p: '27.50', q: '-1' }],
  ])('marks cancellations and returns with a negative amount: %j', (row) => {
    expect(toOrderLine(row, lines, 1)).toMatchObject({ ok: true, value: { amount: -27.5, cancelled: true } });
  });

  it('gives an exact duplicate line of an order the same key, so it is stored once', () => {
    const row = { c: '1', o: '9', d: '2020-01-01', p: '1', q: '1' };
    const a = toOrderLine(row, lines, 1);
    const b = toOrderLine(row, lines, 2);
    expect(a.ok && b.ok && `${a.value.orderId}#${a.value.lineId}` === `${b.value.orderId}#${b.value.lineId}`).toBe(true);
  });
});

describe('toCustomer', () => {
  const customers: Mapping = {
    kind: 'customers',
    columns: { customerId: 'id', email: 'e', consent: 'ok', phone: 'tel', country: 'cc', interests: 'i' },
    timezone: 'UTC',
    encoding: 'utf-8',
  };
  it.each([
    [{ id: '1', e: 'not-an-email' }, 'invalid e-mail address'],
    [{ id: '1', ok: 'maybe' }, 'unreadable consent'],
    [{ id: '' }, 'missing customer id'],
  ])('rejects %j: %s', (row, reason) => {
    expect(toCustomer(row, customers)).toEqual({ ok: false, reason });
  });

  it('cleans e-mail, consent, phone and interests', () => {
    expect(toCustomer({ id: '1', e: ' A@B.com ', ok: 'unsubscribed', tel: '(415) 555-2671', cc: 'us', i: 'Jazz; vinyl' }, customers)).toEqual({
      ok: true,
      value: { customerId: '1', email: 'a@b.com', consent: false, phone: '+14155552671', country: 'US', interests: ['jazz', 'vinyl'] },
    });
  });
});

describe('object keys', () => {
  it.each([
    ['incoming/orders/a.csv', { type: 'data', kind: 'orders', format: 'csv', gzip: false }],
    ['incoming/customers/b.jsonl.gz', { type: 'data', kind: 'customers', format: 'jsonl', gzip: true }],
    ['incoming/orders/a.mapping.json', { type: 'mapping' }],
  ])('%s', (key, expected) => {
    expect(classifyIncomingKey(key)).toMatchObject(expected);
  });

  it.each(['incoming/a.csv', 'incoming/shipments/a.csv', 'reports/x.csv', 'incoming/orders/a.xlsx'])('refuses %s', (key) => {
    expect(() => classifyIncomingKey(key)).toThrow(InputError);
  });

  it('finds the mapping and quarantine keys of a file', () => {
    expect(mappingKeyFor('incoming/orders/2024/a.csv.gz')).toBe('incoming/orders/2024/a.mapping.json');
    expect(quarantineKeys('incoming/orders/a.csv')).toEqual({ rejected: 'quarantine/orders/a.csv.rejected.csv', report: 'quarantine/orders/a.csv.report.json' });
  });
});
