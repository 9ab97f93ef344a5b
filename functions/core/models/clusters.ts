import { kmeans } from 'ml-kmeans';
import * as z from 'zod';
import { InputError } from '../errors.ts';
import { FEATURES, fitStandardizer, squaredDistance, standardize, type CustomerFeatures, type FeatureName } from './features.ts';

/** A fitted clustering: enough to assign any customer's features to a cluster later (serialisable). */
export const clusterModelSchema = z.object({
  features: z.array(z.enum(FEATURES)),
  means: z.array(z.number()),
  deviations: z.array(z.number()),
  /** Centroids in the standardized space, cluster-1 first (clusters are numbered by size, largest first). */
  centroids: z.array(z.array(z.number())),
  seed: z.number().int(),
});
export type ClusterModel = z.infer<typeof clusterModelSchema>;

export interface ClusterSummary {
  /** Usable as a segment name. */
  readonly name: string;
  readonly size: number;
  readonly share: number;
  /** Centroid z-scores per feature. */
  readonly centroid: Readonly<Record<FeatureName, number>>;
  /** Features whose centroid is furthest from the average customer, most distinguishing first (|z| ≥ 0.5, at most 3). */
  readonly distinguishing: readonly { readonly feature: FeatureName; readonly z: number; readonly reads: string }[];
  readonly description: string;
}

export interface Clustering {
  readonly model: ClusterModel;
  readonly k: number;
  /** Mean silhouette of each k tried (on a fixed sample) when k was chosen by the rule. */
  readonly selection: readonly { readonly k: number; readonly silhouette: number }[];
  readonly clusters: readonly ClusterSummary[];
  readonly assignments: readonly { readonly customerId: string; readonly cluster: string }[];
}

export interface ClusterOptions {
  /** Number of clusters; default: the k in 3..8 with the best mean silhouette. */
  readonly k?: number;
  readonly seed?: number;
  /** Customers the silhouette is measured on (every n-th, so the choice is deterministic). */
  readonly silhouetteSample?: number;
}

const READS: Record<FeatureName, readonly [low: string, high: string]> = {
  logRecencyDays: ['bought recently', 'last bought long ago'],
  logFrequency: ['few orders', 'many orders'],
  logMonetary: ['low total spend', 'high total spend'],
  logAverageOrderValue: ['small orders', 'large orders'],
  discountShare: ['rarely on discount', 'mostly on discount'],
  logMedianGapDays: ['short gaps between purchases', 'long gaps between purchases'],
};

const clusterName = (index: number): string => `cluster-${index + 1}`;

/**
 * The k tried without --k. Silhouette nearly always prefers 2, which on order data is the split
 * into one-time and repeat buyers that the lifecycle segments already make; micro-segments start at 3.
 */
const MIN_K = 3;
const MAX_K = 8;

/**
 * Micro-segments: k-means (ml-kmeans, k-means++ seeded, so a given seed always gives the same
 * clusters) over standardized behavioural features. Without --k, k is the one in 3..8 with the
 * highest mean silhouette (Rousseeuw 1987), which rewards tight, well-separated clusters.
 */
