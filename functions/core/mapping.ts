import * as z from 'zod';
import { FIELDS, RECORD_KINDS, REQUIRED_FIELDS, type RecordKind } from './fields.ts';
import { InputError } from './errors.ts';
import { parseOrThrow } from './validation.ts';
import { looksLikeName, printableColumn } from './header-row.ts';

/** A mapping file: which source column feeds which strata field (DESIGN.md, "Mapping files"). */
export const mappingSchema = z
  .object({
    kind: z.enum(RECORD_KINDS),
    columns: z.record(z.string(), z.string().min(1)),
    timezone: z.string().default('UTC'),
    dateFormat: z.enum(['iso', 'us', 'eu', 'yyyymmdd', 'epoch']).optional(),
    /** Character encoding of the file; UTF-8 unless declared. */
    encoding: z.enum(['utf-8', 'latin1']).default('utf-8'),
    /** The decimal separator of amounts; without it "1.234" and "1,234" are refused as ambiguous. */
    decimalSeparator: z.enum(['.', ',']).optional(),
    /** Overrides the deployment's limit on the share of bad rows for this file. */
    maxRejectedShare: z.number().min(0).max(1).optional(),
  })
  .strict()
  .superRefine((mapping, ctx) => {
    const known: readonly string[] = FIELDS[mapping.kind];
    for (const field of Object.keys(mapping.columns)) {
      if (!known.includes(field)) {
        ctx.addIssue({
          code: 'custom',
          path: ['columns', field],
          message: `"${field}" is not a field of ${mapping.kind} files; expected one of ${known.join(", ")}`,
        });
      }
    }
    // One column feeding two fields would, e.g. as customerId and orderId, fold a customer's orders into one.
    const fieldOf = new Map<string, string>();
    for (const [field, header] of Object.entries(mapping.columns)) {
      const other = fieldOf.get(header);
      if (other !== undefined) {
        ctx.addIssue({ code: 'custom', path: ['columns', field], message: `column ${printableColumn(header)} feeds both ${other} and ${field}: map each field to its own column` });
      }
      fieldOf.set(header, field);
    }
  });

export type Mapping = z.infer<typeof mappingSchema>;

export function parseMapping(json: unknown, source: string): Mapping {
  return parseOrThrow(mappingSchema, json, 'mapping', source);
}

/** Header spellings recognized without a mapping file, compared after normalizeHeader. */
const HEADER_ALIASES: Record<string, readonly string[]> = {
  customerId: ['customerid', 'customer', 'custid', 'clientid', 'householdid', 'householdkey', 'userid', 'sampleid', 'id'],
  orderId: ['orderid', 'invoiceno', 'invoice', 'invoiceid', 'basketid', 'transactionid', 'ordernumber'],
  orderedAt: ['orderedat', 'orderdate', 'date', 'invoicedate', 'transactiontimestamp', 'purchasedate', 'timestamp', 'createdat'],
  amount: ['amount', 'dollarvalue', 'sales', 'salesvalue', 'revenue', 'total', 'ordertotal', 'linetotal', 'value'],
  unitPrice: ['unitprice', 'price', 'itemprice'],
  currency: ['currency', 'currencycode'],
  quantity: ['quantity', 'qty', 'numberofcds', 'units'],
  discount: ['discount', 'discountamount', 'retaildisc', 'coupondisc'],
  profit: ['profit', 'margin', 'grossprofit', 'grossmargin'],
  category: ['category', 'productcategory', 'department'],
  productId: ['productid', 'sku', 'stockcode', 'productcode'],
  channel: ['channel', 'saleschannel', 'source'],
  status: ['status', 'orderstatus'],
  email: ['email', 'emailaddress', 'mail'],
  firstName: ['firstname', 'givenname', 'forename'],
  lastName: ['lastname', 'surname', 'familyname'],
  phone: ['phone', 'phonenumber', 'mobile', 'telephone'],
  birthDate: ['birthdate', 'dateofbirth', 'dob'],
  ageBand: ['ageband', 'age', 'agegroup'],
  gender: ['gender', 'sex'],
  city: ['city', 'town'],
  region: ['region', 'state', 'province'],
  country: ['country', 'countrycode'],
  postalCode: ['postalcode', 'zip', 'zipcode', 'postcode'],
  timezone: ['timezone', 'tz', 'timezoneid'],
  interests: ['interests'],
  incomeBand: ['incomeband', 'income'],
  consent: ['consent', 'emailconsent', 'marketingconsent', 'optin'],
  signedUpAt: ['signedupat', 'signupdate', 'createdat', 'registeredat'],
  externalId: ['externalid', 'loyaltyid', 'loyaltynumber', 'loyaltycardnumber', 'memberid', 'membershipnumber', 'crmid'],
  type: ['type', 'eventtype', 'event'],
  occurredAt: ['occurredat', 'eventtime', 'timestamp', 'date'],
  properties: ['properties', 'props', 'data'],
};

function normalizeHeader(header: string): string {
  return header.toLowerCase().replace(/[^a-z0-9]/g, '');
}

/**
 * Recognizes common header names. The first alias in a field's list that matches wins, and a
 * column feeds at most one field, so "sample_id" beats "master_id" only because neither is
 * "customer_id": exact names come first in each list.
 */
export function recognizeMapping(kind: RecordKind, headers: readonly string[]): Mapping {
  const byNormalized = new Map(headers.map((h) => [normalizeHeader(h), h] as const));
  const used = new Set<string>();
  const columns: Record<string, string> = {};
  for (const field of FIELDS[kind]) {
    for (const alias of HEADER_ALIASES[field] ?? []) {
      const header = byNormalized.get(alias);
      if (header !== undefined && !used.has(header)) {
        columns[field] = header;
        used.add(header);
        break;
      }
    }
  }
  const amountFromPrice = kind === 'orders' && 'unitPrice' in columns && 'quantity' in columns;
  const missing = REQUIRED_FIELDS[kind].filter((field) => !(field in columns) && !(field === 'amount' && amountFromPrice));
  if (missing.length > 0) {
    throw new InputError(
      `cannot recognize the ${missing.join(', ')} column(s) of this ${kind} file among ` +
        `[${headers.map((h, i) => (looksLikeName(h) ? h : `(column ${i + 1}, name not shown)`)).join(', ')}]; add a mapping file`,
    );
  }
  return { kind, columns, timezone: 'UTC', encoding: 'utf-8' };
}
