import { gzipSync } from 'node:zlib';
import fc from 'fast-check';

/**
 * A grammar of hostile data files for generative ingest tests: line endings, delimiters, quoting,
 * BOM, Latin-1 bytes, header collisions, ids, amounts, dates, e-mails, names, truncation, gzip.
 */
export type Kind = 'orders' | 'customers';
export type Cell = { readonly text: string; readonly json: unknown };

const cell = (text: string, json: unknown = text): Cell => ({ text, json });
const ids = fc.oneof(
  fc.constantFrom('C1', 'C2', 'c3', ' C1 ', 'constructor', '__x', '', 'NA', 'Zoë').map((t) => cell(t)),
  fc.constantFrom('12345678901234567890', '12345678901234567891', '42').map((t) => cell(t, t.length > 15 ? BigInt(t) : Number(t))),
  fc.constantFrom(cell('{"a":1}', { a: 1 }), cell('true', true), cell('1.5', 1.5)),
);
const amounts = fc.oneof(
  fc.constantFrom('5.00', '261.96', '1.234', '1,234', '1,234.50', '"1.234,50"', '12,50', '-3.00', '(2.50)', '1e300', 'abc', '', '0', '4.440892e-16').map((t) => cell(t)),
  fc.integer({ min: -500, max: 500 }).map((n) => cell((n / 100).toFixed(2), n / 100)),
);
const dates = fc.constantFrom('2024-01-01', '2024-02-30', '01/02/2024', '13/02/2024', '20240105', '2030-01-01', '1850-01-01', 'yesterday', '1704067200', '2024-03-01T10:00:00+02:00').map((t) => cell(t));
const statuses = fc.constantFrom('', 'complete', 'cancelled', 'Returned').map((t) => cell(t));
const emails = fc.constantFrom('a@example.com', 'A@Example.com', 'b@example.com', 'not-an-email', '', 'c@exa mple.com').map((t) => cell(t));
const names = fc.constantFrom('Ann', 'Zoë 🎉', '=HYPERLINK("x")', 'O"Brien', 'a,b', 'line\nbreak', 'cr\rinside', 'Ren\u00e9').map((t) => cell(t));
const consents = fc.constantFrom('yes', 'no', 'maybe', '').map((t) => cell(t));

const COLUMNS: Record<Kind, readonly string[]> = {
  orders: ['customer_id', 'date', 'amount', 'status', 'category'],
  customers: ['customer_id', 'email', 'first_name', 'consent'],
};

const rowOf = (kind: Kind): fc.Arbitrary<readonly Cell[]> => (kind === 'orders' ? fc.tuple(ids, dates, amounts, statuses, names) : fc.tuple(ids, emails, names, consents));

export const fileSpec = fc.constantFrom<Kind>('orders', 'customers').chain((kind) =>
  fc.record({
    kind: fc.constant(kind),
    format: fc.constantFrom<'csv' | 'jsonl'>('csv', 'csv', 'jsonl'),
    rows: fc.array(rowOf(kind), { maxLength: 25 }),
    endings: fc.array(fc.constantFrom('\n', '\r\n', '\r'), { minLength: 1, maxLength: 4 }),
    delimiter: fc.constantFrom(',', ';', '\t', '|'),
    quoteAll: fc.boolean(),
    bom: fc.boolean(),
    latin1: fc.boolean(),
    header: fc.constantFrom<'plain' | 'duplicate' | 'missing'>('plain', 'plain', 'plain', 'plain', 'duplicate', 'missing'),
    finalEnding: fc.boolean(),
    truncate: fc.option(fc.double({ min: 0, max: 1, noNaN: true }), { freq: 3 }),
    gzip: fc.boolean(),
  }),
);
export type FileSpec = typeof fileSpec extends fc.Arbitrary<infer T> ? T : never;

/** A row's text starts with its tag (ref column), so its fate can be read in the quarantine file. */
export const tag = (i: number) => `zq${i}zq`;

function csvCell(text: string, delimiter: string, quoteAll: boolean): string {
  if (text.startsWith('"')) return text;
  return quoteAll || /["\r\n]/.test(text) || text.includes(delimiter) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** Each row's bytes (ending included) and the header's, so a file of some rows can be rebuilt. */
export function render(spec: FileSpec): { header: string; rows: string[] } {
  const columns = ['ref', ...COLUMNS[spec.kind]];
  const ending = (i: number) => spec.endings[i % spec.endings.length] ?? '\n';
  if (spec.format === 'jsonl') {
    const rows = spec.rows.map((cells, i) => {
      const entries = [`"ref":"${tag(i)}"`, ...cells.map((c, j) => `${JSON.stringify(columns[j + 1])}:${typeof c.json === 'bigint' ? c.json.toString() : JSON.stringify(c.json)}`)];
      return `{${entries.join(',')}}${ending(i)}`;
    });
    return { header: '', rows };
  }
  const headerColumns = spec.header === 'duplicate' ? [...columns, columns.at(-1) ?? 'ref'] : columns;
  const header = spec.header === 'missing' ? '' : `${headerColumns.join(spec.delimiter)}${ending(0)}`;
  const rows = spec.rows.map((cells, i) => {
    const line = [tag(i), ...cells.map((c) => csvCell(c.text, spec.delimiter, spec.quoteAll))].join(spec.delimiter);
    return `${line}${i === spec.rows.length - 1 && !spec.finalEnding ? '' : ending(i + 1)}`;
  });
  return { header, rows };
}

export function encode(text: string, spec: FileSpec): Buffer {
  const body = Buffer.from(text, spec.latin1 ? 'latin1' : 'utf-8');
  return spec.bom && !spec.latin1 ? Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), body]) : body;
}


/** The bytes of a generated file, its key, and the rows it holds as it holds them (a cut keeps the last row's tag). */
export function buildFile(spec: FileSpec, name = 'gen') {
  const { header, rows } = render(spec);
  const full = header + rows.join('');
  let cut = full.length;
  if (spec.truncate !== null && rows.length > 0) {
    const last = rows.at(-1) ?? '';
    cut = Math.max(full.length - last.length + last.indexOf(tag(rows.length - 1)) + tag(rows.length - 1).length, Math.floor(full.length * spec.truncate));
  }
  // The rows as the cut file holds them: a cut inside the last row keeps only its first part.
  const included = rows
    .map((row, i) => ({ row, start: header.length + rows.slice(0, i).join('').length }))
    .filter(({ start }) => start < cut)
    .map(({ row, start }) => row.slice(0, cut - start));
  const key = `incoming/${spec.kind}/${name}.${spec.format}${spec.gzip ? '.gz' : ''}`;
  const pack = (text: string) => {
    const bytes = encode(text, spec);
    return spec.gzip ? gzipSync(bytes) : bytes;
  };
  return { key, header, included, body: pack(full.slice(0, cut)), pack };
}
