/**
 * bench:segments's data and the work of one re-segmentation worker, shared by the benchmark's main
 * thread and its worker threads (bench/segments-worker.ts).
 */
import type { OrderAggregates } from '../functions/core/profile.ts';
import { chunk } from '../functions/core/collections.ts';
import { REFRESH_BATCH } from '../functions/segmentation/refresh-customers.ts';
import { addBatchToStats, loadProfiles, type ProfileColumns } from '../functions/core/segments/columns.ts';
import type { SegmentDefinition } from '../functions/core/segments/definition.ts';
import { evaluateBatch, type Members } from '../functions/core/segments/evaluate-columns.ts';
import { emptyStats, statsFields, type PartialStats, type PopulationStats } from '../functions/core/segments/population.ts';

export interface BaseProfile {
  readonly customerId: string;
  readonly orders: OrderAggregates;
}

const DAY = 86_400_000;
const shift = (iso: string, days: number) => new Date(Date.parse(iso) - days * DAY).toISOString();

/**
 * Profiles [from, to) of the replicated population: profile i is base customer i mod n of replica
 * floor(i / n), whose history moves back by 0–6 days, so the population is not 43 copies.
 */
export function replicate(base: readonly BaseProfile[], from: number, to: number): BaseProfile[] {
  return Array.from({ length: to - from }, (_, k) => {
    const i = from + k;
    const b = base[i % base.length] as BaseProfile;
    const replica = Math.floor(i / base.length);
    const days = replica % 7;
    return { customerId: `${b.customerId}-${replica}`, orders: { ...b.orders, firstOrderAt: shift(b.orders.firstOrderAt, days), lastOrderAt: shift(b.orders.lastOrderAt, days) } };
  });
}

/** The profiles in the product's batches, loaded into columns (as a worker holds a page's). */
export function loadBatches(profiles: readonly BaseProfile[], definitions: readonly SegmentDefinition[]): ProfileColumns[] {
  return chunk(profiles, REFRESH_BATCH).map((batch) => loadProfiles(batch, definitions));
}

/** A stats worker's part: its batches' partial statistics. */
export function statsOf(batches: readonly ProfileColumns[], definitions: readonly SegmentDefinition[], now: Date): PartialStats {
  const partial = emptyStats(statsFields(definitions));
  for (const batch of batches) addBatchToStats(partial, batch, now);
  return partial;
}

/** The number of members in a bitset: a segment's size in one batch. */
export function memberCount(members: Members): number {
  let count = 0;
  for (let w = 0; w < members.length; w++) {
    let v = members[w] as number;
    v -= (v >>> 1) & 0x55555555;
    v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
    count += (Math.imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24) as number;
  }
  return count;
}

/** An evaluate worker's part: every batch decided against everyone's statistics. */
export function decide(batches: readonly ProfileColumns[], definitions: readonly SegmentDefinition[], now: Date, population: PopulationStats): Members[][] {
  return batches.map((batch) => evaluateBatch(definitions, batch, now, population));
}
