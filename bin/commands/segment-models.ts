import * as fs from 'node:fs';
import { dynamoDocumentClient } from '../../functions/adapters/aws-clients.ts';
import { dynamoCustomerStore } from '../../functions/adapters/customer-store.ts';
import { InputError } from '../../functions/core/errors.ts';
import { fitClusters, type Clustering } from '../../functions/core/models/clusters.ts';
import { behaviouralFeatures, FEATURES, type CustomerFeatures } from '../../functions/core/models/features.ts';
import { findLookalikes, type Lookalikes } from '../../functions/core/models/lookalike.ts';
import { DAY_MS } from '../../functions/core/models/prepare.ts';
import type { StackNames } from './target.ts';
import { readOrderFile } from './order-file.ts';

export interface FeatureSource {
  readonly orders: string;
  readonly mapping?: string;
  /** Features as of this date; default the day after the last purchase in the file. */
  readonly asOf?: string;
}

/** The file's behavioural features; `now` is the clock ingest judges order dates by (none may lie after it). */
async function features(source: FeatureSource, now: Date): Promise<{ features: CustomerFeatures[]; asOf: string }> {
  const { lines } = await readOrderFile(source.orders, { mappingFile: source.mapping, now });
  if (lines.length === 0) throw new InputError(`no readable order in ${source.orders}`);
  const last = lines.reduce((max, l) => (l.orderedAt > max ? l.orderedAt : max), '');
  const asOf = source.asOf ?? new Date((Math.floor(Date.parse(last) / DAY_MS) + 1) * DAY_MS).toISOString().slice(0, 10);
  return { features: behaviouralFeatures(lines, new Date(asOf)), asOf };
}

export type ClustersResult = Clustering & { readonly asOf: string; readonly features: readonly string[] };

/** `strata clusters`: micro-segments of the customers of an orders file. */
export async function clustersCommand(source: FeatureSource, options: { k?: number; seed?: number }, now: Date): Promise<ClustersResult> {
  const { features: customers, asOf } = await features(source, now);
  const clustering = fitClusters(customers, options);
  return { asOf, features: FEATURES, ...clustering };
}

export function formatClusters(result: ClustersResult): string {
  return [
    `${result.k} clusters of ${result.assignments.length} customers as of ${result.asOf}${result.selection.length > 0 ? ` (k by silhouette: ${result.selection.map((s) => `${s.k}→${s.silhouette.toFixed(3)}`).join(', ')})` : ''}`,
    ...result.clusters.map((c) => `  ${c.name.padEnd(10)} ${String(c.size).padStart(7)} (${(c.share * 100).toFixed(1)}%)  ${c.description}`),
  ].join('\n');
}

export interface LookalikeRequest extends FeatureSource {
  readonly seedFile?: string;
  readonly seedSegment?: string;
  readonly name?: string;
  readonly top?: number;
  readonly minScore?: number;
  /** k of the clustering a cluster-<n> seed segment comes from (as given to `strata clusters`). */
  readonly k?: number;
}

/**
 * `strata lookalike`: the seed is a file of ids (one per line), a cluster-<n> of the same file's
 * clustering, or any other segment's members in the local stack (read through `membersOf`).
 */
export async function lookalikeCommand(request: LookalikeRequest, membersOf: (segment: string) => Promise<string[]>, now: Date): Promise<Lookalikes> {
  if ((request.seedFile === undefined) === (request.seedSegment === undefined)) throw new InputError('give exactly one of --seed-file and --seed-segment');
  const { features: customers } = await features(request, now);
  let seed: string[];
  if (request.seedFile !== undefined) {
    if (!fs.existsSync(request.seedFile)) throw new InputError(`no such file: ${request.seedFile}`);
    seed = fs.readFileSync(request.seedFile, 'utf-8').split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
  } else if (/^cluster-\d+$/.test(request.seedSegment ?? '')) {
    const clustering = fitClusters(customers, request.k === undefined ? {} : { k: request.k });
    seed = clustering.assignments.filter((a) => a.cluster === request.seedSegment).map((a) => a.customerId);
    if (seed.length === 0) throw new InputError(`${request.seedSegment ?? ''} does not exist: the clustering has ${clustering.k} clusters`);
  } else {
    seed = await membersOf(request.seedSegment ?? '');
  }
  const name = request.name ?? `lookalike-${request.seedSegment ?? 'seed'}`;
  return findLookalikes(customers, seed, { name, ...(request.top === undefined ? {} : { top: request.top }), ...(request.minScore === undefined ? {} : { minScore: request.minScore }) });
}

/** Members of a segment in the local stack, through the segment index. */
export async function localSegmentMembers(stack: StackNames, segment: string): Promise<string[]> {
  const ids: string[] = [];
  for await (const page of dynamoCustomerStore(dynamoDocumentClient(), stack.tableName).listSegmentMembers(segment)) ids.push(...page);
  if (ids.length === 0) throw new InputError(`segment ${segment} has no members in the local stack (run npm start or strata ingest first?)`);
  return ids;
}

export function formatLookalikes(result: Lookalikes): string {
  return [
    `${result.segment}: ${result.members.length} customers like the seed of ${result.seedSize}${result.seedMissing > 0 ? ` (${result.seedMissing} seed ids without purchases left out)` : ''}`,
    ...result.members.slice(0, 50).map((m) => `  ${m.customerId.padEnd(12)} ${m.score.toFixed(4)}`),
    ...(result.members.length > 50 ? [`  … ${result.members.length - 50} more (--json for all)`] : []),
  ].join('\n');
}