export function fitClusters(customers: readonly CustomerFeatures[], options: ClusterOptions = {}): Clustering {
  const seed = options.seed ?? 42;
  if (customers.length < 4) throw new InputError(`clustering needs at least 4 customers, got ${customers.length}`);
  const standardizer = fitStandardizer(customers.map((c) => c.values));
  const points = customers.map((c) => standardize(standardizer, c.values));
  const runs = new Map<number, ReturnType<typeof kmeans>>();
  const run = (k: number) => {
    let result = runs.get(k);
    if (result === undefined) runs.set(k, (result = kmeans(points, k, { seed, initialization: 'kmeans++', maxIterations: 300 })));
    return result;
  };
  let k = options.k;
  const selection: { k: number; silhouette: number }[] = [];
  if (k === undefined) {
    const sampleSize = options.silhouetteSample ?? 2000;
    const step = Math.max(1, Math.ceil(points.length / sampleSize));
    const sample = points.map((_, i) => i).filter((i) => i % step === 0);
    for (let candidate = MIN_K; candidate <= Math.min(MAX_K, points.length - 1); candidate++) {
      selection.push({ k: candidate, silhouette: meanSilhouette(points, run(candidate).clusters, candidate, sample) });
    }
    k = selection.reduce((best, s) => (s.silhouette > best.silhouette ? s : best)).k;
  }
  if (!Number.isInteger(k) || k < 1 || k > points.length) throw new InputError(`k must be an integer from 1 to ${points.length}, got ${k}`);
  const result = run(k);
  // Number clusters by size, largest first, so names do not depend on k-means' internal order.
  const sizes = new Array<number>(k).fill(0);
  for (const c of result.clusters) sizes[c] = (sizes[c] ?? 0) + 1;
  const order = sizes.map((size, i) => ({ size, i })).sort((p, q) => q.size - p.size || p.i - q.i).map((s) => s.i);
  const rank = new Map(order.map((original, r) => [original, r]));
  const centroids = order.map((i) => result.centroids[i] as number[]);
  const model: ClusterModel = { features: [...FEATURES], means: [...standardizer.means], deviations: [...standardizer.deviations], centroids, seed };
  return {
    model,
    k,
    selection,
    clusters: centroids.map((centroid, r) => describeCluster(r, centroid, sizes[order[r] as number] ?? 0, points.length)),
    assignments: customers.map((c, i) => ({ customerId: c.customerId, cluster: clusterName(rank.get(result.clusters[i] as number) ?? 0) })),
  };
}

/** The cluster (segment name) of a customer's feature values: the nearest centroid in the standardized space. */
export function assignCluster(model: ClusterModel, values: readonly number[]): string {
  const point = standardize(model, values);
  let best = 0;
  let bestDistance = Number.POSITIVE_INFINITY;
  model.centroids.forEach((centroid, i) => {
    const d = squaredDistance(point, centroid);
    if (d < bestDistance) {
      bestDistance = d;
      best = i;
    }
  });
  return clusterName(best);
}

function describeCluster(index: number, centroid: readonly number[], size: number, total: number): ClusterSummary {
  const zOf = Object.fromEntries(FEATURES.map((f, j) => [f, centroid[j] ?? 0])) as Record<FeatureName, number>;
  const distinguishing = FEATURES.map((feature) => ({ feature, z: zOf[feature] }))
    .filter((d) => Math.abs(d.z) >= 0.5)
    .sort((p, q) => Math.abs(q.z) - Math.abs(p.z))
    .slice(0, 3)
    .map((d) => ({ ...d, reads: READS[d.feature][d.z > 0 ? 1 : 0] }));
  const description = distinguishing.length === 0 ? 'close to the average customer' : distinguishing.map((d) => `${d.reads} (${d.z > 0 ? '+' : ''}${d.z.toFixed(1)}σ)`).join(', ');
  return { name: clusterName(index), size, share: size / total, centroid: zOf, distinguishing, description };
}

/** Mean silhouette of the sampled points among themselves (as scikit-learn's sample_size does): quadratic in the sample only. */
function meanSilhouette(points: readonly number[][], labels: readonly number[], k: number, sample: readonly number[]): number {
  let total = 0;
  for (const i of sample) {
    const sums = new Array<number>(k).fill(0);
    const counts = new Array<number>(k).fill(0);
    const p = points[i] as number[];
    for (const j of sample) {
      if (j === i) continue;
      const label = labels[j] as number;
      sums[label] = (sums[label] ?? 0) + Math.sqrt(squaredDistance(p, points[j] as number[]));
      counts[label] = (counts[label] ?? 0) + 1;
    }
    const own = labels[i] as number;
    if ((counts[own] ?? 0) === 0) continue; // a singleton's silhouette is 0 by convention
    const a = (sums[own] ?? 0) / (counts[own] ?? 1);
    let b = Number.POSITIVE_INFINITY;
    for (let c = 0; c < k; c++) if (c !== own && (counts[c] ?? 0) > 0) b = Math.min(b, (sums[c] ?? 0) / (counts[c] ?? 1));
    total += b === Number.POSITIVE_INFINITY ? 0 : (b - a) / Math.max(a, b);
  }
  return sample.length === 0 ? 0 : total / sample.length;
}
