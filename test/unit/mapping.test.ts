import { describe, expect, it } from 'vitest';
import { parseMapping, recognizeMapping, type Mapping } from '../../functions/core/mapping.ts';
import { InputError } from '../../functions/core/errors.ts';
import type { RecordKind } from '../../functions/core/fields.ts';

const ORDER_FIELDS = 'customerId, orderId, orderedAt, amount, unitPrice, currency, quantity, discount, profit, category, productId, channel, status';

describe('parseMapping accepts a valid mapping file', () => {
  it.each<{ readonly label: string; readonly json: unknown; readonly expected: Mapping }>([
    {
      label: 'defaults the time zone and encoding',
      json: { kind: 'orders', columns: { customerId: 'cust', orderedAt: 'when', amount: 'total' } },
      expected: { kind: 'orders', columns: { customerId: 'cust', orderedAt: 'when', amount: 'total' }, timezone: 'UTC', encoding: 'utf-8' },
    },
    {
      label: 'keeps every declared option',
      json: { kind: 'customers', columns: { customerId: 'id', email: 'E-mail' }, timezone: 'Europe/Paris', dateFormat: 'eu', encoding: 'latin1', maxRejectedShare: 0.25 },
      expected: { kind: 'customers', columns: { customerId: 'id', email: 'E-mail' }, timezone: 'Europe/Paris', dateFormat: 'eu', encoding: 'latin1', maxRejectedShare: 0.25 },
    },
    {
      label: 'accepts the fields of event files',
      json: { kind: 'events', columns: { customerId: 'user', type: 'what', occurredAt: 'at', properties: 'json' } },
      expected: { kind: 'events', columns: { customerId: 'user', type: 'what', occurredAt: 'at', properties: 'json' }, timezone: 'UTC', encoding: 'utf-8' },
    },
    {
      label: 'a mapping of the customer id alone',
      json: { kind: 'orders', columns: { customerId: 'id' } },
      expected: { kind: 'orders', columns: { customerId: 'id' }, timezone: 'UTC', encoding: 'utf-8' },
    },
  ])('$label', ({ json, expected }) => {
    // Act
    const mapping = parseMapping(json, 'incoming/orders/a.mapping.json');

    // Assess
    expect(mapping).toEqual(expected);
  });
});

describe('parseMapping refuses a bad mapping file with a message naming the file and the problem', () => {
  it.each<{ readonly label: string; readonly json: unknown; readonly message: string | RegExp }>([
    {
      label: 'a field that orders files do not have',
      json: { kind: 'orders', columns: { customerId: 'c', email: 'e' } },
      message: `invalid mapping m.json: columns.email: "email" is not a field of orders files; expected one of ${ORDER_FIELDS}`,
    },
    {
      label: 'a field that no file has',
      json: { kind: 'orders', columns: { client: 'id' } },
      message: /columns\.client: "client" is not a field of orders files/,
    },
    {
      label: 'a field in the wrong case',
      json: { kind: 'orders', columns: { CustomerId: 'c' } },
      message: `invalid mapping m.json: columns.CustomerId: "CustomerId" is not a field of orders files; expected one of ${ORDER_FIELDS}`,
    },
    {
      label: 'a kind strata does not know',
      json: { kind: 'shipments', columns: { customerId: 'c' } },
      message: /^invalid mapping m\.json: kind: Invalid option: expected one of "customers"\|"orders"\|"events"$/,
    },
    { label: 'a kind strata does not know, with no columns', json: { kind: 'shipments', columns: {} }, message: /kind:/ },
    { label: 'no kind at all', json: { columns: { customerId: 'c' } }, message: /^invalid mapping m\.json: kind: / },
    { label: 'an empty column name', json: { kind: 'orders', columns: { customerId: '' } }, message: /^invalid mapping m\.json: columns\.customerId: / },
    { label: 'an unknown date format', json: { kind: 'orders', columns: {}, dateFormat: 'dmy' }, message: /^invalid mapping m\.json: dateFormat: / },
    { label: 'an unknown encoding', json: { kind: 'orders', columns: {}, encoding: 'utf-16' }, message: /^invalid mapping m\.json: encoding: / },
    { label: 'a rejected share above 1', json: { kind: 'orders', columns: {}, maxRejectedShare: 1.5 }, message: /^invalid mapping m\.json: maxRejectedShare: / },
    { label: 'a rejected share of 2', json: { kind: 'orders', columns: {}, maxRejectedShare: 2 }, message: /maxRejectedShare/ },
    { label: 'an unknown option', json: { kind: 'orders', columns: {}, delimiter: ';' }, message: /^invalid mapping m\.json: \(root\): Unrecognized key: "delimiter"$/ },
    { label: 'an unknown numeric option', json: { kind: 'orders', columns: {}, extra: 1 }, message: /\(root\)|extra/ },
    { label: 'not an object', json: 'orders', message: /^invalid mapping m\.json: \(root\): / },
  ])('$label', ({ json, message }) => {
    // Act
    const parse = (): Mapping => parseMapping(json, 'm.json');

    // Assess
    expect(parse).toThrow(InputError);
    expect(parse).toThrow(message);
  });
});

