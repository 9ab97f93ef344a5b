import type { Logger } from '@aws-lambda-powertools/logger';
import { classifyIncomingKey, mappingKeyFor, quarantineKeys, type IncomingObject } from '../core/object-key.ts';
import { InputError, RetryableError } from '../core/errors.ts';
import { parseMapping, recognizeMapping, type Mapping } from '../core/mapping.ts';
import { toCustomer, toEvent, toOrderLine, type CustomerEvent, type CustomerRecord, type OrderLine, type RowResult } from '../core/records.ts';
import { writeProblem } from '../core/item-size.ts';
import { contactItem, eventItem, orderItem } from '../adapters/ledger-items.ts';
import { decimalSeparatorOf, neutralizeFormula } from '../core/clean.ts';
import type { RecordKind } from '../core/fields.ts';
import type { SegmentDefinition } from '../core/segments/definition.ts';
import type { CustomerStore } from '../adapters/customer-store.ts';
import type { ObjectStore, ObjectWriter } from '../adapters/object-store.ts';
import type { ModelScorer } from '../segmentation/model-scorer.ts';
import { refreshCustomers, refreshSummarySchema, type RefreshOptions, type RefreshSummary } from '../segmentation/refresh-customers.ts';
import { openJournal, type BatchJournal } from '../commons/batch-journal.ts';
import * as z from 'zod';
import { readRows } from './read-rows.ts';
import { RepeatFilter } from '../core/repeat-filter.ts';
import { ERASED_CUSTOMER, resolveIdentities, type IdentityMerge } from './resolve-identities.ts';
import type { RowSource, SourceRow } from './read-rows.ts';
import { isChunkable } from '../core/chunks.ts';
import { startChunkedIngest, type ChunkingDeps } from './chunked-ingest.ts';

export interface IngestReport {
  readonly file: string;
  /** The ETag of the upload this reports on (from its S3 event), so a waiting CLI knows its own upload's report. */
  readonly etag?: string;
  readonly kind: RecordKind;
  readonly mapping: Mapping;
  /** applied, or rejected whole when the share of bad rows exceeded the limit. */
  readonly status: 'applied' | 'rejected';
  readonly accepted: number;
  readonly rejected: number;
  readonly rejectedByReason: Readonly<Record<string, number>>;
  readonly maxRejectedShare: number;
  readonly quarantine: string | undefined;
  readonly customers: number;
  /** Customers merged into another that shares their e-mail. */
  readonly merges?: readonly IdentityMerge[];
  readonly segments: RefreshSummary | undefined;
  /** How many byte-range chunks the file was ingested in, when more than one. */
  readonly chunks?: number;
}

export type IngestOutcome =
  | { readonly status: 'applied'; readonly report: IngestReport }
  | { readonly status: 'already-applied'; readonly file: string }
  | { readonly status: 'chunked'; readonly file: string; readonly chunks: number }
  | { readonly status: 'ignored'; readonly file: string; readonly reason: string }
  | { readonly status: 'rejected'; readonly file: string; readonly reason: string; readonly report?: IngestReport };

export interface IngestDeps {
  readonly objects: ObjectStore;
  readonly store: CustomerStore;
  readonly logger: Logger;
  readonly definitions: readonly SegmentDefinition[];
  /** model.* facts from the latest fitted model; absent before the first fit. */
  readonly scoreModel?: ModelScorer | undefined;
  readonly now: Date;
  /**
   * The wall clock when this run applies changes, for the times consent changed; `now` is the
   * evaluation time, which a stack evaluating as of a fixed date holds still. Defaults to `now`.
   */
  readonly recordedAt?: Date;
  /** Above this share of bad rows the whole file is rejected and nothing of it applied. */
  readonly maxRejectedShare: number;
  /** Splitting large files into byte-range chunks run in parallel; without it every file is one run. */
  readonly chunking?: ChunkingDeps;
}

const WRITE_BATCH = 500;

/** How a write batch's merges are kept in the file's journal. */
const mergesSchema = z.object({
  merges: z.array(z.object({ aliasId: z.string(), canonicalId: z.string(), reason: z.enum(['same external id', 'same e-mail']) })),
});

