import { Readable } from 'node:stream';
import type { RangedObjectStore } from '../adapters/ports/objects.ts';
import type { ChunkRange } from '../core/chunks.ts';
import { InputError } from '../core/errors.ts';
import { MAX_RECORD_BYTES } from './read-rows.ts';

const NEWLINE = 0x0a;

export interface ChunkBody {
  readonly body: Readable;
  /** Physical lines the chunk owned (without a prepended header), known once the body is read. */
  lines(): number;
}

/**
 * The bytes of the lines a chunk owns (those starting in [start, end)), preceded by `header` for
 * chunks after the first. It reads from start - 1 so a line starting exactly at `start` is kept,
 * and stops at the first line break at or after end - 1.
 */
export async function openChunk(objects: RangedObjectStore, key: string, range: ChunkRange, header: Buffer | undefined): Promise<ChunkBody> {
  const fetchStart = range.start === 0 ? 0 : range.start - 1;
  const source = await objects.openRange(key, fetchStart);
  let lines = 0;
  let lastByte = NEWLINE;
  const count = (bytes: Buffer) => {
    for (let i = bytes.indexOf(NEWLINE); i !== -1; i = bytes.indexOf(NEWLINE, i + 1)) lines++;
    if (bytes.length > 0) lastByte = bytes[bytes.length - 1] ?? NEWLINE;
  };
  async function* owned(): AsyncGenerator<Buffer> {
    if (header !== undefined && range.start > 0) yield header;
    let position = fetchStart;
    let skipping = range.start > 0;
    try {
      for await (const chunk of source as AsyncIterable<Buffer>) {
        let from = 0;
        if (skipping) {
          const lineBreak = chunk.indexOf(NEWLINE);
          if (lineBreak === -1) {
            position += chunk.length;
            continue;
          }
          from = lineBreak + 1;
          skipping = false;
          // A line longer than the chunk: its owner is an earlier chunk, and this one owns nothing.
          if (position + from >= range.end) return;
        }
        const stopAt = chunk.indexOf(NEWLINE, Math.max(from, range.end - 1 - position));
        const bytes = stopAt === -1 ? chunk.subarray(from) : chunk.subarray(from, stopAt + 1);
        count(bytes);
        yield bytes;
        if (stopAt !== -1) return;
        position += chunk.length;
      }
    } finally {
      source.destroy();
    }
  }
  return {
    body: Readable.from(owned(), { objectMode: false }),
    // A last line without a line break (end of file) still counts.
    lines: () => lines + (lastByte === NEWLINE ? 0 : 1),
  };
}

/** The first line of the object with its line break: the CSV header every chunk parses with. */
export async function readHeaderLine(objects: RangedObjectStore, key: string, size: number): Promise<Buffer> {
  const stream = await objects.openRange(key, 0, Math.min(size, MAX_RECORD_BYTES));
  const parts: Buffer[] = [];
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      const lineBreak = chunk.indexOf(NEWLINE);
      if (lineBreak !== -1) {
        parts.push(chunk.subarray(0, lineBreak + 1));
        return Buffer.concat(parts);
      }
      parts.push(chunk);
    }
  } finally {
    stream.destroy();
  }
  throw new InputError(`${key}: no line break within the first ${MAX_RECORD_BYTES} bytes, so the header cannot be read`);
}
