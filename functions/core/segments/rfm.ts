import type { OrderAggregates } from '../profile.ts';
import { lookupFact } from './fact-path.ts';
import { buildFacts } from './facts.ts';
import { populationOf } from './population.ts';

export interface RfmRow {
  readonly customerId: string;
  readonly recencyDays: number;
  readonly frequency: number;
  readonly monetary: number;
  readonly r: number;
  readonly f: number;
  readonly m: number;
}

/**
 * RFM scores exactly as DESIGN.md defines them, for customers whose aggregates cover the orders on
 * or before `asOf`: the same facts and population statistics that score stored profiles.
 */
export function scoreRfm(customers: readonly { customerId: string; orders: OrderAggregates }[], asOf: Date): RfmRow[] {
  const facts = customers.map((c) => buildFacts({ customerId: c.customerId, orders: c.orders }, asOf, { fields: {} }));
  const population = populationOf(facts, []);
  return customers.map((c) => {
    const rfm = lookupFact(buildFacts({ customerId: c.customerId, orders: c.orders }, asOf, population), 'rfm') as Omit<RfmRow, 'customerId'>;
    return { customerId: c.customerId, recencyDays: rfm.recencyDays, frequency: rfm.frequency, monetary: rfm.monetary, r: rfm.r, f: rfm.f, m: rfm.m };
  });
}
