import type { Logger } from '@aws-lambda-powertools/logger';
import { classifyIncomingKey, mappingKeyFor, quarantineKeys, type IncomingObject } from '../core/object-key.ts';
import { InputError } from '../core/errors.ts';
import { parseMapping, recognizeMapping, type Mapping } from '../core/mapping.ts';
import { toCustomer, toEvent, toOrderLine, type CustomerEvent, type CustomerRecord, type OrderLine } from '../core/records.ts';
import { neutralizeFormula } from '../core/clean.ts';
import type { RecordKind } from '../core/fields.ts';
import type { SegmentDefinition } from '../core/segments/definition.ts';
import type { CustomerStore } from '../adapters/customer-store.ts';
import type { ObjectStore, ObjectWriter } from '../adapters/object-store.ts';
import type { ModelScorer } from '../commons/model-scorer.ts';
import { refreshCustomers, type RefreshSummary } from '../commons/refresh-customers.ts';
import { readRows } from './read-rows.ts';
import { RepeatFilter } from '../core/repeat-filter.ts';
import { resolveIdentities, type IdentityMerge } from './resolve-identities.ts';

export interface IngestReport {
  readonly file: string;
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
}

export type IngestOutcome =
  | { readonly status: 'applied'; readonly report: IngestReport }
  | { readonly status: 'already-applied'; readonly file: string }
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
  /** Above this share of bad rows the whole file is rejected and nothing of it applied. */
  readonly maxRejectedShare: number;
}

const WRITE_BATCH = 500;

/**
 * Ingests one uploaded object in two streaming passes: the first validates every row and decides
 * whether the file is acceptable, the second writes the ledger. Memory stays bounded by the batch,
 * whatever the file's size. Then it quarantines bad rows and re-evaluates the customers touched.
 */
export async function ingestObject(deps: IngestDeps, key: string, etag: string): Promise<IngestOutcome> {
  const { objects, store, logger, now } = deps;
  const object = classifyIncomingKey(key);
  if (object.type === 'mapping') return { status: 'ignored', file: key, reason: 'mapping file, read with its data file' };
  if ((await store.getFile(key, etag)) !== undefined) {
    logger.info('file already applied, nothing to do', { key, etag });
    return { status: 'already-applied', file: key };
  }
  const mappingText = await objects.readText(mappingKeyFor(key));
  const declared = mappingText === undefined ? undefined : parseMapping(parseJson(mappingText, mappingKeyFor(key)), mappingKeyFor(key));
  if (declared !== undefined && declared.kind !== object.kind) {
    throw new InputError(`mapping ${mappingKeyFor(key)} is for ${declared.kind} but the file is under incoming/${object.kind}/`);
  }
  const maxRejectedShare = declared?.maxRejectedShare ?? deps.maxRejectedShare;

  // Pass 1: validate. Bad rows stream to quarantine as they are found.
  const repeats = new RepeatFilter();
  const quarantine = quarantineKeys(key);
  let writer: ObjectWriter | undefined;
  const rejectedByReason: Record<string, number> = {};
  let accepted = 0;
  let rejected = 0;
  const quarantineRow = async (row: Extract<CheckedRow, { ok: false }>) => {
    rejected++;
    rejectedByReason[row.reason] = (rejectedByReason[row.reason] ?? 0) + 1;
    if (writer === undefined) {
      writer = objects.createWriter(quarantine.rejected, 'text/csv');
      await writer.write(`${['line', 'reason', ...row.headers].map(csvCell).join(',')}\n`);
    }
    await writer.write(`${[String(row.line), row.reason, ...row.cells].map(csvCell).join(',')}\n`);
  };
  const checked = await forEachRow(objects, object, declared, now, { pass: 'validate', repeats }, (row) => {
    if (!row.ok) return quarantineRow(row);
    accepted++;
    return undefined;
  });
  await writer?.close();
  const total = accepted + rejected;
  const base = {
    file: key,
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
    const report: IngestReport = { ...base, status: 'rejected', customers: 0, segments: undefined };
    await objects.put(quarantine.report, JSON.stringify({ ...report, error: `file rejected whole: ${reason}` }, null, 2), 'application/json');
    logger.warn('file rejected whole', { key, accepted, rejected: report.rejected, rejectedByReason });
    return { status: 'rejected', file: key, reason, report };
  }

  // Pass 2: apply.
  const touched = new Set<string>();
  let orders: OrderLine[] = [];
  let customers: CustomerRecord[] = [];
  let events: CustomerEvent[] = [];
  const merges: IdentityMerge[] = [];
  const claimedEmails = new Map<string, string>();
  const flush = async () => {
    const resolved = await resolveIdentities(store, { orders, customers, events }, claimedEmails, now);
    if (resolved.orders.length > 0) await store.putOrders(resolved.orders, key);
    if (resolved.events.length > 0) await store.putEvents(resolved.events, key);
    for (const e of resolved.events) touched.add(e.customerId);
    if (resolved.customers.length > 0) await store.putContacts(resolved.customers, now);
    for (const o of resolved.orders) touched.add(o.customerId);
    for (const c of resolved.customers) touched.add(c.customerId);
    for (const m of resolved.merges) touched.delete(m.aliasId);
    merges.push(...resolved.merges);
    orders = [];
    customers = [];
    events = [];
  };
  await forEachRow(objects, object, checked.mapping, now, { pass: 'apply', repeats }, (row) => {
    if (!row.ok) return;
    const value = row.value;
    if ('orderId' in value) orders.push(value);
    else if ('eventId' in value) events.push(value);
    else customers.push(value);
    if (orders.length + customers.length + events.length >= WRITE_BATCH) return flush();
    return undefined;
  });
  await flush();

  const segments = await refreshCustomers(store, touched, deps.definitions, now, deps.scoreModel === undefined ? {} : { scoreModel: deps.scoreModel });
  const report: IngestReport = { ...base, status: 'applied', customers: touched.size, merges, segments };
  await objects.put(quarantine.report, JSON.stringify(report, null, 2), 'application/json');
  await store.putFile({ key, etag, status: 'applied', report, appliedAt: now.toISOString() });
  logger.info('file applied', { key, accepted, rejected: report.rejected, customers: touched.size, rejectedByReason });
  return { status: 'applied', report };
}

