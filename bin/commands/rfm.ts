import { aggregateOrders } from '../../functions/core/profile.ts';
import { epochDay } from '../../functions/core/segments/facts.ts';
import { scoreRfm, type RfmRow } from '../../functions/core/segments/rfm.ts';
import { linesByCustomer, readOrderFile } from './order-file.ts';

/** `strata rfm`: RFM scores of every customer in an orders file, over the orders on or before asOf. */
export async function rfmOfFile(file: string, options: { mappingFile?: string; asOf: Date }): Promise<RfmRow[]> {
  const { lines } = await readOrderFile(file, { mappingFile: options.mappingFile, now: options.asOf });
  const lastDay = epochDay(options.asOf.toISOString());
  const customers = [...linesByCustomer(lines)].flatMap(([customerId, orderLines]) => {
    const orders = aggregateOrders(orderLines.filter((l) => epochDay(l.orderedAt) <= lastDay));
    return orders === undefined ? [] : [{ customerId, orders }];
  });
  return scoreRfm(customers, options.asOf).sort((a, b) => compareIds(a.customerId, b.customerId));
}

/** Numeric ids in numeric order ("2" before "10"), others as text. */
function compareIds(a: string, b: string): number {
  const na = Number(a);
  const nb = Number(b);
  return Number.isFinite(na) && Number.isFinite(nb) ? na - nb : a.localeCompare(b);
}
