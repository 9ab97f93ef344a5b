/** The canonical fields strata understands, per kind of source file (DESIGN.md, "Mapping files"). */
export const RECORD_KINDS = ['customers', 'orders', 'events'] as const;
export type RecordKind = (typeof RECORD_KINDS)[number];

export const FIELDS = {
  orders: [
    'customerId', 'orderId', 'orderedAt', 'amount', 'unitPrice', 'currency', 'quantity', 'discount',
    'profit', 'category', 'productId', 'channel', 'status',
  ],
  customers: [
    'customerId', 'email', 'firstName', 'lastName', 'phone', 'birthDate', 'ageBand', 'gender',
    'city', 'region', 'country', 'postalCode', 'timezone', 'interests', 'incomeBand', 'consent',
    'signedUpAt', 'externalId',
  ],
  events: ['customerId', 'type', 'occurredAt', 'properties'],
} as const satisfies Record<RecordKind, readonly string[]>;

export type FieldOf<K extends RecordKind> = (typeof FIELDS)[K][number];

/** Columns a file must have; for orders, amount may instead come from unitPrice × quantity. */
export const REQUIRED_FIELDS: { [K in RecordKind]: readonly FieldOf<K>[] } = {
  orders: ['customerId', 'orderedAt', 'amount'],
  customers: ['customerId'],
  events: ['customerId', 'type', 'occurredAt'],
};
