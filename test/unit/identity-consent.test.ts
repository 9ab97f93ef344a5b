import { describe, expect, it } from 'vitest';
import { memoryCustomerStore } from '../../functions/adapters/memory-stores.ts';
import { createApplier } from '../../functions/ingest-pipeline/apply-rows.ts';
import type { CustomerRecord } from '../../functions/core/records.ts';

const T1 = new Date('2026-01-01T00:00:00.000Z');
const T2 = new Date('2026-02-01T00:00:00.000Z');

async function apply(store: ReturnType<typeof memoryCustomerStore>, key: string, now: Date, rows: CustomerRecord[]) {
  const applier = createApplier(store, key, now, { etag: `etag-${key}` });
  for (const row of rows) await applier.add(row);
  return applier.finish();
}

describe('an identity merge during ingest keeps the opt-out of the row merged in', () => {
  it.each([
    { name: 'a stored opt-in, a later row of another id with the same address opting out', stored: true, row: false, expected: false },
    { name: 'a stored opt-out, a later row of another id with the same address opting in', stored: false, row: true, expected: true },
    { name: 'a stored opt-out, a later row of another id without consent', stored: false, row: undefined, expected: false },
  ])('$name → $expected', async ({ stored, row, expected }) => {
    const store = memoryCustomerStore();
    await apply(store, 'incoming/customers/one.csv', T1, [{ customerId: 'a', email: 'same@example.com', firstName: 'Ann', consent: stored }]);
    const { merges } = await apply(store, 'incoming/customers/two.csv', T2, [{ customerId: 'b', email: 'same@example.com', lastName: 'Bee', ...(row === undefined ? {} : { consent: row }) }]);
    expect(merges).toEqual([{ aliasId: 'b', canonicalId: 'a', reason: 'same e-mail' }]);
    expect((await store.loadCustomer('a')).profile?.contact).toMatchObject({ firstName: 'Ann', lastName: 'Bee', consent: expected });
  });

  it('lets an opt-out win over an opt-in of the same file for one person under two ids', async () => {
    const store = memoryCustomerStore();
    await apply(store, 'incoming/customers/one.csv', T1, [
      { customerId: 'a', email: 'same@example.com', consent: true },
      { customerId: 'b', email: 'same@example.com', consent: false },
    ]);
    expect((await store.loadCustomer('a')).profile?.contact?.consent).toBe(false);
  });
});
