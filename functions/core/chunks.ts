import * as z from 'zod';
import { PREFIXES } from './object-key.ts';

/**
 * Large files are ingested in byte ranges. A chunk owns every line whose first byte lies in
 * [start, end): its reader skips to the first line start at or after `start` and reads past `end`
 * to finish its last line, so the chunks together read each line exactly once.
 */
export interface ChunkRange {
  readonly index: number;
  readonly start: number;
  readonly end: number;
}

/** Splits an object of `size` bytes into ranges of about `chunkBytes`. */
export function planChunks(size: number, chunkBytes: number): ChunkRange[] {
  if (!Number.isInteger(size) || size < 0) throw new RangeError(`size must be a non-negative integer, got ${size}`);
  if (!Number.isInteger(chunkBytes) || chunkBytes < 1) throw new RangeError(`chunkBytes must be a positive integer, got ${chunkBytes}`);
  const count = Math.max(1, Math.ceil(size / chunkBytes));
  return Array.from({ length: count }, (_, index) => ({ index, start: index * chunkBytes, end: Math.min(size, (index + 1) * chunkBytes) }));
}

/**
 * Whether a file may be split. Gzip cannot be read from the middle of its stream, and a customers
 * file merges identities in file order (the first row with an address owns it), so both are
 * ingested as one chunk. CSV whose quoted fields hold line breaks is found while validating and
 * falls back to one chunk too (see ChunkValidation.multiline).
 */
export function isChunkable(object: { readonly kind: string; readonly gzip: boolean }, size: number, chunkBytes: number): boolean {
  return !object.gzip && object.kind !== 'customers' && size > chunkBytes;
}

const CHUNK_PHASES = ['validate', 'apply', 'refresh'] as const;
export type ChunkPhase = (typeof CHUNK_PHASES)[number];

/** The event the ingest function sends itself to process one chunk of a file in one phase. */
export const chunkTaskSchema = z
  .object({
    type: z.literal('strata.ingest-chunk'),
    key: z.string().min(1),
    etag: z.string().min(1),
    size: z.number().int().nonnegative(),
    chunkBytes: z.number().int().positive(),
    phase: z.enum(CHUNK_PHASES),
    chunk: z.number().int().nonnegative(),
  })
  .strict();
export type ChunkTask = z.infer<typeof chunkTaskSchema>;

/**
 * Absolute line number of a chunk's local line. Every chunk parses with the header as its line 1
 * (CSV); `linesBefore` is the number of physical lines owned by the chunks before it.
 */
export function absoluteLine(localLine: number, chunk: number, linesBefore: number, hasHeader: boolean): number {
  if (chunk === 0) return localLine;
  return linesBefore + localLine - (hasHeader ? 1 : 0);
}

/** Lines owned by the chunks before each chunk, from each chunk's own count. */
export function linesBeforeEach(linesPerChunk: readonly number[]): number[] {
  let total = 0;
  return linesPerChunk.map((lines) => {
    const before = total;
    total += lines;
    return before;
  });
}

/** Scratch objects of one chunked ingest, under work/ (expired by the bucket's lifecycle). */
export function workKeys(key: string, etag: string) {
  const base = `${PREFIXES.work}${key.slice(PREFIXES.incoming.length)}/${etag.replace(/[^A-Za-z0-9_-]/g, '')}`;
  const part = (name: string, chunk: number) => `${base}/${name}-${String(chunk).padStart(5, '0')}`;
  return {
    filter: (chunk: number) => part('filter', chunk) + '.bin',
    rejected: (chunk: number) => part('rejected', chunk) + '.csv',
    deferred: (chunk: number) => part('deferred', chunk) + '.jsonl',
    touched: (chunk: number) => part('touched', chunk) + '.txt',
    cross: `${base}/cross.bin`,
    deferredTouched: `${base}/touched-deferred.txt`,
  };
}
