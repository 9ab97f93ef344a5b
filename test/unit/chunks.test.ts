import { describe, expect, it } from 'vitest';
import { absoluteLine, isChunkable, linesBeforeEach, planChunks, workKeys } from '../../functions/core/chunks.ts';
import { openChunk } from '../../functions/ingest-pipeline/chunk-range.ts';
import { memoryRangedStore } from '../../functions/adapters/memory-stores.ts';

describe('planChunks', () => {
  it.each([
    [0, 10, [[0, 0]]],
    [10, 10, [[0, 10]]],
    [25, 10, [[0, 10], [10, 20], [20, 25]]],
    [30, 10, [[0, 10], [10, 20], [20, 30]]],
  ])('splits %i bytes by %i', (size, chunkBytes, ranges) => {
    expect(planChunks(size, chunkBytes).map((c) => [c.start, c.end])).toEqual(ranges);
  });

  it('refuses nonsense sizes', () => {
    expect(() => planChunks(-1, 10)).toThrow(RangeError);
    expect(() => planChunks(10, 0)).toThrow(RangeError);
  });
});

describe('isChunkable', () => {
  it.each([
    [{ kind: 'orders', gzip: false }, 100, 10, true],
    [{ kind: 'events', gzip: false }, 100, 10, true],
    [{ kind: 'orders', gzip: false }, 10, 10, false],
    [{ kind: 'orders', gzip: true }, 100, 10, false],
    [{ kind: 'customers', gzip: false }, 100, 10, false],
  ])('%o of %i bytes by %i: %s', (object, size, chunkBytes, expected) => {
    expect(isChunkable(object, size, chunkBytes)).toBe(expected);
  });
});

describe('line numbers across chunks', () => {
  it('maps a chunk-local line to the line in the file, the header counted once', () => {
    const before = linesBeforeEach([10, 7, 5]);
    expect(before).toEqual([0, 10, 17]);
    expect(absoluteLine(4, 0, before[0] ?? 0, true)).toBe(4);
    // Local line 2 of chunk 1 is its first own line, after the prepended header.
    expect(absoluteLine(2, 1, before[1] ?? 0, true)).toBe(11);
    expect(absoluteLine(1, 2, before[2] ?? 0, false)).toBe(18);
  });

  it('keeps scratch state under work/, keyed by file and etag', () => {
    expect(workKeys('incoming/orders/a.csv', '"abc-1"').filter(3)).toBe('work/orders/a.csv/abc-1/filter-00003.bin');
  });
});

describe('openChunk', () => {
  const text = ['h1,h2', 'a,1', '', 'bb,22', 'ccc,333', 'dddd,4444', 'e,5'].join('\n') + '\n';
  const read = async (body: NodeJS.ReadableStream) => {
    const parts: Buffer[] = [];
    for await (const part of body as AsyncIterable<Buffer>) parts.push(part);
    return Buffer.concat(parts).toString('utf-8');
  };

  it.each([1, 2, 3, 5, 7, 11, 64])('reads every line exactly once with chunks of %i bytes (stream pieces of 3)', async (chunkBytes) => {
    for (const body of [text, text.slice(0, -1), text.replace(/\n/g, '\r\n')]) {
      const objects = memoryRangedStore({ f: body }, 3);
      let joined = '';
      let lines = 0;
      for (const range of planChunks(body.length, chunkBytes)) {
        const chunk = await openChunk(objects, 'f', range, undefined);
        joined += await read(chunk.body);
        lines += chunk.lines();
      }
      expect(joined).toBe(body);
      expect(lines).toBe(7);
    }
  });

  it('puts the header before the lines of later chunks only', async () => {
    const objects = memoryRangedStore({ f: text });
    const [first, second] = planChunks(text.length, 20);
    expect(await read((await openChunk(objects, 'f', first!, Buffer.from('h1,h2\n'))).body)).toBe('h1,h2\na,1\n\nbb,22\nccc,333\n');
    expect(await read((await openChunk(objects, 'f', second!, Buffer.from('h1,h2\n'))).body)).toBe('h1,h2\ndddd,4444\ne,5\n');
  });
});
