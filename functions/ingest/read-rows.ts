import { createGunzip } from 'node:zlib';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { parse } from 'csv-parse';

export type SourceRow =
  | {
      /** 1-based line number of the row in the file (header is line 1 for CSV). */
      readonly line: number;
      readonly values: Readonly<Record<string, string | undefined>>;
    }
  | { readonly line: number; readonly malformed: string; readonly raw: string };

export interface RowSource {
  /** The file's column names, known once the first row is read. */
  headers(): readonly string[];
  rows: AsyncIterable<SourceRow>;
  /** Whether a CSV record so far spanned lines (a quoted line break), which rules out splitting the file by lines. */
  spansLines(): boolean;
}

/** Streams rows from CSV (any of , ; tab |, quoted, BOM, CRLF) or JSONL, gzip or not, in bounded memory. */
/** Longest record accepted; a longer one is quarantined instead of growing memory without bound. */
export const MAX_RECORD_BYTES = 1024 * 1024;

export function readRows(body: Readable, format: 'csv' | 'jsonl', gzip: boolean, encoding: 'utf-8' | 'latin1' = 'utf-8'): RowSource {
  const input = gzip ? body.pipe(createGunzip()) : body;
  let headers: readonly string[] = [];
  if (format === 'jsonl') {
    return {
      headers: () => headers,
      // JSON escapes line breaks inside strings: a JSONL record is always one line.
      spansLines: () => false,
      rows: (async function* () {
        let line = 0;
        const seen = new Set<string>();
        input.setEncoding(encoding === 'latin1' ? 'latin1' : 'utf8');
        for await (const text of createInterface({ input, crlfDelay: Infinity })) {
          line++;
          if (text.trim() === '') continue;
          if (text.length > MAX_RECORD_BYTES) {
            yield { line, malformed: 'line longer than 1 MB', raw: text.slice(0, 200) };
            continue;
          }
          if (text.includes('\uFFFD')) {
            yield { line, malformed: 'invalid UTF-8 (declare "encoding": "latin1" in the mapping if the file is Latin-1)', raw: text };
            continue;
          }
          let parsed: unknown;
          try {
            parsed = JSON.parse(text);
          } catch {
            yield { line, malformed: 'malformed JSON', raw: text };
            continue;
          }
          if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
            yield { line, malformed: 'not a JSON object', raw: text };
            continue;
          }
          const values = flatten(parsed);
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
      encoding: encoding === 'latin1' ? 'latin1' : 'utf8',
      max_record_size: MAX_RECORD_BYTES,
      columns: (names: unknown) => {
        const trimmed = (names as string[]).map((n) => n.trim());
        headers = trimmed;
        return trimmed;
      },
      delimiter: [',', ';', '\t', '|'],
      relax_column_count: true,
      relax_quotes: true,
      skip_empty_lines: true,
      // A malformed record is skipped by the parser and reported to us, not fatal to the file.
      skip_records_with_error: true,
      // Kept so a malformed row reaches quarantine with its text.
      raw: true,
      // The line number rides on the record; csv-parse's `info` option would clone a context per row.
      // With raw: true, csv-parse hands on_record { record, raw }.
      on_record: (row: { record: Record<string, string>; raw: string }, context: { lines: number }) => ({ ...row, line: context.lines }),
    }),
  );
  const malformed: { line: number; malformed: string; raw: string }[] = [];
  let spansLines = false;
  parser.on('skip', (error: Error & { code?: string; lines?: number; raw?: string }) => {
    // An unclosed quote at the end of a chunk is a record cut at a line break inside quotes.
    if (error.code === 'CSV_QUOTE_NOT_CLOSED') spansLines = true;
    malformed.push({ line: error.lines ?? 0, malformed: `malformed CSV (${error.code ?? error.message})`, raw: error.raw ?? '' });
  });
  return {
    headers: () => headers,
    spansLines: () => spansLines,
    rows: (async function* () {
      for await (const { record, line, raw } of parser as AsyncIterable<{ record: Record<string, string>; line: number; raw: string }>) {
        yield* malformed.splice(0);
        const lineBreak = raw.indexOf('\n');
        if (lineBreak !== -1 && lineBreak < raw.length - 1) spansLines = true;
        if (raw.includes('\uFFFD')) {
          yield { line, malformed: 'invalid UTF-8 (declare "encoding": "latin1" in the mapping if the file is Latin-1)', raw };
          continue;
        }
        yield { line, values: record };
      }
      yield* malformed.splice(0);
    })(),
  };
}

function flatten(value: object): Record<string, string | undefined> {
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [k, v === null || v === undefined ? undefined : typeof v === 'object' ? JSON.stringify(v) : String(v)]),
  );
}
