import { createGunzip } from 'node:zlib';
import { createInterface } from 'node:readline';
import { pipeline, type Readable } from 'node:stream';
import { parse } from 'csv-parse';
import { InputError } from '../core/errors.ts';
import { headerRowProblem } from '../core/header-row.ts';

export type SourceRow =
  | {
      /** 1-based line number of the row in the file (header is line 1 for CSV). */
      readonly line: number;
      readonly values: Readonly<Record<string, string | undefined>>;
      /** JSONL keys whose value was an object, array, boolean or fraction: never an id. */
      readonly notIds?: ReadonlySet<string>;
      /** JSONL keys whose value was a JSON number (written with a decimal point). */
      readonly numbers?: ReadonlySet<string>;
    }
  | { readonly line: number; readonly malformed: string; readonly raw: string };

export interface RowSource {
  /** JSONL: values carry their JSON types, so numbers are never ambiguous text. */
  readonly isJson?: boolean;
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
  // pipeline, unlike pipe, hands a stream's error on to the reader instead of leaving it unhandled.
  const decompress = <T extends NodeJS.ReadWriteStream>(last: T): T => {
    if (gzip) pipeline(body, createGunzip(), last, () => undefined);
    else pipeline(body, last, () => undefined);
    return last;
  };
  let headers: readonly string[] = [];
  if (format === 'jsonl') {
    return {
      isJson: true,
      headers: () => headers,
      // JSON escapes line breaks inside strings: a JSONL record is always one line.
      spansLines: () => false,
      rows: readable(async function* () {
        let line = 0;
        const seen = new Set<string>();
        const input = gzip ? (pipeline(body, createGunzip(), () => undefined) as Readable) : body;
        input.setEncoding(encoding === 'latin1' ? 'latin1' : 'utf8');
        for await (const read of createInterface({ input, crlfDelay: Infinity })) {
          line++;
          // A byte order mark (Windows tools write one) is no part of the first record.
          const text = line === 1 && read.charCodeAt(0) === 0xfeff ? read.slice(1) : read;
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
            parsed = JSON.parse(quoteUnsafeIntegers(text));
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
          const notIds = new Set(Object.entries(parsed).filter(([, v]) => !isIdValue(v)).map(([k]) => k));
          const numbers = new Set(Object.entries(parsed).filter(([, v]) => typeof v === 'number').map(([k]) => k));
          yield { line, values, ...(notIds.size === 0 ? {} : { notIds }), ...(numbers.size === 0 ? {} : { numbers }) };
        }
      }),
    };
  }
  let headerProblem: string | undefined;
  const parser = decompress(
    parse({
      bom: true,
      encoding: encoding === 'latin1' ? 'latin1' : 'utf8',
      max_record_size: MAX_RECORD_BYTES,
      columns: (names: unknown) => {
        const trimmed = (names as string[]).map((n) => n.trim());
        headerProblem = headerRowProblem(trimmed);
        // A refused header is never kept: it may be a person's row, and reports print headers.
        headers = headerProblem === undefined ? trimmed : [];
        return trimmed;
      },
      delimiter: [',', ';', '\t', '|'],
      // Every ending ends a record outside quotes: auto-discovery picks the first one seen and then
      // reads the others as cell text, merging rows (a CRLF header over LF rows, a stray CR).
      record_delimiter: ['\r\n', '\n', '\r'],
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
    rows: readable(async function* () {
      for await (const { record, line, raw } of parser as AsyncIterable<{ record: Record<string, string>; line: number; raw: string }>) {
        if (headerProblem !== undefined) break;
        yield* malformed.splice(0);
        const lineBreak = raw.indexOf('\n');
        if (lineBreak !== -1 && lineBreak < raw.length - 1) spansLines = true;
        if (raw.includes('\uFFFD')) {
          yield { line, malformed: 'invalid UTF-8 (declare "encoding": "latin1" in the mapping if the file is Latin-1)', raw };
          continue;
        }
        yield { line, values: record };
      }
      if (headerProblem !== undefined) {
        parser.destroy();
        throw new InputError(headerProblem);
      }
      yield* malformed.splice(0);
    }),
  };
}

/** Rows of a source whose bytes may fail to decompress: a zlib error refuses the file (no retry reads it better). */
async function* readable(rows: () => AsyncGenerator<SourceRow>): AsyncGenerator<SourceRow> {
  try {
    yield* rows();
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string' && code.startsWith('Z_')) throw new InputError(`not a readable gzip file (${code}: ${(error as Error).message})`);
    throw error;
  }
}

/** An id may be a string or a whole number JSON can hold exactly (bigger ones arrive quoted, below). */
function isIdValue(value: unknown): boolean {
  return value === null || typeof value === 'string' || (typeof value === 'number' && Number.isSafeInteger(value));
}

const INTEGER_AHEAD = /\d{16}/;
const NUMBER_TOKEN = /-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

/**
 * Quotes integer literals beyond 2^53 so JSON.parse keeps their digits instead of rounding two ids
 * into one (Node 20 has no reviver that sees the source text).
 */
function quoteUnsafeIntegers(text: string): string {
  if (!INTEGER_AHEAD.test(text)) return text;
  let out = '';
  let copied = 0;
  for (let i = 0; i < text.length; ) {
    const c = text.charCodeAt(i);
    if (c === 34 /* " */) {
      for (i++; i < text.length && text.charCodeAt(i) !== 34; i++) if (text.charCodeAt(i) === 92 /* \ */) i++;
      i++;
      continue;
    }
    NUMBER_TOKEN.lastIndex = i;
    const token = c === 45 || (c >= 48 && c <= 57) ? NUMBER_TOKEN.exec(text)?.[0] : undefined;
    if (token === undefined) {
      i++;
      continue;
    }
    if (/^-?\d+$/.test(token) && !Number.isSafeInteger(Number(token))) {
      out += `${text.slice(copied, i)}"${token}"`;
      copied = i + token.length;
    }
    i += token.length;
  }
  return out + text.slice(copied);
}

function flatten(value: object): Record<string, string | undefined> {
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [k, v === null || v === undefined ? undefined : typeof v === 'object' ? JSON.stringify(v) : String(v)]),
  );
}
