import type * as z from 'zod';
import type { FileStore } from '../adapters/ports/customers.ts';

/**
 * What an ingest attempt decided for each of its write batches, recorded before the batch's writes
 * (first record wins) beside the file's record. A retry redoes the writes, which are idempotent,
 * but the decision it would make now sees the earlier attempt's writes; it takes the recorded one
 * instead, so the report says what one clean run says.
 */
export interface BatchJournal<T extends object> {
  recorded(batch: number): T | undefined;
  /** The value to go on with: the one recorded by an earlier attempt, or `value`, now recorded. */
  record(batch: number, value: T): Promise<T>;
}

/** One Query reads what earlier attempts recorded under `phase`; each new batch is one conditional put. */
export async function openJournal<T extends object>(store: FileStore, file: { readonly key: string; readonly etag: string }, phase: string, schema: z.ZodType<T>): Promise<BatchJournal<T>> {
  const recorded = new Map<number, T>();
  for (const state of await store.listChunkStates(file.key, file.etag, phase)) recorded.set(Number(state.chunk), schema.parse(state));
  return {
    recorded: (batch) => recorded.get(batch),
    async record(batch, value) {
      const earlier = recorded.get(batch);
      if (earlier !== undefined) return earlier;
      await store.putChunkState(file.key, file.etag, phase, batch, Object.fromEntries(Object.entries(value)));
      recorded.set(batch, value);
      return value;
    },
  };
}
