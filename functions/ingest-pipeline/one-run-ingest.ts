import type { Mapping } from '../core/mapping.ts';
import { quarantineKeys, type IncomingObject } from '../core/object-key.ts';
import { RetryableError } from '../core/errors.ts';
import type { ObjectStore } from '../adapters/ports/objects.ts';
import { refreshCustomers, refreshSummarySchema, type RefreshOptions } from '../segmentation/refresh-customers.ts';
import { openJournal } from '../commons/batch-journal.ts';
import { RepeatFilter } from '../core/repeat-filter.ts';
import { ERASED_CUSTOMER } from './resolve-identities.ts';
import { readRows } from './read-rows.ts';
import { countsOccurrences, rejectedRows, scanRows, type CheckedRow, type IngestValue } from './ingest-rows.ts';
import { createApplier, mergesSchema } from './apply-rows.ts';
import { reportRejectedWhole, wholeFileRejection, type AdmittedFile } from './file-acceptance.ts';
import { pinnedTime, storedStartTime } from './pinned-time.ts';
import type { IngestDeps, IngestOutcome, IngestReport } from './ingest-object.ts';

/**
 * Ingests an admitted file in one run of two streaming passes: the first validates every row and
 * decides whether the file is acceptable, the second writes the ledger. Memory stays bounded by the
 * batch, whatever the file's size. Then it quarantines bad rows and re-evaluates the customers touched.
 */
export async function ingestInOneRun(given: IngestDeps, file: AdmittedFile, etag: string): Promise<IngestOutcome> {
  const { objects, store, logger } = given;
  const { object, declared, mappingVersion, maxRejectedShare } = file;
  const { key } = object;
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
  const reason = wholeFileRejection(accepted, rejected, maxRejectedShare);
  if (reason !== undefined) {
    await rejects.close();
    const report: IngestReport = { ...base, status: 'rejected', customers: 0, segments: undefined };
    await reportRejectedWhole(given, report, reason);
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

/** The refresh's model scorer, once a model has been fitted. */
export function refreshOptions(deps: IngestDeps): RefreshOptions {
  return deps.scoreModel === undefined ? {} : { scoreModel: deps.scoreModel };
}

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
