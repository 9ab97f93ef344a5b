import type { Logger } from '@aws-lambda-powertools/logger';
import type { Mapping } from '../core/mapping.ts';
import type { RecordKind } from '../core/fields.ts';
import type { SegmentDefinition } from '../core/segments/definition.ts';
import type { CustomerStore } from '../adapters/ports/customers.ts';
import type { ObjectStore } from '../adapters/ports/objects.ts';
import type { ModelScorer } from '../segmentation/model-scorer.ts';
import type { RefreshSummary } from '../segmentation/refresh-customers.ts';
import type { IdentityMerge } from './resolve-identities.ts';
import { isChunkable } from '../core/chunks.ts';
import { startChunkedIngest, type ChunkingDeps } from './chunked-ingest.ts';
import { admitFile } from './file-acceptance.ts';
import { ingestInOneRun } from './one-run-ingest.ts';
import { pinnedTime } from './pinned-time.ts';

export interface IngestReport {
  readonly file: string;
  /** The ETag of the upload this reports on (from its S3 event), so a waiting CLI knows its own upload's report. */
  readonly etag?: string;
  readonly kind: RecordKind;
  readonly mapping: Mapping;
  /** applied, or rejected whole when the share of bad rows exceeded the limit. */
  readonly status: 'applied' | 'rejected';
  readonly accepted: number;
  readonly rejected: number;
  readonly rejectedByReason: Readonly<Record<string, number>>;
  readonly maxRejectedShare: number;
  readonly quarantine: string | undefined;
  readonly customers: number;
  /** Customers merged into another that shares their e-mail. */
  readonly merges?: readonly IdentityMerge[];
  readonly segments: RefreshSummary | undefined;
  /** How many byte-range chunks the file was ingested in, when more than one. */
  readonly chunks?: number;
}

export type IngestOutcome =
  | { readonly status: 'applied'; readonly report: IngestReport }
  | { readonly status: 'already-applied'; readonly file: string }
  | { readonly status: 'chunked'; readonly file: string; readonly chunks: number }
  | { readonly status: 'ignored'; readonly file: string; readonly reason: string }
  | { readonly status: 'rejected'; readonly file: string; readonly reason: string; readonly report?: IngestReport };

export interface IngestDeps {
  readonly objects: ObjectStore;
  readonly store: CustomerStore;
  readonly logger: Logger;
  readonly definitions: readonly SegmentDefinition[];
  /** model.* facts from the latest fitted model; absent before the first fit. */
  readonly scoreModel?: ModelScorer | undefined;
  readonly now: Date;
  /**
   * The wall clock when this run applies changes, for the times consent changed; `now` is the
   * evaluation time, which a stack evaluating as of a fixed date holds still. Defaults to `now`.
   */
  readonly recordedAt?: Date;
  /** Above this share of bad rows the whole file is rejected and nothing of it applied. */
  readonly maxRejectedShare: number;
  /** Splitting large files into byte-range chunks run in parallel; without it every file is one run. */
  readonly chunking?: ChunkingDeps;
}

/**
 * Ingests one uploaded object: admitted (or refused whole) by file-acceptance.ts, then in one run
 * (one-run-ingest.ts), or in byte-range chunks run in parallel when it is large (chunked-ingest.ts).
 */
export async function ingestObject(given: IngestDeps, key: string, etag: string): Promise<IngestOutcome> {
  const admission = await admitFile(given, key, etag);
  if ('outcome' in admission) return admission.outcome;
  const { object } = admission.file;
  if (given.chunking !== undefined) {
    const size = await given.chunking.objects.size(key);
    if (isChunkable(object, size, given.chunking.chunkBytes)) {
      return startChunkedIngest({ ...given, now: await pinnedTime(given.store, key, etag, given.now) }, given.chunking, object, etag, size);
    }
  }
  return ingestInOneRun(given, admission.file, etag);
}