describe('recognizeMapping compares headers without case, spaces or punctuation', () => {
  it.each([
    { header: 'Customer ID', field: 'customerId', others: ['date', 'amount'] },
    { header: 'customer_id', field: 'customerId', others: ['date', 'amount'] },
    { header: 'Invoice-Date', field: 'orderedAt', others: ['customer_id', 'amount'] },
    { header: 'number_of_cds', field: 'quantity', others: ['customer_id', 'date', 'amount'] },
  ])('$header is the $field column', ({ header, field, others }) => {
    // Act
    const mapping = recognizeMapping('orders', [header, ...others]);

    // Assess
    expect(mapping.columns[field as keyof Mapping['columns']]).toBe(header);
  });
});

describe('recognizeMapping maps well-known headers without a mapping file', () => {
  it.each<{ readonly label: string; readonly kind: RecordKind; readonly headers: readonly string[]; readonly columns: Record<string, string> }>([
    {
      label: 'CDNOW: sample_id is the customer, master_id is ignored',
      kind: 'orders',
      headers: ['master_id', 'sample_id', 'date', 'number_of_cds', 'dollar_value'],
      columns: { customerId: 'sample_id', orderedAt: 'date', amount: 'dollar_value', quantity: 'number_of_cds' },
    },
    {
      label: 'CDNOW with customer_id instead of sample_id',
      kind: 'orders',
      headers: ['customer_id', 'date', 'number_of_cds', 'dollar_value'],
      columns: { customerId: 'customer_id', orderedAt: 'date', amount: 'dollar_value', quantity: 'number_of_cds' },
    },
    {
      label: 'Online Retail: amount comes from UnitPrice × Quantity',
      kind: 'orders',
      headers: ['InvoiceNo', 'StockCode', 'Description', 'Quantity', 'InvoiceDate', 'UnitPrice', 'CustomerID', 'Country'],
      columns: { customerId: 'CustomerID', orderId: 'InvoiceNo', orderedAt: 'InvoiceDate', unitPrice: 'UnitPrice', quantity: 'Quantity', productId: 'StockCode' },
    },
    {
      label: 'a loyalty card number is the external id that merges identities',
      kind: 'customers',
      headers: ['customer_id', 'Loyalty Number', 'email'],
      columns: { customerId: 'customer_id', externalId: 'Loyalty Number', email: 'email' },
    },
    {
      label: 'headers with spaces and capitals',
      kind: 'orders',
      headers: ['Customer ID', 'Order Date', 'Order Total', 'Currency Code'],
      columns: { customerId: 'Customer ID', orderedAt: 'Order Date', amount: 'Order Total', currency: 'Currency Code' },
    },
    {
      label: 'an exact customer_id beats a generic id',
      kind: 'orders',
      headers: ['id', 'customer_id', 'date', 'amount'],
      columns: { customerId: 'customer_id', orderedAt: 'date', amount: 'amount' },
    },
    {
      label: 'customers with contact details',
      kind: 'customers',
      headers: ['customer_id', 'Email Address', 'First Name', 'Surname', 'ZIP', 'opt_in'],
      columns: { customerId: 'customer_id', email: 'Email Address', firstName: 'First Name', lastName: 'Surname', postalCode: 'ZIP', consent: 'opt_in' },
    },
    {
      label: 'demographics are customers: household, age and income',
      kind: 'customers',
      headers: ['household_id', 'age', 'income'],
      columns: { customerId: 'household_id', ageBand: 'age', incomeBand: 'income' },
    },
    {
      label: 'events',
      kind: 'events',
      headers: ['user_id', 'event_type', 'timestamp', 'props'],
      columns: { customerId: 'user_id', type: 'event_type', occurredAt: 'timestamp', properties: 'props' },
    },
  ])('$label', ({ kind, headers, columns }) => {
    // Act
    const mapping = recognizeMapping(kind, headers);

    // Assess
    expect(mapping).toEqual({ kind, columns, timezone: 'UTC', encoding: 'utf-8' });
  });

  it.each([
    {
      label: 'CDNOW',
      headers: ['master_id', 'sample_id', 'date', 'number_of_cds', 'dollar_value'],
      columns: { customerId: 'sample_id', orderedAt: 'date', amount: 'dollar_value', quantity: 'number_of_cds' },
    },
    {
      label: 'Online Retail',
      headers: ['InvoiceNo', 'StockCode', 'Description', 'Quantity', 'InvoiceDate', 'UnitPrice', 'CustomerID', 'Country'],
      columns: { customerId: 'CustomerID', orderId: 'InvoiceNo', orderedAt: 'InvoiceDate', unitPrice: 'UnitPrice', quantity: 'Quantity', productId: 'StockCode' },
    },
  ])('finds the columns of the $label sample', ({ headers, columns }) => {
    // Act
    const mapping = recognizeMapping('orders', headers);

    // Assess
    expect(mapping.columns).toEqual(columns);
  });

  it.each<{ readonly label: string; readonly kind: RecordKind; readonly headers: readonly string[]; readonly message: string }>([
    {
      label: 'no customer column',
      kind: 'orders',
      headers: ['master_id', 'date', 'dollar_value'],
      message: 'cannot recognize the customerId column(s) of this orders file among [master_id, date, dollar_value]; add a mapping file',
    },
    {
      label: 'a unit price without a quantity is no amount',
      kind: 'orders',
      headers: ['customer_id', 'date', 'unit_price'],
      message: 'cannot recognize the amount column(s) of this orders file among [customer_id, date, unit_price]; add a mapping file',
    },
    {
      label: 'several missing columns are all named',
      kind: 'orders',
      headers: ['sample_id'],
      message: 'cannot recognize the orderedAt, amount column(s) of this orders file among [sample_id]; add a mapping file',
    },
    {
      label: 'unknown headers and a date',
      kind: 'orders',
      headers: ['foo', 'date'],
      message: 'cannot recognize the customerId, amount column(s) of this orders file among [foo, date]; add a mapping file',
    },
    {
      label: 'events without a type',
      kind: 'events',
      headers: ['user_id', 'timestamp'],
      message: 'cannot recognize the type column(s) of this events file among [user_id, timestamp]; add a mapping file',
    },
  ])('refuses $label, naming what is missing', ({ kind, headers, message }) => {
    // Act
    const recognize = (): Mapping => recognizeMapping(kind, headers);

    // Assess
    expect(recognize).toThrow(new InputError(message));
    expect(recognize).toThrow(InputError);
  });
});
