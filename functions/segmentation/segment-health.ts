import type { PopulationStore, ProfileStore } from '../adapters/ports/customers.ts';
import { DEFAULT_HEALTH_LIMITS, segmentHealth, type HealthLimits, type HealthReport } from '../core/segments/health.ts';

/**
 * The health of the segments in force from the stored state: every profile's revenue (one scan),
 * each segment's members (through the segment index) and the size snapshots of past runs. What
 * `strata segments list`, the report and the console show; a caller with members of its own (a
 * preview of a definition not saved) adds or replaces them with `extra`.
 */
export async function collectSegmentHealth(
  store: Pick<ProfileStore, 'listSegmentMembers'> & Pick<PopulationStore, 'scanProfiles' | 'listSegmentSnapshots'>,
  segments: readonly string[],
  options: { readonly extra?: ReadonlyMap<string, readonly string[]>; readonly limits?: HealthLimits } = {},
): Promise<HealthReport> {
  const revenue = new Map<string, number>();
  for await (const page of store.scanProfiles()) for (const p of page) revenue.set(p.customerId, p.orders?.revenue ?? 0);
  const members = new Map<string, readonly string[]>();
  for (const segment of segments) {
    const extra = options.extra?.get(segment);
    if (extra !== undefined) {
      members.set(segment, extra);
      continue;
    }
    const ids: string[] = [];
    for await (const page of store.listSegmentMembers(segment)) ids.push(...page);
    members.set(segment, ids);
  }
  return segmentHealth({ segments, members, revenue, snapshots: await store.listSegmentSnapshots() }, options.limits ?? DEFAULT_HEALTH_LIMITS);
}
