import { describe, expect, it } from 'vitest';
import type { Mapping } from '../../functions/core/mapping.ts';
import { toCustomer, toOrderLine, type CustomerRecord, type OrderLine, type RowResult } from '../../functions/core/records.ts';

type Row = Readonly<Record<string, string | undefined>>;

/** CDNOW-like: one row per order, no order id column. */
const wholeOrders: Mapping = {
  kind: 'orders',
  columns: { customerId: 'customer', orderedAt: 'date', amount: 'total', quantity: 'items' },
  timezone: 'UTC',
  encoding: 'utf-8',
};

/** Online Retail-like: order lines under an explicit invoice number, priced per unit. */
const orderLines: Mapping = {
  kind: 'orders',
  columns: { customerId: 'customer', orderId: 'invoice', orderedAt: 'date', unitPrice: 'price', quantity: 'items', productId: 'sku', status: 'status' },
  timezone: 'UTC',
  encoding: 'utf-8',
};

const NOW = new Date('2024-06-01T00:00:00Z');

function accepted<T>(result: RowResult<T>): T {
  if (!result.ok) throw new Error(`expected the row to be accepted, got "${result.reason}"`);
  return result.value;
}

describe('toOrderLine accepts a readable order row', () => {
  it.each<{ readonly label: string; readonly row: Row; readonly mapping: Mapping; readonly expected: Partial<OrderLine> }>([
    {
      label: 'a whole order with its amount and quantity',
      row: { customer: '00001', date: '19970101', total: '11.77', items: '1' },
      mapping: wholeOrders,
      expected: { customerId: '00001', lineId: '1', orderedAt: '1997-01-01T00:00:00.000Z', amount: 11.77, quantity: 1 },
    },
    {
      label: 'a trimmed customer id and a money amount with symbols',
      row: { customer: '  42 ', date: '2024-01-15', total: '$1,234.50' },
      mapping: wholeOrders,
      expected: { customerId: '42', amount: 1234.5 },
    },
    {
      label: 'a quantity written as NA as no quantity',
      row: { customer: '42', date: '2024-01-15', total: '5', items: 'NA' },
      mapping: wholeOrders,
      expected: { customerId: '42', amount: 5 },
    },
    {
      label: 'an order line priced as unit price × quantity, under its invoice number',
      row: { customer: '17850', invoice: '536365', date: '2010-12-01 08:26', price: '2.55', items: '6', sku: '85123A' },
      mapping: orderLines,
      expected: { customerId: '17850', orderId: '536365', orderedAt: '2010-12-01T08:26:00.000Z', amount: 15.3, quantity: 6, productId: '85123A' },
    },
    {
      label: 'a cancellation invoice as a negative, cancelled line',
      row: { customer: '17850', invoice: 'C536379', date: '2010-12-01', price: '27.50', items: '-1' },
      mapping: orderLines,
      expected: { orderId: 'C536379', amount: -27.5, quantity: -1, cancelled: true },
    },
    {
      label: 'a refunded status as a negative, cancelled line',
      row: { customer: '17850', invoice: '536380', date: '2010-12-01', price: '10', items: '2', status: 'Refunded' },
      mapping: orderLines,
      expected: { amount: -20, cancelled: true },
    },
    {
      label: 'a cancelled status as a negative, cancelled line',
      row: { customer: '1', invoice: '536380', date: '2010-12-01', price: '27.50', items: '1', status: 'Cancelled' },
      mapping: orderLines,
      expected: { amount: -27.5, cancelled: true },
    },
    {
      label: 'a negative quantity as a returned, cancelled line even without a C invoice',
      row: { customer: '1', invoice: '536381', date: '2010-12-01', price: '27.50', items: '-1' },
      mapping: orderLines,
      expected: { amount: -27.5, cancelled: true },
    },
    {
      label: 'a cancellation invoice of another customer',
      row: { customer: '1', invoice: 'C536379', date: '2010-12-01', price: '27.50', items: '-1' },
      mapping: orderLines,
      expected: { amount: -27.5, cancelled: true },
    },
  ])('$label', ({ row, mapping, expected }) => {
    // Act
    const result = toOrderLine(row, mapping, 1, NOW);

    // Assess
    expect(accepted(result)).toMatchObject(expected);
  });

  it('prices a line as unit price × quantity and keeps the explicit order id, without a clock too', () => {
    // Act
    const result = toOrderLine({ customer: '1', invoice: '536365', date: '2010-12-01 08:26', price: '2.55', items: '6' }, orderLines, 1);

    // Assess
    expect(accepted(result)).toMatchObject({ orderId: '536365', amount: 15.3, quantity: 6 });
  });

  it('leaves out what the row does not say', () => {
    // Prepare
    const row = { customer: '7', date: '2024-01-15', total: '5' };

    // Act
    const line = accepted(toOrderLine(row, wholeOrders, 1, NOW));

    // Assess
    expect(Object.keys(line).sort()).toEqual(['amount', 'customerId', 'lineId', 'orderId', 'orderedAt']);
  });
});