/**
 * Ingests one uploaded object in two streaming passes: the first validates every row and decides
 * whether the file is acceptable, the second writes the ledger. Memory stays bounded by the batch,
 * whatever the file's size. Then it quarantines bad rows and re-evaluates the customers touched.
 */
export async function ingestObject(given: IngestDeps, key: string, etag: string): Promise<IngestOutcome> {
  const { objects, store, logger } = given;
  const object = classifyIncomingKey(key);
  if (object.type === 'mapping') return { status: 'ignored', file: key, reason: 'mapping file, read with its data file' };
  if ((await store.getFile(key, etag)) !== undefined) {
    logger.info('file already applied, nothing to do', { key, etag });
    return { status: 'already-applied', file: key };
  }
  const { declared, mappingVersion } = await readMapping(given, key);
  if (declared !== undefined && declared.kind !== object.kind) {
    throw new InputError(`mapping ${mappingKeyFor(key)} is for ${declared.kind} but the file is under incoming/${object.kind}/`);
  }
  const maxRejectedShare = declared?.maxRejectedShare ?? given.maxRejectedShare;
  if (given.chunking !== undefined) {
    const size = await given.chunking.objects.size(key);
    if (isChunkable(object, size, given.chunking.chunkBytes)) {
      return startChunkedIngest({ ...given, now: await pinnedTime(store, key, etag, given.now) }, given.chunking, object, etag, size);
    }
  }
  // Validated as of the first attempt's time; pinned only once the file is to be written, so a
  // refused file leaves nothing in the table.
  const pinned = await storedStartTime(store, key, etag);
  const now = pinned ?? given.now;
  const deps = { ...given, now };

  // Pass 1: validate. Bad rows stream to quarantine as they are found.
  const repeats = new RepeatFilter();
  const quarantine = quarantineKeys(key);
  const rejects = rejectedRows(objects, quarantine.rejected);
  const { rejectedByReason } = rejects;
  let accepted = 0;
  const checked = await forEachRow(objects, object, declared, now, { pass: 'validate', repeats }, (row) => {
    if (row.ok === false) return rejects.add(row);
    accepted++;
    return undefined;
  });
  const rejected = rejects.count();
  const total = accepted + rejected;
  const base = {
    file: key,
    etag,
    kind: object.kind,
    mapping: checked.mapping,
    accepted,
    rejected,
    rejectedByReason,
    maxRejectedShare,
    quarantine: rejected > 0 ? quarantine.rejected : undefined,
  };
  if (total === 0 || rejected / total > maxRejectedShare) {
    const reason = total === 0 ? 'the file has no rows' : `${rejected} of ${total} rows are bad, more than the ${maxRejectedShare * 100}% allowed`;
    await rejects.close();
    const report: IngestReport = { ...base, status: 'rejected', customers: 0, segments: undefined };
    await objects.put(quarantine.report, JSON.stringify({ ...report, error: `file rejected whole: ${reason}` }, null, 2), 'application/json');
    logger.warn('file rejected whole', { key, accepted, rejected: report.rejected, rejectedByReason });
    return { status: 'rejected', file: key, reason, report };
  }

  if (pinned === undefined && (await pinnedTime(store, key, etag, now)).getTime() !== now.getTime()) {
    throw new RetryableError(`${key}: another attempt of this upload started first; retrying as of its time`);
  }

  // Pass 2: apply. Rows of erased customers join the quarantine by line and reason only: their cells are the erased person's data.
  const lineOf = new WeakMap<IngestValue, number>();
  let erasedRows = 0;
  const applier = createApplier(store, key, now, {
    etag,
    recordedAt: deps.recordedAt,
    journal: await openJournal(store, { key, etag }, 'apply-batch', mergesSchema),
    onErased: async (rows) => {
      erasedRows += rows.length;
      for (const row of rows) await rejects.add({ ok: false, line: lineOf.get(row) ?? 0, reason: ERASED_CUSTOMER, cells: [], headers: checked.headers });
    },
  });
  await forEachRow(objects, object, checked.mapping, now, { pass: 'apply', repeats }, (row) => {
    if (row.ok !== true) return undefined;
    lineOf.set(row.value, row.line);
    return applier.add(row.value);
  });
  const { touched, merges } = await applier.finish();
  await rejects.close();

  const journal = await openJournal(store, { key, etag }, 'refresh-batch', refreshSummarySchema);
  const segments = await refreshCustomers(store, touched, deps.definitions, now, { ...refreshOptions(deps), journal });
  const afterErased = { accepted: accepted - erasedRows, rejected: rejects.count(), quarantine: rejects.count() > 0 ? quarantine.rejected : undefined };
  const report: IngestReport = { ...base, ...afterErased, status: 'applied', customers: touched.size, merges, segments };
  await objects.put(quarantine.report, JSON.stringify(report, null, 2), 'application/json');
  // Last: the FILE record says the file is applied, so a retry before it redoes the rest.
  await store.putFile({ key, etag, status: 'applied', report, appliedAt: now.toISOString(), ...(mappingVersion === undefined ? {} : { mappingVersion }) });
  logger.info('file applied', { key, accepted: report.accepted, rejected: report.rejected, customers: touched.size, rejectedByReason });
  return { status: 'applied', report };
}

