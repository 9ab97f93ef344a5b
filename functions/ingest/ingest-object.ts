import type { Logger } from '@aws-lambda-powertools/logger';
import { classifyIncomingKey, mappingKeyFor, quarantineKeys } from '../core/object-key.ts';
import { parseMapping, recognizeMapping, type Mapping } from '../core/mapping.ts';
import { toCustomer, toOrder, type CustomerRecord, type Order } from '../core/records.ts';
import { neutralizeFormula } from '../core/clean.ts';
import type { RecordKind } from '../core/fields.ts';
import type { SegmentDefinition } from '../core/segments/definition.ts';
import type { CustomerStore } from '../adapters/customer-store.ts';
import type { ObjectStore } from '../adapters/object-store.ts';
import { refreshCustomers, type RefreshSummary } from '../commons/refresh-customers.ts';
import { readRows } from './read-rows.ts';

export interface IngestReport {
  readonly file: string;
  readonly kind: RecordKind;
  readonly mapping: Mapping;
  readonly accepted: number;
  readonly rejected: number;
  readonly rejectedByReason: Readonly<Record<string, number>>;
  readonly quarantine: string | undefined;
  readonly customers: number;
  readonly segments: RefreshSummary;
}

export type IngestOutcome =
  | { readonly status: 'applied'; readonly report: IngestReport }
  | { readonly status: 'already-applied'; readonly file: string }
  | { readonly status: 'ignored'; readonly file: string; readonly reason: string }
  | { readonly status: 'rejected'; readonly file: string; readonly reason: string };

export interface IngestDeps {
  readonly objects: ObjectStore;
  readonly store: CustomerStore;
  readonly logger: Logger;
  readonly definitions: readonly SegmentDefinition[];
  readonly now: Date;
}

const WRITE_BATCH = 500;

/** Ingests one uploaded object: parse, map, clean, write the ledger, quarantine bad rows, re-evaluate touched customers. */
export async function ingestObject(deps: IngestDeps, key: string, etag: string): Promise<IngestOutcome> {
  const { objects, store, logger, now } = deps;
  const object = classifyIncomingKey(key);
  if (object.type === 'mapping') return { status: 'ignored', file: key, reason: 'mapping file, read with its data file' };
  if ((await store.getFile(key, etag)) !== undefined) {
    logger.info('file already applied, nothing to do', { key, etag });
    return { status: 'already-applied', file: key };
  }

  const mappingText = await objects.readText(mappingKeyFor(key));
  let mapping = mappingText === undefined ? undefined : parseMapping(JSON.parse(mappingText), mappingKeyFor(key));
  const source = readRows(await objects.openStream(key), object.format, object.gzip);
  const rejectedLines: string[] = [];
  const rejectedByReason: Record<string, number> = {};
  const touched = new Set<string>();
  const occurrences = new Map<string, number>();
  let orders: Order[] = [];
  let customers: CustomerRecord[] = [];
  let accepted = 0;

  const flush = async () => {
    if (orders.length > 0) await store.putOrders(orders, key);
    if (customers.length > 0) await store.putContacts(customers, now);
    orders = [];
    customers = [];
  };

  for await (const row of source.rows) {
    mapping ??= recognizeMapping(object.kind, source.headers());
    if (mapping.kind !== object.kind) {
      throw new Error(`mapping for ${key} is for ${mapping.kind} but the file is under incoming/${object.kind}/`);
    }
    const result = 'malformed' in row ? ({ ok: false, reason: row.malformed } as const) : rowResult(object.kind, mapping, row.values, occurrences);
    if (!result.ok) {
      rejectedByReason[result.reason] = (rejectedByReason[result.reason] ?? 0) + 1;
      const cells = 'malformed' in row ? [row.raw.replace(/\r?\n$/, '')] : Object.values(row.values).map((v) => v ?? '');
      rejectedLines.push([String(row.line), result.reason, ...cells].map(csvCell).join(','));
      continue;
    }
    accepted++;
    touched.add(result.value.customerId);
    if ('orderId' in result.value) orders.push(result.value);
    else customers.push(result.value);
    if (orders.length + customers.length >= WRITE_BATCH) await flush();
  }
  await flush();
  if (mapping === undefined) mapping = recognizeMapping(object.kind, source.headers());

  const quarantine = quarantineKeys(key);
  if (rejectedLines.length > 0) {
    const header = ['line', 'reason', ...source.headers()].map(csvCell).join(',');
    await objects.put(quarantine.rejected, [header, ...rejectedLines].join('\n') + '\n', 'text/csv');
  }
  const segments = await refreshCustomers(store, touched, deps.definitions, now);
  const report: IngestReport = {
    file: key,
    kind: object.kind,
    mapping,
    accepted,
    rejected: rejectedLines.length,
    rejectedByReason,
    quarantine: rejectedLines.length > 0 ? quarantine.rejected : undefined,
    customers: touched.size,
    segments,
  };
  await objects.put(quarantine.report, JSON.stringify(report, null, 2), 'application/json');
  await store.putFile({ key, etag, status: 'applied', report, appliedAt: now.toISOString() });
  logger.info('file applied', { key, accepted, rejected: report.rejected, customers: touched.size, rejectedByReason });
  return { status: 'applied', report };
}

function rowResult(
  kind: RecordKind,
  mapping: Mapping,
  values: Readonly<Record<string, string | undefined>>,
  occurrences: Map<string, number>,
) {
  switch (kind) {
    case 'orders': {
      // Identical rows in one file are distinct orders (CDNOW has them); count them to keep ids stable.
      const fingerprint = Object.values(values).join('\u001f');
      const occurrence = (occurrences.get(fingerprint) ?? 0) + 1;
      occurrences.set(fingerprint, occurrence);
      return toOrder(values, mapping, occurrence);
    }
    case 'customers':
      return toCustomer(values, mapping);
    case 'events':
      return { ok: false, reason: 'events files are not ingested yet' } as const;
    default:
      return kind satisfies never;
  }
}

function csvCell(value: string): string {
  const safe = neutralizeFormula(value);
  return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}