type CheckedRow =
  | { readonly ok: true; readonly line: number; readonly value: OrderLine | CustomerRecord | CustomerEvent }
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
  // Ids count identical rows; orders with an order id column do not need that.
  const counting = !(object.kind === 'orders' && declared?.columns.orderId !== undefined);
  const occurrences: Occurrences | undefined = counting ? { pass, repeats, counts: new Map() } : undefined;
  let mapping = declared;
  for await (const row of source.rows) {
    if ('malformed' in row) {
      const pending = visit({ ok: false, line: row.line, reason: row.malformed, cells: [row.raw.replace(/\r?\n$/, '')], headers: source.headers() });
      if (pending !== undefined) await pending;
      continue;
    }
    mapping ??= recognizeMapping(object.kind, source.headers());
    const result = rowResult(object.kind, mapping, row.values, occurrences, now);
    const pending = visit(
      result.ok
        ? { ok: true, line: row.line, value: result.value }
        : { ok: false, line: row.line, reason: result.reason, cells: Object.values(row.values).map((v) => v ?? ''), headers: source.headers() },
    );
    // Awaiting only real promises keeps a microtask per row off the hot path.
    if (pending !== undefined) await pending;
  }
  return { mapping: mapping ?? recognizeMapping(object.kind, source.headers()), headers: source.headers() };
}

function parseJson(text: string, source: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new InputError(`${source} is not valid JSON: ${(error as Error).message}`);
  }
}

function rowResult(
  kind: RecordKind,
  mapping: Mapping,
  values: Readonly<Record<string, string | undefined>>,
  occurrences: Occurrences | undefined,
  now: Date,
) {
  switch (kind) {
    case 'orders': {
      return toOrderLine(values, mapping, nextOccurrence(occurrences, values), now);
    }
    case 'customers':
      return toCustomer(values, mapping);
    case 'events':
      return toEvent(values, mapping, nextOccurrence(occurrences, values), now);
    default:
      return kind satisfies never;
  }
}

interface Occurrences {
  readonly pass: 'validate' | 'apply';
  readonly repeats: RepeatFilter;
  readonly counts: Map<string, number>;
}

/**
 * Identical rows in one file are distinct records (CDNOW has them); counting them keeps ids stable.
 * The validating pass only feeds the repeat filter; the writing pass counts the rows it flags.
 */
function nextOccurrence(occurrences: Occurrences | undefined, values: Readonly<Record<string, string | undefined>>): number {
  if (occurrences === undefined) return 1;
  const fingerprint = Object.values(values).join('\u001f');
  if (occurrences.pass === 'validate') {
    occurrences.repeats.add(fingerprint);
    return 1;
  }
  if (!occurrences.repeats.mayRepeat(fingerprint)) return 1;
  const occurrence = (occurrences.counts.get(fingerprint) ?? 0) + 1;
  occurrences.counts.set(fingerprint, occurrence);
  return occurrence;
}

function csvCell(value: string): string {
  const safe = neutralizeFormula(value);
  return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}