/**
 * The evaluation time of a file is that of its first attempt: a retry (minutes or days later)
 * validates, writes and evaluates as of the same instant, so it ends where one clean run would.
 */
export async function pinnedTime(store: CustomerStore, key: string, etag: string, now: Date): Promise<Date> {
  const stored = await storedStartTime(store, key, etag);
  if (stored !== undefined) return stored;
  // A conditional put: of two attempts racing, the first to write keeps its time.
  await store.putChunkState(key, etag, 'started', 0, { at: now.toISOString() });
  const at = await storedStartTime(store, key, etag);
  if (at === undefined) throw new Error(`${key}: the start time of its ingest was not kept`);
  return at;
}

/** The evaluation time an earlier attempt of this upload pinned, if one did. */
async function storedStartTime(store: CustomerStore, key: string, etag: string): Promise<Date | undefined> {
  const at = (await store.listChunkStates(key, etag, 'started'))[0]?.at;
  if (at === undefined) return undefined;
  if (typeof at !== 'string' || Number.isNaN(Date.parse(at))) throw new Error(`${key}: the stored start time of its ingest is unreadable`);
  return new Date(at);
}

/**
 * The data file's mapping, unless it is left over: a mapping already used for an earlier version
 * of this file is not silently reused for a new one (README, "Mapping files").
 */
async function readMapping(deps: IngestDeps, key: string): Promise<{ declared: Mapping | undefined; mappingVersion: string | undefined }> {
  const mappingKey = mappingKeyFor(key);
  const versioned = deps.objects.readVersioned === undefined ? undefined : await deps.objects.readVersioned(mappingKey);
  const text = versioned?.text ?? (deps.objects.readVersioned === undefined ? await deps.objects.readText(mappingKey) : undefined);
  if (text === undefined) return { declared: undefined, mappingVersion: undefined };
  const declared = parseMapping(parseJson(text, mappingKey), mappingKey);
  if (versioned !== undefined && (await deps.store.fileVersions(key)).some((f) => f.mappingVersion === versioned.version)) {
    throw new InputError(
      `${mappingKey} was already used for an earlier version of ${key} and was not uploaded again since: ` +
        'upload the mapping again, then this data file, to use it for this version (or delete it to use the recognized headers)',
    );
  }
  return { declared, mappingVersion: versioned?.version };
}

/** The refresh's model scorer, once a model has been fitted. */
export function refreshOptions(deps: IngestDeps): RefreshOptions {
  return deps.scoreModel === undefined ? {} : { scoreModel: deps.scoreModel };
}

export type CheckedRow =
  | { readonly ok: true; readonly line: number; readonly value: IngestValue }
  | { readonly ok: 'deferred'; readonly line: number; readonly values: Readonly<Record<string, string | undefined>> }
  | { readonly ok: false; readonly line: number; readonly reason: string; readonly cells: readonly string[]; readonly headers: readonly string[] };

