import { describe, expect, it } from 'vitest';
import { assignCluster, clusterModelSchema, fitClusters } from '../../functions/core/models/clusters.ts';
import { behaviouralFeatures, FEATURES, type CustomerFeatures, type FeatureLine } from '../../functions/core/models/features.ts';
import { findLookalikes } from '../../functions/core/models/lookalike.ts';

const AS_OF = new Date('2024-04-01T00:00:00Z');
const line = (customerId: string, day: string, amount: number, extra: Partial<FeatureLine> = {}): FeatureLine => ({ customerId, orderedAt: `${day}T12:00:00.000Z`, amount, ...extra });
const feature = (f: CustomerFeatures | undefined, name: (typeof FEATURES)[number]) => f?.values[FEATURES.indexOf(name)];

describe('behavioural features', () => {
  const features = behaviouralFeatures(
    [
      line('a', '2024-01-01', 10, { orderId: 'a1', discount: 2 }),
      line('a', '2024-01-01', 5, { orderId: 'a1' }),
      line('a', '2024-01-11', 20, { orderId: 'a2' }),
      line('a', '2024-01-31', 30, { orderId: 'a3' }),
      line('a', '2024-02-10', -30, { orderId: 'a3-return', cancelled: true }),
      line('b', '2024-03-22', 100),
      line('c', '2024-05-01', 100),
    ],
    AS_OF,
  );
  const a = features.find((f) => f.customerId === 'a');
  const b = features.find((f) => f.customerId === 'b');

  it.each([
    ['logRecencyDays', Math.log1p(61)],
    ['logFrequency', Math.log1p(3)],
    ['logMonetary', Math.log1p(35)],
    ['logAverageOrderValue', Math.log1p(35 / 3)],
    ['discountShare', 1 / 3],
    ['logMedianGapDays', Math.log1p(15)],
  ] as const)("customer a's %s", (name, expected) => {
    expect(feature(a, name)).toBeCloseTo(expected, 12);
  });

  it('gives a single-day buyer the days since that day as the gap, and leaves out purchases after the as-of date', () => {
    expect(feature(b, 'logMedianGapDays')).toBeCloseTo(Math.log1p(10), 12);
    expect(features.map((f) => f.customerId).sort()).toEqual(['a', 'b']);
  });
});

/** Three well-separated groups in feature space, 20 customers each. */
function groups(): CustomerFeatures[] {
  const centres = [
    [1, 0.7, 3, 3, 0, 4],
    [5, 0.7, 3, 3, 0.9, 4],
    [1, 3, 7, 4, 0, 1],
  ];
  return centres.flatMap((centre, g) =>
    Array.from({ length: 20 }, (_, i) => ({ customerId: `g${g}-${String(i).padStart(2, '0')}`, values: centre.map((v, j) => v + 0.05 * Math.sin(i * 7 + j)) })),
  );
}

describe('micro-segments (k-means)', () => {
  it('recovers well-separated groups as cluster-1.. with the same assignment on every run', () => {
    const first = fitClusters(groups(), { k: 3 });
    const again = fitClusters(groups(), { k: 3 });
    expect(again.assignments).toEqual(first.assignments);
    const byGroup = new Map<string, Set<string>>();
    for (const a of first.assignments) {
      const g = a.customerId.slice(0, 2);
      byGroup.set(g, (byGroup.get(g) ?? new Set()).add(a.cluster));
    }
    expect([...byGroup.values()].map((s) => s.size)).toEqual([1, 1, 1]);
    expect(new Set([...byGroup.values()].map((s) => [...s][0])).size).toBe(3);
    expect(first.clusters.map((c) => c.name)).toEqual(['cluster-1', 'cluster-2', 'cluster-3']);
  });

  it('chooses k by the best silhouette when not told', () => {
    const result = fitClusters(groups());
    expect(result.k).toBe(3);
    expect(result.selection.map((s) => s.k)).toEqual([3, 4, 5, 6, 7, 8]);
  });

  it('describes each cluster by its most distinguishing features', () => {
    const result = fitClusters(groups(), { k: 3 });
    const discounted = result.clusters.find((c) => c.distinguishing.some((d) => d.feature === 'discountShare' && d.z > 0));
    expect(discounted?.description).toContain('mostly on discount');
    const loyal = result.clusters.find((c) => c.distinguishing.some((d) => d.feature === 'logFrequency' && d.z > 0));
    expect(loyal?.description).toMatch(/many orders|high total spend|short gaps/);
  });

  it('assigns a new customer to the nearest centroid with a serialisable model', () => {
    const result = fitClusters(groups(), { k: 3 });
    const model = clusterModelSchema.parse(JSON.parse(JSON.stringify(result.model)));
    const expected = result.assignments.find((a) => a.customerId === 'g1-00')?.cluster;
    expect(assignCluster(model, [5.02, 0.69, 3.01, 2.98, 0.88, 4.03])).toBe(expected);
  });
});

describe('lookalikes', () => {
  it('ranks non-members of the seed by closeness to its centroid, most similar first', () => {
    const customers = groups();
    const seed = customers.filter((c) => c.customerId.startsWith('g2-')).slice(0, 10).map((c) => c.customerId);
    const result = findLookalikes(customers, seed, { name: 'like-best', top: 10 });
    expect(result).toMatchObject({ segment: 'like-best', seedSize: 10, seedMissing: 0 });
    expect(result.members.map((m) => m.customerId.slice(0, 3))).toEqual(new Array(10).fill('g2-'));
    expect(result.members.some((m) => seed.includes(m.customerId))).toBe(false);
    const scores = result.members.map((m) => m.score);
    expect(scores).toEqual([...scores].sort((p, q) => q - p));
  });

  it('keeps only those above a score threshold when asked', () => {
    const customers = groups();
    const result = findLookalikes(customers, ['g0-00', 'g0-01', 'g0-02', 'nobody'], { name: 'like-g0', minScore: 0.01 });
    expect(result.seedMissing).toBe(1);
    expect(result.members.length).toBeGreaterThan(0);
    expect(result.members.every((m) => m.customerId.startsWith('g0-') && m.score >= 0.01)).toBe(true);
  });

  it('refuses an empty seed or a seed with no purchases', () => {
    expect(() => findLookalikes(groups(), [], { name: 'x', top: 5 })).toThrow(/no customer ids/);
    expect(() => findLookalikes(groups(), ['nobody'], { name: 'x', top: 5 })).toThrow(/none of the seed ids/);
  });
});
