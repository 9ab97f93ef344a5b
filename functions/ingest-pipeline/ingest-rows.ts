import { recognizeMapping, type Mapping } from '../core/mapping.ts';
import { toCustomer, toEvent, toOrderLine, type CustomerEvent, type CustomerRecord, type OrderLine, type RowResult } from '../core/records.ts';
import { writeProblem } from '../core/item-size.ts';
import { contactItem, eventItem, orderItem } from '../adapters/ledger-items.ts';
import { decimalSeparatorOf, neutralizeFormula } from '../core/clean.ts';
import type { RecordKind } from '../core/fields.ts';
import type { ObjectStore, ObjectWriter } from '../adapters/ports/objects.ts';
import type { RepeatFilter } from '../core/repeat-filter.ts';
import type { RowSource, SourceRow } from './read-rows.ts';

export type CheckedRow =
  | { readonly ok: true; readonly line: number; readonly value: IngestValue }
  | { readonly ok: 'deferred'; readonly line: number; readonly values: Readonly<Record<string, string | undefined>> }
  | { readonly ok: false; readonly line: number; readonly reason: string; readonly cells: readonly string[]; readonly headers: readonly string[] };

/** Ids count identical rows; orders with an order id column do not need that. */
export function countsOccurrences(kind: RecordKind, declared: Mapping | undefined): boolean {
  return !(kind === 'orders' && declared?.columns.orderId !== undefined);
}

/**
 * Maps and cleans each row of a source. A row whose occurrence cannot be counted here (it may
 * repeat in another chunk of the file) is handed to `visit` as deferred, uncleaned.
 */
export async function scanRows(
  source: RowSource,
  kind: RecordKind,
  declared: Mapping | undefined,
  now: Date,
  occurrences: Occurrences | undefined,
  visit: (row: CheckedRow) => Promise<void> | undefined,
): Promise<{ mapping: Mapping; headers: readonly string[] }> {
  const learned = kind === 'orders' && declared?.decimalSeparator === undefined && !source.isJson ? await learnDecimalSeparator(source, kind, declared, now) : undefined;
  let mapping = learned?.mapping ?? declared;
  for await (const row of learned?.rows ?? source.rows) {
    if ('malformed' in row) {
      const pending = visit({ ok: false, line: row.line, reason: row.malformed, cells: [row.raw.replace(/\r?\n$/, '')], headers: source.headers() });
      if (pending !== undefined) await pending;
      continue;
    }
    mapping ??= recognizeMapping(kind, source.headers());
    const occurrence = occurrences === undefined ? 1 : nextOccurrence(occurrences, row.values);
    if (occurrence === undefined) {
      const pending = visit({ ok: 'deferred', line: row.line, values: row.values });
      if (pending !== undefined) await pending;
      continue;
    }
    const result = (row.notIds === undefined ? undefined : idTypeProblem(row.notIds, mapping)) ?? rowResult(kind, jsonNumbersRead(row, mapping), row.values, occurrence, now);
    const pending = visit(
      result.ok
        ? { ok: true, line: row.line, value: result.value }
        : { ok: false, line: row.line, reason: result.reason, cells: Object.values(row.values).map((v) => v ?? ''), headers: source.headers() },
    );
    // Awaiting only real promises keeps a microtask per row off the hot path.
    if (pending !== undefined) await pending;
  }
  return { mapping: mapping ?? recognizeMapping(kind, source.headers()), headers: source.headers() };
}

/** Rows read ahead, in a CSV of orders without a declared decimal separator, to learn the file's. */
const DECIMAL_SAMPLE_ROWS = 1000;

/**
 * "1.234" reads two ways; the file's other amounts ("261.96", "1.234,50") say which. Only rows that
 * are accepted without that knowledge count, so the file of its accepted rows alone learns the same.
 */
async function learnDecimalSeparator(source: RowSource, kind: RecordKind, declared: Mapping | undefined, now: Date) {
  const iterator = source.rows[Symbol.asyncIterator]();
  const head: SourceRow[] = [];
  for (let next = await iterator.next(); ; next = await iterator.next()) {
    if (next.done === true) break;
    head.push(next.value);
    if (head.length >= DECIMAL_SAMPLE_ROWS) break;
  }
  const rows = (async function* () {
    yield* head;
    for (let next = await iterator.next(); next.done !== true; next = await iterator.next()) yield next.value;
  })();
  if (!head.some((row) => !('malformed' in row))) return { rows, mapping: declared };
  const mapping = declared ?? recognizeMapping(kind, source.headers());
  const amounts = head.flatMap((row) =>
    'malformed' in row || !rowResult(kind, mapping, row.values, 1, now).ok ? [] : [mapping.columns.amount, mapping.columns.unitPrice].map((h) => (h === undefined || !Object.hasOwn(row.values, h) ? undefined : row.values[h])),
  );
  const decimalSeparator = decimalSeparatorOf(amounts);
  return { rows, mapping: decimalSeparator === undefined ? mapping : { ...mapping, decimalSeparator } };
}

