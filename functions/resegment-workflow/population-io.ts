import type { ModelScorer } from '../segmentation/model-scorer.ts';
import { refreshCustomers, type RefreshSummary } from '../segmentation/refresh-customers.ts';
import { addProfilesToStats } from '../segmentation/resegment-everyone.ts';
import type { PopulationStore, ProfileStore } from '../adapters/ports/customers.ts';
import type { EventAggregates, OrderAggregates } from '../core/profile.ts';
import type { SegmentDefinition } from '../core/segments/definition.ts';
import { emptyStats, finalizeStats, mergeStats, statsFields, type PartialStats, type PopulationStats } from '../core/segments/population.ts';

/**
 * The one place the workflow meets the segment engine's population statistics (RFM quintiles,
 * percentile thresholds). Everywhere else the workflow treats them as opaque JSON: scanned per
 * scan segment, stored in S3, merged, passed on by key.
 */
export type { PartialStats, PopulationStats };

/** What a scan reads from a PROFILE item for the statistics. */
export interface ProfileFacts {
  readonly customerId: string;
  readonly orders?: OrderAggregates;
  readonly events?: EventAggregates;
}

/** Attributes of the PROFILE item the statistics need (the Scan's projection). */
export const STATS_PROJECTION = ['customerId', 'orders', 'events'] as const;

export function emptyPartial(definitions: readonly SegmentDefinition[]): PartialStats {
  return emptyStats(statsFields(definitions));
}

/**
 * Adds a page of profiles to the partial statistics. `scoreModel` (the latest refit, when there is
 * one) adds the model.* facts, as evaluation sees them.
 */
export function addProfiles(partial: PartialStats, profiles: readonly ProfileFacts[], definitions: readonly SegmentDefinition[], now: Date, scoreModel?: ModelScorer): PartialStats {
  addProfilesToStats(partial, profiles, definitions, now, scoreModel);
  return partial;
}

/** Associative and commutative: the order partials arrive in does not matter. */
export function mergePartials(a: PartialStats, b: PartialStats): PartialStats {
  return mergeStats(a, b);
}

export function finalizePopulation(partial: PartialStats): PopulationStats {
  return finalizeStats(partial);
}

/** Re-evaluates customers against the population (writes only changes). */
export function refreshWithPopulation(
  store: ProfileStore & PopulationStore,
  customerIds: readonly string[],
  definitions: readonly SegmentDefinition[],
  now: Date,
  population: PopulationStats,
  scoreModel?: ModelScorer,
): Promise<RefreshSummary> {
  return refreshCustomers(store, customerIds, definitions, now, scoreModel === undefined ? { population } : { population, scoreModel });
}