/** Streams the object once, mapping and cleaning each row; `visit` may return a promise to apply backpressure. */
async function forEachRow(
  objects: ObjectStore,
  object: Extract<IncomingObject, { type: 'data' }>,
  declared: Mapping | undefined,
  now: Date,
  { pass, repeats }: { pass: 'validate' | 'apply'; repeats: RepeatFilter },
  visit: (row: CheckedRow) => Promise<void> | undefined,
): Promise<{ mapping: Mapping; headers: readonly string[] }> {
  const source = readRows(await objects.openStream(object.key), object.format, object.gzip, declared?.encoding);
  const occurrences = countsOccurrences(object.kind, declared) ? { pass, repeats, counts: new Map<string, number>() } : undefined;
  return scanRows(source, object.kind, declared, now, occurrences, visit);
}

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

/**
 * Writes cleaned records in batches: identities resolved, ledgers and contacts written, and the
 * customers touched collected for re-evaluation. The ETag tells a retry of this upload (which
 * changes no consent again) from a new upload of the same key.
 */
export function createApplier(
  store: CustomerStore,
  key: string,
  now: Date,
  origin: {
    readonly etag?: string;
    readonly recordedAt?: Date | undefined;
    readonly onErased?: (rows: readonly IngestValue[]) => Promise<void>;
    readonly journal?: BatchJournal<{ merges: IdentityMerge[] }> | undefined;
  } = {},
) {
  const contactSource = { source: key, ...(origin.etag === undefined ? {} : { revision: origin.etag }) };
  const touched = new Set<string>();
  let orders: OrderLine[] = [];
  let customers: CustomerRecord[] = [];
  let events: CustomerEvent[] = [];
  const merges: IdentityMerge[] = [];
  const claimedEmails = new Map<string, string>();
  let batch = 0;
  const flush = async () => {
    const number = batch++;
    let made: readonly IdentityMerge[] = [];
    const resolved = await resolveIdentities(store, { orders, customers, events }, claimedEmails, now, async (decided) => {
      made = await journaledMerges(origin.journal, number, decided);
    });
    if (resolved.erased.length > 0) await origin.onErased?.(resolved.erased);
    if (resolved.orders.length > 0) await store.putOrders(resolved.orders, key);
    if (resolved.events.length > 0) await store.putEvents(resolved.events, key);
    for (const e of resolved.events) touched.add(e.customerId);
    if (resolved.customers.length > 0) await store.putContacts(resolved.customers, origin.recordedAt ?? now, contactSource);
    for (const o of resolved.orders) touched.add(o.customerId);
    for (const c of resolved.customers) touched.add(c.customerId);
    for (const m of made) touched.delete(m.aliasId);
    merges.push(...made);
    orders = [];
    customers = [];
    events = [];
  };
  return {
    add(value: IngestValue): Promise<void> | undefined {
      if ('orderId' in value) orders.push(value);
      else if ('eventId' in value) events.push(value);
      else customers.push(value);
      if (orders.length + customers.length + events.length >= WRITE_BATCH) return flush();
      return undefined;
    },
    async finish(): Promise<{ touched: Set<string>; merges: IdentityMerge[] }> {
      await flush();
      return { touched, merges };
    },
  };
}

/**
 * The merges a write batch reports. A retry finds those an earlier attempt made already (it decides
 * fewer or none), so the ones recorded before that attempt's first merge are the batch's.
 */
async function journaledMerges(journal: BatchJournal<{ merges: IdentityMerge[] }> | undefined, batch: number, decided: readonly IdentityMerge[]): Promise<readonly IdentityMerge[]> {
  if (journal === undefined) return decided;
  if (decided.length === 0) return journal.recorded(batch)?.merges ?? [];
  return (await journal.record(batch, { merges: [...decided] })).merges;
}

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

function parseJson(text: string, source: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new InputError(`${source} is not valid JSON: ${(error as Error).message}`);
  }
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
