/**
 * Files larger than this many bytes are ingested in byte-range chunks of this size (the configured
 * INGEST_CHUNK_BYTES, of which this is the default). Apart from chunks.ts, so that the configuration
 * every function parses at cold start does not also build the chunk task's schema.
 */
export const DEFAULT_CHUNK_BYTES = 64 * 1024 * 1024;