describe('toOrderLine rejects an unusable row with its reason', () => {
  it.each<{ readonly row: Row; readonly reason: string }>([
    { row: { date: '2024-01-15', total: '5' }, reason: 'missing customer id' },
    { row: { customer: '', date: '2024-01-15', total: '5' }, reason: 'missing customer id' },
    { row: { customer: '  ', date: '2024-01-15', total: '5' }, reason: 'missing customer id' },
    { row: { customer: 'null', date: '2024-01-15', total: '5' }, reason: 'missing customer id' },
    { row: { customer: 'x'.repeat(129), date: '2024-01-15', total: '5' }, reason: 'customer id longer than 128 characters' },
    { row: { customer: '7', total: '5' }, reason: 'missing order date' },
    { row: { customer: '7', date: 'next tuesday', total: '5' }, reason: 'unreadable order date' },
    { row: { customer: '7', date: '2021-02-30', total: '5' }, reason: 'unreadable order date' },
    { row: { customer: '7', date: '2024-06-03', total: '5' }, reason: 'order date in the future' },
    { row: { customer: '7', date: '1899-12-31', total: '5' }, reason: 'order date before 1900' },
    { row: { customer: '7', date: '2024-01-15' }, reason: 'missing amount' },
    { row: { customer: '7', date: '2024-01-15', total: 'n/a' }, reason: 'missing amount' },
    { row: { customer: '7', date: '2024-01-15', total: 'five' }, reason: 'unreadable amount' },
    { row: { customer: '7', date: '2024-01-15', total: '1000000000' }, reason: 'amount out of range' },
    { row: { customer: '7', date: '2024-01-15', total: '5', items: '1.5' }, reason: 'unreadable quantity' },
    { row: { customer: '7', date: '2024-01-15', total: '5', items: 'two' }, reason: 'unreadable quantity' },
    { row: { customer: '', date: '2020-01-01', total: '1' }, reason: 'missing customer id' },
    { row: { customer: 'NA', date: '2020-01-01', total: '1' }, reason: 'missing customer id' },
    { row: { customer: '1', date: '', total: '1' }, reason: 'missing order date' },
    { row: { customer: '1', date: 'soon', total: '1' }, reason: 'unreadable order date' },
    { row: { customer: '1', date: '2020-01-01', total: '' }, reason: 'missing amount' },
    { row: { customer: '1', date: '2020-01-01', total: 'ten' }, reason: 'unreadable amount' },
    { row: { customer: '1', date: '2020-01-01', total: '1', items: '1.5' }, reason: 'unreadable quantity' },
    { row: { customer: '1', date: '2030-01-01', total: '1' }, reason: 'order date in the future' },
  ])('$reason: $row', ({ row, reason }) => {
    // Act
    const result = toOrderLine(row, wholeOrders, 1, NOW);

    // Assess
    expect(result).toEqual({ ok: false, reason });
  });

  it('gives an order dated within a day of the clock the benefit of the doubt', () => {
    // Prepare
    const row = { customer: '7', date: '2024-06-01T20:00:00Z', total: '5' };

    // Act
    const result = toOrderLine(row, wholeOrders, 1, NOW);

    // Assess
    expect(result.ok).toBe(true);
  });

  it('rejects an unreadable unit price when the amount comes from the price', () => {
    // Prepare
    const row = { customer: '7', invoice: '1', date: '2024-01-15', price: 'free', items: '1' };

    // Act
    const result = toOrderLine(row, orderLines, 1, NOW);

    // Assess
    expect(result).toEqual({ ok: false, reason: 'unreadable unit price' });
  });
});

