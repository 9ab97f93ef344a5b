import type { PopulationStore, Profile, ProfileStore } from '../adapters/ports/customers.ts';
import type { SegmentDefinition } from '../core/segments/definition.ts';
import { addBatchToStats, loadProfiles } from '../core/segments/columns.ts';
import { emptyStats, finalizeStats, statsFields, type PartialStats, type PopulationStats } from '../core/segments/population.ts';
import { refreshCustomers, type RefreshOptions, type RefreshSummary } from './refresh-customers.ts';

export interface ResegmentSummary extends RefreshSummary {
  readonly sizes: Readonly<Record<string, number>>;
}

/**
 * Partial population statistics of the profiles in one scan segment (or the whole table): the
 * first pass of re-segmentation, mergeable across parallel workers.
 */
async function collectStats(
  store: PopulationStore,
  definitions: readonly SegmentDefinition[],
  now: Date,
  options: Pick<RefreshOptions, 'scoreModel'> & { part?: { segment: number; totalSegments: number } } = {},
): Promise<{ partial: PartialStats; customerIds: string[] }> {
  const partial = emptyStats(statsFields(definitions));
  const customerIds: string[] = [];
  for await (const page of store.scanProfiles(options.part)) {
    for (const profile of page) customerIds.push(profile.customerId);
    addProfilesToStats(partial, page, definitions, now, options.scoreModel);
  }
  return { partial, customerIds };
}

/**
 * Adds a page of profiles to partial statistics, with the model.* facts of `scoreModel` (the latest
 * refit, when there is one) as evaluation sees them. Shared by the one-process re-segmentation and
 * the workflow's statistics workers.
 */
export function addProfilesToStats(
  partial: PartialStats,
  profiles: readonly Pick<Profile, 'customerId' | 'orders' | 'events'>[],
  definitions: readonly SegmentDefinition[],
  now: Date,
  scoreModel?: RefreshOptions['scoreModel'],
): void {
  const inputs = profiles.map(({ customerId, orders, events }) => ({ customerId, orders, events, model: orders === undefined ? undefined : scoreModel?.(orders, now) }));
  addBatchToStats(partial, loadProfiles(inputs, definitions), now);
}

/**
 * Re-evaluates every profile at `now` in one process: population statistics first (stored for
 * ingest to score new customers against), then compute → assign → diff for everyone, then a size
 * snapshot of the day. The scheduled workflow does the same steps in parallel scan segments.
 */
export async function resegmentEveryone(
  store: ProfileStore & PopulationStore,
  definitions: readonly SegmentDefinition[],
  now: Date,
  options: Pick<RefreshOptions, 'scoreModel'> = {},
): Promise<ResegmentSummary & { population: PopulationStats }> {
  const { partial, customerIds } = await collectStats(store, definitions, now, options);
  const population = finalizeStats(partial);
  await store.putPopulation(population, now);
  const summary = await refreshCustomers(store, customerIds, definitions, now, { ...options, population });
  const sizes = await snapshotSizes(store, definitions, now);
  return { ...summary, sizes, population };
}

/** Counts each segment through the segment index and keeps the day's snapshot. */
export async function snapshotSizes(store: ProfileStore & PopulationStore, definitions: readonly SegmentDefinition[], now: Date): Promise<Record<string, number>> {
  const sizes: Record<string, number> = {};
  for (const d of definitions) sizes[d.name] = await store.countSegmentMembers(d.name);
  await store.putSegmentSnapshot(now.toISOString().slice(0, 10), sizes);
  return sizes;
}
