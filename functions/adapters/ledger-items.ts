import type { CustomerEvent, CustomerRecord, Order } from '../core/records.ts';

/**
 * The items a cleaned row becomes in the single table, as the customer store writes them; ingest
 * checks the same items against DynamoDB's limits before the first write of a file.
 */
export const customerPk = (id: string) => `C#${id}`;

export function orderItem(order: Order, source: string): Record<string, unknown> {
  return { pk: customerPk(order.customerId), sk: `O#${order.orderId}#${order.lineId}`, ...order, source };
}

export function eventItem(event: CustomerEvent, source: string): Record<string, unknown> {
  return { pk: customerPk(event.customerId), sk: `E#${event.occurredAt}#${event.eventId}`, ...event, source };
}

/** The CONTACT item of a customer row (its address and external-id links are small fixed-size items). */
export function contactItem({ customerId, ...contact }: CustomerRecord, updatedAt: string): Record<string, unknown> {
  return { pk: customerPk(customerId), sk: 'CONTACT', customerId, contact, updatedAt };
}