/** A JSON number is written with a decimal point, whatever the mapping says of text amounts. */
function jsonNumbersRead(row: Extract<SourceRow, { values: unknown }>, mapping: Mapping): Mapping {
  if (row.numbers === undefined || mapping.decimalSeparator === '.') return mapping;
  const { amount, unitPrice } = mapping.columns;
  return (amount !== undefined && row.numbers.has(amount)) || (unitPrice !== undefined && row.numbers.has(unitPrice)) ? { ...mapping, decimalSeparator: '.' } : mapping;
}

const ID_FIELDS = [
  ['customerId', 'customer id'],
  ['orderId', 'order id'],
  ['externalId', 'external id'],
] as const;

/** A JSONL id that was an object, array, boolean or fraction is refused, not stringified into an id. */
function idTypeProblem(notIds: ReadonlySet<string>, mapping: Mapping): { ok: false; reason: string } | undefined {
  const field = ID_FIELDS.find(([name]) => {
    const header = mapping.columns[name];
    return header !== undefined && notIds.has(header);
  });
  return field === undefined ? undefined : { ok: false, reason: `${field[1]} is not a string or a whole number` };
}

export type IngestValue = OrderLine | CustomerRecord | CustomerEvent;

/** Bad rows stream to a CSV object as they are found: line, reason, then the row's cells. */
export function rejectedRows(objects: ObjectStore, key: string) {
  let writer: ObjectWriter | undefined;
  const rejectedByReason: Record<string, number> = {};
  let rejected = 0;
  return {
    rejectedByReason,
    count: () => rejected,
    async add(row: Extract<CheckedRow, { ok: false }>, line = row.line): Promise<void> {
      rejected++;
      rejectedByReason[row.reason] = (rejectedByReason[row.reason] ?? 0) + 1;
      if (writer === undefined) {
        writer = objects.createWriter(key, 'text/csv');
        await writer.write(`${['line', 'reason', ...row.headers].map(csvCell).join(',')}\n`);
      }
      await writer.write(`${[String(line), row.reason, ...row.cells].map(csvCell).join(',')}\n`);
    },
    async close(): Promise<void> {
      await writer?.close();
    },
  };
}

/**
 * A row cleaned, and refused already here if DynamoDB would refuse the item it becomes: the
 * validating pass finds it, so it is quarantined instead of failing the file half-way through writing.
 */
export function rowResult(kind: RecordKind, mapping: Mapping, values: Readonly<Record<string, string | undefined>>, occurrence: number, now: Date): RowResult<IngestValue> {
  const result = cleanRow(kind, mapping, values, occurrence, now);
  if (!result.ok) return result;
  const problem = writeProblem(rowItem(result.value, now), ROW_RESERVE_BYTES);
  return problem === undefined ? result : { ok: false, reason: problem };
}

/** Room in an item for what the row does not show: the file key stored with it (at most 1 KB), a canonical id in place of its own, and slack. */
const ROW_RESERVE_BYTES = 4 * 1024;

function rowItem(value: IngestValue, now: Date): Record<string, unknown> {
  if ('orderId' in value) return orderItem(value, '');
  if ('eventId' in value) return eventItem(value, '');
  return contactItem(value, now.toISOString());
}

function cleanRow(kind: RecordKind, mapping: Mapping, values: Readonly<Record<string, string | undefined>>, occurrence: number, now: Date): RowResult<IngestValue> {
  switch (kind) {
    case 'orders':
      return toOrderLine(values, mapping, occurrence, now);
    case 'customers':
      return toCustomer(values, mapping);
    case 'events':
      return toEvent(values, mapping, occurrence, now);
    default:
      return kind satisfies never;
  }
}

export interface Occurrences {
  readonly pass: 'validate' | 'apply';
  readonly repeats: RepeatFilter;
  readonly counts: Map<string, number>;
  /** Rows this filter says may occur in another chunk too are deferred (their count needs every chunk). */
  readonly acrossChunks?: RepeatFilter;
}

/**
 * Identical rows in one file are distinct records (CDNOW has them); counting them keeps ids stable.
 * The validating pass only feeds the repeat filter; the writing pass counts the rows it flags.
 */
function nextOccurrence(occurrences: Occurrences, values: Readonly<Record<string, string | undefined>>): number | undefined {
  const fingerprint = rowFingerprint(values);
  if (occurrences.pass === 'validate') {
    occurrences.repeats.add(fingerprint);
    return 1;
  }
  if (occurrences.acrossChunks?.mayRepeat(fingerprint) === true) return undefined;
  if (!occurrences.repeats.mayRepeat(fingerprint)) return 1;
  const occurrence = (occurrences.counts.get(fingerprint) ?? 0) + 1;
  occurrences.counts.set(fingerprint, occurrence);
  return occurrence;
}

export function rowFingerprint(values: Readonly<Record<string, string | undefined>>): string {
  return Object.values(values).join('\u001f');
}

export function csvCell(value: string): string {
  const safe = neutralizeFormula(value);
  return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}
