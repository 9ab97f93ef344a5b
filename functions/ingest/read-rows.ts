import { createGunzip } from 'node:zlib';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { parse } from 'csv-parse';

export interface SourceRow {
  /** 1-based line number of the row in the file (header is line 1 for CSV). */
  readonly line: number;
  readonly values: Readonly<Record<string, string | undefined>>;
}

export interface RowSource {
  /** The file's column names, known once the first row is read. */
  headers(): readonly string[];
  rows: AsyncIterable<SourceRow>;
}

/** Streams rows from CSV (any of , ; tab |, quoted, BOM, CRLF) or JSONL, gzip or not, in bounded memory. */
export function readRows(body: Readable, format: 'csv' | 'jsonl', gzip: boolean): RowSource {
  const input = gzip ? body.pipe(createGunzip()) : body;
  let headers: readonly string[] = [];
  if (format === 'jsonl') {
    return {
      headers: () => headers,
      rows: (async function* () {
        let line = 0;
        const seen = new Set<string>();
        for await (const text of createInterface({ input, crlfDelay: Infinity })) {
          line++;
          if (text.trim() === '') continue;
          let values: Record<string, string | undefined>;
          try {
            values = flatten(JSON.parse(text) as unknown);
          } catch {
            values = { __invalid: text };
          }
          for (const key of Object.keys(values)) seen.add(key);
          headers = [...seen];
          yield { line, values };
        }
      })(),
    };
  }
  const parser = input.pipe(
    parse({
      bom: true,
      columns: (names: unknown) => {
        const trimmed = (names as string[]).map((n) => n.trim());
        headers = trimmed;
        return trimmed;
      },
      delimiter: [',', ';', '\t', '|'],
      relax_column_count: true,
      skip_empty_lines: true,
      info: true,
    }),
  );
  return {
    headers: () => headers,
    rows: (async function* () {
      for await (const { record, info } of parser as AsyncIterable<{ record: Record<string, string>; info: { lines: number } }>) {
        yield { line: info.lines, values: record };
      }
    })(),
  };
}

function flatten(value: unknown): Record<string, string | undefined> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return { __invalid: JSON.stringify(value) };
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [k, v === null || v === undefined ? undefined : typeof v === 'object' ? JSON.stringify(v) : String(v)]),
  );
}