describe('toOrderLine gives every order a deterministic id', () => {
  const row = { customer: '00001', date: '19970101', total: '11.77', items: '1' };

  it.each<{ readonly label: string; readonly other: Row; readonly otherOccurrence: number; readonly same: boolean }>([
    { label: 'the same row at the same occurrence, read again', other: { ...row }, otherOccurrence: 1, same: true },
    { label: 'the same row with a different occurrence (a second identical purchase)', other: row, otherOccurrence: 2, same: false },
    { label: 'another customer with the same content', other: { ...row, customer: '00002' }, otherOccurrence: 1, same: false },
    { label: 'another amount', other: { ...row, total: '11.78' }, otherOccurrence: 1, same: false },
  ])('$label → same id: $same', ({ other, otherOccurrence, same }) => {
    // Act
    const first = accepted(toOrderLine(row, wholeOrders, 1, NOW));
    const second = accepted(toOrderLine(other, wholeOrders, otherOccurrence, NOW));

    // Assess
    expect(first.orderId).toMatch(/^[0-9a-f]{24}$/);
    expect(second.orderId === first.orderId).toBe(same);
  });

  it('uses an explicit order id column as the id, whatever the occurrence', () => {
    // Prepare
    const line = { customer: '17850', invoice: '536365', date: '2010-12-01', price: '2.55', items: '6', sku: '85123A' };

    // Act
    const first = accepted(toOrderLine(line, orderLines, 1, NOW));
    const repeated = accepted(toOrderLine(line, orderLines, 2, NOW));
    const otherLine = accepted(toOrderLine({ ...line, sku: '71053' }, orderLines, 1, NOW));

    // Assess
    expect([first.orderId, repeated.orderId, otherLine.orderId]).toEqual(['536365', '536365', '536365']);
    expect(repeated.lineId).toBe(first.lineId);
    expect(otherLine.lineId).not.toBe(first.lineId);
  });

  it('gives the same id without a clock: the same row and occurrence read again, another to the next identical row', () => {
    // Prepare
    const line = { customer: '1', date: '2020-01-01', total: '5.00', items: '1' };

    // Act
    const first = accepted(toOrderLine(line, wholeOrders, 1));
    const again = accepted(toOrderLine({ ...line }, wholeOrders, 1));
    const next = accepted(toOrderLine(line, wholeOrders, 2));

    // Assess
    expect(again).toEqual(first);
    expect(next.orderId).not.toBe(first.orderId);
  });

  it('gives an exact duplicate line of an order the same key, so it is stored once', () => {
    // Prepare
    const line = { customer: '1', invoice: '9', date: '2020-01-01', price: '1', items: '1' };

    // Act
    const a = accepted(toOrderLine(line, orderLines, 1));
    const b = accepted(toOrderLine(line, orderLines, 2));

    // Assess
    expect(`${b.orderId}#${b.lineId}`).toBe(`${a.orderId}#${a.lineId}`);
  });
});

const customers: Mapping = {
  kind: 'customers',
  columns: { customerId: 'id', email: 'mail', consent: 'optin', firstName: 'first', country: 'country', phone: 'tel', interests: 'interests' },
  timezone: 'UTC',
  encoding: 'utf-8',
};

describe('toCustomer', () => {
  it.each<{ readonly row: Row; readonly expected: CustomerRecord }>([
    { row: { id: '1', mail: ' Ada@Example.COM ', first: 'Ada' }, expected: { customerId: '1', email: 'ada@example.com', firstName: 'Ada' } },
    { row: { id: '2', mail: 'NA' }, expected: { customerId: '2' } },
    { row: { id: '3', country: 'gb' }, expected: { customerId: '3', country: 'GB' } },
    { row: { id: '4', country: 'United Kingdom' }, expected: { customerId: '4', country: 'United Kingdom' } },
    {
      row: { id: '5', mail: ' A@B.com ', optin: 'unsubscribed', tel: '(415) 555-2671', country: 'us', interests: 'Jazz; vinyl' },
      expected: { customerId: '5', email: 'a@b.com', consent: false, phone: '+14155552671', country: 'US', interests: ['jazz', 'vinyl'] },
    },
  ])('cleans $row', ({ row, expected }) => {
    // Act
    const result = toCustomer(row, customers);

    // Assess
    expect(result).toEqual({ ok: true, value: expected });
  });

  it.each([
    { raw: 'yes', consent: true },
    { raw: 'Y', consent: true },
    { raw: '1', consent: true },
    { raw: 'TRUE', consent: true },
    { raw: 'Opted-In', consent: true },
    { raw: 'subscribed', consent: true },
    { raw: 'no', consent: false },
    { raw: 'N', consent: false },
    { raw: '0', consent: false },
    { raw: 'false', consent: false },
    { raw: 'opt-out', consent: false },
    { raw: 'Unsubscribed', consent: false },
  ])('reads consent $raw as $consent', ({ raw, consent }) => {
    // Act
    const result = toCustomer({ id: '1', optin: raw }, customers);

    // Assess
    expect(result).toEqual({ ok: true, value: { customerId: '1', consent } });
  });

  it('records no consent at all when the column is empty', () => {
    // Act
    const customer = accepted(toCustomer({ id: '1', optin: '' }, customers));

    // Assess
    expect('consent' in customer).toBe(false);
  });

  it.each<{ readonly row: Row; readonly reason: string }>([
    { row: { id: '', mail: 'ada@example.com' }, reason: 'missing customer id' },
    { row: { id: '' }, reason: 'missing customer id' },
    { row: { id: 'x'.repeat(129) }, reason: 'customer id longer than 128 characters' },
    { row: { id: '1', mail: 'ada(at)example.com' }, reason: 'invalid e-mail address' },
    { row: { id: '1', mail: 'ada@example' }, reason: 'invalid e-mail address' },
    { row: { id: '1', mail: 'not-an-email' }, reason: 'invalid e-mail address' },
    { row: { id: '1', optin: 'maybe' }, reason: 'unreadable consent' },
    { row: { id: '1', optin: 'ja' }, reason: 'unreadable consent' },
  ])('rejects $row: $reason', ({ row, reason }) => {
    // Act
    const result = toCustomer(row, customers);

    // Assess
    expect(result).toEqual({ ok: false, reason });
  });
});
