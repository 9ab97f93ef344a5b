import { InputError } from '../errors.ts';
import { fitStandardizer, squaredDistance, standardize, type CustomerFeatures } from './features.ts';

export interface LookalikeOptions {
  /** Name of the resulting segment. */
  readonly name: string;
  /** Keep the best N non-members... */
  readonly top?: number;
  /** ...and/or only those scoring at least this (0..1). */
  readonly minScore?: number;
}

export interface Lookalikes {
  readonly segment: string;
  readonly seedSize: number;
  /** Seed ids with no purchase in the data (they cannot be placed). */
  readonly seedMissing: number;
  /** Mean squared standardized distance of the seed to its centroid: the seed's own spread. */
  readonly seedSpread: number;
  readonly members: readonly { readonly customerId: string; readonly score: number; readonly distance: number }[];
}

/**
 * Ranks customers outside a seed by how much they resemble it: the standardized Euclidean
 * distance d to the seed's centroid, scored as exp(−d² / 2s²) with s² the seed's mean squared
 * distance to its own centroid, so 1 is the seed's centre and about 0.6 a typical seed member.
 * A centroid rather than a classifier because a seed is all positives: the non-members are not
 * negatives (they are exactly the audience sought), and a centroid with its spread is explainable
 * in one sentence and needs no training. Ties are broken by customer id, so output is deterministic.
 */
export function findLookalikes(customers: readonly CustomerFeatures[], seedIds: Iterable<string>, options: LookalikeOptions): Lookalikes {
  const seed = new Set(seedIds);
  if (seed.size === 0) throw new InputError('the seed has no customer ids');
  if (options.top === undefined && options.minScore === undefined) throw new InputError('give --top N, --min-score S, or both');
  const standardizer = fitStandardizer(customers.map((c) => c.values));
  const points = customers.map((c) => ({ customerId: c.customerId, z: standardize(standardizer, c.values) }));
  const seedPoints = points.filter((p) => seed.has(p.customerId));
  if (seedPoints.length === 0) throw new InputError('none of the seed ids has a purchase in the data');
  const d = seedPoints[0]?.z.length ?? 0;
  const centroid = new Array<number>(d).fill(0);
  for (const p of seedPoints) for (let j = 0; j < d; j++) centroid[j] = (centroid[j] ?? 0) + (p.z[j] ?? 0) / seedPoints.length;
  const spread = seedPoints.reduce((s, p) => s + squaredDistance(p.z, centroid), 0) / seedPoints.length;
  // A seed of identical customers has no spread; a small floor keeps the score defined.
  const scale = 2 * Math.max(spread, 1e-6);
  const ranked = points
    .filter((p) => !seed.has(p.customerId))
    .map((p) => {
      const distance2 = squaredDistance(p.z, centroid);
      return { customerId: p.customerId, score: Math.exp(-distance2 / scale), distance: Math.sqrt(distance2) };
    })
    .filter((m) => options.minScore === undefined || m.score >= options.minScore)
    .sort((p, q) => q.score - p.score || (p.customerId < q.customerId ? -1 : p.customerId > q.customerId ? 1 : 0));
  return {
    segment: options.name,
    seedSize: seedPoints.length,
    seedMissing: seed.size - seedPoints.length,
    seedSpread: spread,
    members: options.top === undefined ? ranked : ranked.slice(0, options.top),
  };
}
