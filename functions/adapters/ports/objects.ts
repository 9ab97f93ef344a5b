import type { Readable } from 'node:stream';

/** An object written line by line, so its size never has to fit in memory. */
export interface ObjectWriter {
  write(text: string): Promise<void>;
  close(): Promise<void>;
}

export interface ObjectStore {
  openStream(key: string): Promise<Readable>;
  /** The object's text, or undefined when there is no such object. */
  readText(key: string): Promise<string | undefined>;
  /**
   * The text with a version that changes on every upload, even of the same bytes (ETag and
   * upload time), so ingest can tell a mapping uploaded again from one left over.
   */
  readVersioned?(key: string): Promise<{ readonly text: string; readonly version: string } | undefined>;
  put(key: string, body: string, contentType: string): Promise<void>;
  createWriter(key: string, contentType: string): ObjectWriter;
  /** Keys under a prefix, in key order. */
  list(prefix: string): Promise<string[]>;
}

/** Removing an object (resuming a paused campaign removes its marker). */
export interface ObjectRemover {
  /** Removes the object; nothing happens when there is none. */
  delete(key: string): Promise<void>;
}

/** What processing a file in byte-range chunks needs besides whole-object reads and writes. */
export interface RangedObjectStore extends ObjectStore {
  /** The object's size in bytes. */
  size(key: string): Promise<number>;
  /** Bytes start..end-1 of the object (to its end without `end`). */
  openRange(key: string, start: number, end?: number): Promise<Readable>;
  readBytes(key: string): Promise<Uint8Array | undefined>;
  putBytes(key: string, body: Uint8Array): Promise<void>;
}
