import type { FileStore } from '../adapters/ports/customers.ts';
import { RetryableError } from '../core/errors.ts';

/**
 * The evaluation time of a file is that of its first attempt: a retry (minutes or days later)
 * validates, writes and evaluates as of the same instant, so it ends where one clean run would.
 */
export async function pinnedTime(store: FileStore, key: string, etag: string, now: Date): Promise<Date> {
  const stored = await storedStartTime(store, key, etag);
  if (stored !== undefined) return stored;
  // A conditional put: of two attempts racing, the first to write keeps its time.
  await store.putChunkState(key, etag, 'started', 0, { at: now.toISOString() });
  const at = await storedStartTime(store, key, etag);
  if (at === undefined) throw new RetryableError(`${key}: the start time of its ingest was not kept`);
  return at;
}

/** The evaluation time an earlier attempt of this upload pinned, if one did. */
export async function storedStartTime(store: FileStore, key: string, etag: string): Promise<Date | undefined> {
  const at = (await store.listChunkStates(key, etag, 'started'))[0]?.at;
  if (at === undefined) return undefined;
  if (typeof at !== 'string' || Number.isNaN(Date.parse(at))) throw new Error(`${key}: the stored start time of its ingest is unreadable`);
  return new Date(at);
}
