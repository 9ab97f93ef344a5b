import { classifyIncomingKey, mappingKeyFor, quarantineKeys, type IncomingObject } from '../core/object-key.ts';
import { InputError } from '../core/errors.ts';
import { parseMapping, type Mapping } from '../core/mapping.ts';
import type { IngestDeps, IngestOutcome, IngestReport } from './ingest-object.ts';

// When a whole file is refused rather than its bad rows quarantined, for a file of one run and a
// chunked one alike: its mapping is for another kind or left over from an earlier version of the
// file (InputError, reported by the handler with reportRefused), or it has no rows or too many bad
// ones (reportRejectedWhole). What the rows themselves refuse as they are read (a header no mapping
// recognizes, a corrupt gzip) is an InputError from read-rows.ts and core/mapping.ts, reported alike.

/** A data file ingest goes on with: its kind and format, its mapping, and the share of bad rows it may have. */
export interface AdmittedFile {
  readonly object: Extract<IncomingObject, { type: 'data' }>;
  readonly declared: Mapping | undefined;
  readonly mappingVersion: string | undefined;
  readonly maxRejectedShare: number;
}

/**
 * A mapping file is read with its data file, an upload already applied is not applied again, and a
 * data file whose mapping is for another kind, or left over, is refused (InputError).
 */
export async function admitFile(deps: IngestDeps, key: string, etag: string): Promise<{ readonly outcome: IngestOutcome } | { readonly file: AdmittedFile }> {
  const { store, logger } = deps;
  const object = classifyIncomingKey(key);
  if (object.type === 'mapping') return { outcome: { status: 'ignored', file: key, reason: 'mapping file, read with its data file' } };
  if ((await store.getFile(key, etag)) !== undefined) {
    logger.info('file already applied, nothing to do', { key, etag });
    return { outcome: { status: 'already-applied', file: key } };
  }
  const { declared, mappingVersion } = await readMapping(deps, key);
  if (declared !== undefined && declared.kind !== object.kind) {
    throw new InputError(`mapping ${mappingKeyFor(key)} is for ${declared.kind} but the file is under incoming/${object.kind}/`);
  }
  return { file: { object, declared, mappingVersion, maxRejectedShare: declared?.maxRejectedShare ?? deps.maxRejectedShare } };
}

/** Why a file is rejected whole once its rows are counted (none, or more bad ones than allowed), else undefined. */
export function wholeFileRejection(accepted: number, rejected: number, maxRejectedShare: number): string | undefined {
  const total = accepted + rejected;
  if (total === 0) return 'the file has no rows';
  return rejected / total > maxRejectedShare ? `${rejected} of ${total} rows are bad, more than the ${maxRejectedShare * 100}% allowed` : undefined;
}

/** The report of a file rejected whole, in quarantine/ beside its rejected rows. */
export async function reportRejectedWhole(deps: Pick<IngestDeps, 'objects' | 'logger'>, report: IngestReport, reason: string): Promise<void> {
  await deps.objects.put(quarantineKeys(report.file).report, JSON.stringify({ ...report, error: `file rejected whole: ${reason}` }, null, 2), 'application/json');
  deps.logger.warn('file rejected whole', { key: report.file, accepted: report.accepted, rejected: report.rejected, rejectedByReason: report.rejectedByReason });
}

/** The report of a file refused before its rows were read (an InputError), in place of the report of its rows. */
export async function reportRefused(deps: Pick<IngestDeps, 'objects' | 'logger'>, key: string, etag: string, error: InputError): Promise<void> {
  await deps.objects.put(quarantineKeys(key).report, JSON.stringify({ file: key, etag, error: error.message }, null, 2), 'application/json');
  deps.logger.warn('file rejected', { key, error: error.message });
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

function parseJson(text: string, source: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new InputError(`${source} is not valid JSON: ${(error as Error).message}`);
  }
}
