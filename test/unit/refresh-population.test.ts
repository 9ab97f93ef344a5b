import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { OrderLine } from '../../functions/core/records.ts';
import { aggregateOrders } from '../../functions/core/profile.ts';
import { BUILTIN_SEGMENTS } from '../../functions/core/segments/builtin.ts';
import { orderDefinitions } from '../../functions/core/segments/catalog.ts';
import { loadProfiles } from '../../functions/core/segments/columns.ts';
import { evaluateBatch, isMember } from '../../functions/core/segments/evaluate-columns.ts';
import { buildFacts, type Ledgers } from '../../functions/core/segments/facts.ts';
import { EMPTY_POPULATION, populationOf } from '../../functions/core/segments/population.ts';
import { refreshCustomers } from '../../functions/segmentation/refresh-customers.ts';
import { memoryCustomerStore } from '../../functions/adapters/memory-stores.ts';
import { PROJECT_ROOT } from '../../lib/project-root.ts';

/**
 * refreshCustomers (ingest and the re-segmentation workers) stores the memberships the column
 * evaluator decides with the statistics it is given, not its batch's own (a worker's batch is not
 * the population), and explains each; on the CDNOW sample.
 */
const NOW = new Date('1998-07-01T00:00:00Z');

function cdnowSample(): Map<string, OrderLine[]> {
  const lines = fs.readFileSync(path.join(PROJECT_ROOT, '..', 'shared', 'data', 'cdnow', 'cdnow_sample.csv'), 'utf-8').trim().split('\n').slice(1);
  const byCustomer = new Map<string, OrderLine[]>();
  lines.forEach((line, i) => {
    const [, customerId = '', date = '', , amount = ''] = line.split(',');
    const order: OrderLine = { customerId, orderId: `o${i}`, lineId: '1', orderedAt: `${date}T00:00:00.000Z`, amount: Number(amount) };
    byCustomer.set(customerId, [...(byCustomer.get(customerId) ?? []), order]);
  });
  return byCustomer;
}

describe('refreshCustomers with stored population statistics', () => {
  const ordered = orderDefinitions(BUILTIN_SEGMENTS);
  const customers = cdnowSample();
  const inputOf = (id: string) => ({ customerId: id, orders: aggregateOrders(customers.get(id) ?? []) });
  const factsOf = (id: string, population = EMPTY_POPULATION) => buildFacts(inputOf(id), NOW, population);
  // Statistics of a different population (the first 300 customers), so the batch's own would differ.
  const ids = [...customers.keys()];
  const population = populationOf(ids.slice(0, 300).map((id) => factsOf(id)), ordered);
  /** Every customer's decisions by the column evaluator against these statistics, in catalogue order. */
  const decide = (stats: typeof population, ledgersOf?: (i: number) => Ledgers) => {
    const members = evaluateBatch(ordered, loadProfiles(ids.map(inputOf), ordered), NOW, stats, ledgersOf);
    return ids.map((_, i) => members.map((m) => isMember(m, i)));
  };

  it('stores the memberships the column evaluator decides, with the given statistics, and explains each', async () => {
    expect(ids.length).toBe(2_357);
    const store = memoryCustomerStore();
    await store.putOrders([...customers.values()].flat(), 'test');
    const summary = await refreshCustomers(store, ids, ordered, NOW, { population });
    const decisions = decide(population, (i) => ({ events: [], orderLines: customers.get(ids[i] ?? '') ?? [] }));
    let memberships = 0;
    for (const [at, id] of ids.entries()) {
      const decided = decisions[at] ?? [];
      const expected = ordered.filter((_, i) => decided[i]).map((d) => d.name).sort();
      const stored = store.memberships(id);
      expect(stored.map((m) => m.segment).sort(), `customer ${id}`).toEqual(expected);
      for (const m of stored) expect(m.why.length, `why of ${id} in ${m.segment}`).toBeGreaterThan(0);
      memberships += expected.length;
    }
    expect(Object.values(summary.entered).reduce((a, b) => a + b, 0)).toBe(memberships);
    // The stored statistics matter: RFM champions against the batch's own statistics would differ.
    const own = populationOf(ids.map((id) => factsOf(id)), ordered);
    const championIndex = ordered.findIndex((d) => d.name === 'rfm-champions');
    const champions = (p: typeof population) => decide(p).filter((decided) => decided[championIndex]).length;
    expect(champions(own)).not.toBe(champions(population));
    expect(summary.entered['rfm-champions']).toBe(champions(population));
  }, 120_000);

  it('writes nothing when run again at the same time', async () => {
    const store = memoryCustomerStore();
    await store.putOrders([...customers.values()].flat(), 'test');
    await refreshCustomers(store, ids, ordered, NOW, { population });
    const again = await refreshCustomers(store, ids, ordered, NOW, { population });
    expect(again.writes).toBe(0);
    expect(again.entered).toEqual({});
    expect(again.exited).toEqual({});
  }, 120_000);
});
