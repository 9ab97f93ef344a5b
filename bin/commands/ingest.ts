import * as fs from 'node:fs';
import * as path from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { RECORD_KINDS, type RecordKind } from '../../functions/core/fields.ts';
import { parseMapping, recognizeMapping } from '../../functions/core/mapping.ts';
import { mappingKeyFor, quarantineKeys } from '../../functions/core/object-key.ts';
import { InputError } from '../../functions/core/errors.ts';
import { dynamoDocumentClient, s3Client } from '../../functions/adapters/aws-clients.ts';
import { dynamoCustomerStore } from '../../functions/adapters/customer-store.ts';
import { s3ObjectStore } from '../../functions/adapters/object-store.ts';
import type { IngestReport } from '../../functions/ingest-pipeline/ingest-object.ts';
import type { LocalStack } from '../../functions/local/local-stack.ts';
import { createBar, type Progress } from './progress.ts';
import type { StackNames } from './target.ts';
import { requireDataFile, requireFile } from './input-file.ts';

export interface FileResult {
  readonly file: string;
  readonly key: string;
  readonly status: string;
  readonly accepted: number;
  readonly rejected: number;
  readonly rejectedByReason: Readonly<Record<string, number>>;
  readonly quarantine: string | undefined;
  readonly error?: string;
  readonly mapping?: IngestReport['mapping'];
}

/** What ingestFiles will upload: checked before the stack starts, so a bad argument costs no stack start. */
export interface IngestPlan {
  readonly mappingJson: unknown;
  readonly files: readonly { readonly file: string; readonly kind: RecordKind; readonly key: string }[];
}

/** Checks every file and the mapping and settles each file's kind, or fails with the reason. */
export function planIngest(files: readonly string[], options: { readonly mappingFile?: string; readonly kind?: RecordKind }): IngestPlan {
  const mappingJson = options.mappingFile === undefined ? undefined : readJson(options.mappingFile);
  const mapping = mappingJson === undefined ? undefined : parseMapping(mappingJson, options.mappingFile ?? '');
  return {
    mappingJson,
    files: files.map((file) => {
      requireDataFile(file);
      const kind = options.kind ?? mapping?.kind ?? guessKind(file);
      return { file, kind, key: `incoming/${kind}/${path.basename(file)}` };
    }),
  };
}

/** What `strata ingest --no-wait` says of a file: uploaded, its report still to come (strata files follows it). */
export interface UploadedFile {
  readonly file: string;
  readonly key: string;
  readonly etag: string;
  readonly status: 'pending';
}

/** Uploads larger than this go up in parts of this size (S3's multipart upload), a few at a time. */
const PART_SIZE = 8 * 1024 * 1024;

/**
 * Loads local files into a stack the way a user drops them into its bucket: each file goes to
 * incoming/<kind>/ (its mapping file beside it), then the ingest Lambda's report of that very
 * upload is awaited, or with `wait: false` not. Every call is an SDK call against the target, so
 * the embedded stack (whose S3 notifications the `strata local up` process, or this one, serves)
 * and a deployed one are the same code path.
 */
export async function ingestFiles(target: StackNames, plan: IngestPlan, options: { readonly progress: Progress; readonly timeoutMs?: number; readonly bar?: boolean; readonly wait: false }): Promise<UploadedFile[]>;
export async function ingestFiles(target: StackNames, plan: IngestPlan, options: { readonly progress: Progress; readonly timeoutMs?: number; readonly bar?: boolean; readonly wait?: true }): Promise<FileResult[]>;
export async function ingestFiles(
  target: StackNames,
  plan: IngestPlan,
  options: { readonly progress: Progress; readonly timeoutMs?: number; readonly bar?: boolean; readonly wait?: boolean },
): Promise<FileResult[] | UploadedFile[]> {
  const { mappingJson } = plan;
  const wait = options.wait !== false;
  const timeoutMs = options.timeoutMs ?? DEFAULT_REPORT_TIMEOUT_MS;
  const results: (FileResult | UploadedFile)[] = [];
  for (const { file, kind, key } of plan.files) {
    const label = `${wait ? 'ingesting' : 'uploading'} ${file} as ${kind}`;
    const result = await options.progress.step(label, async (): Promise<FileResult | UploadedFile> => {
      const bar = createBar(`  • ${label} …`, { enabled: options.bar !== false });
      try {
        if (mappingJson !== undefined) await s3Client().send(new PutObjectCommand({ Bucket: target.bucketName, Key: mappingKeyFor(key), Body: JSON.stringify(mappingJson), ContentType: 'application/json' }));
        const etag = await uploadFile(target.bucketName, key, file, (loaded, total) => bar.update(loaded, total, `${megabytes(loaded)} of ${megabytes(total)}`));
        if (!wait) return { file, key, etag, status: 'pending' };
        const started = performance.now();
        const report = await awaitOwnReport(async () => {
          bar.update(0, undefined, `uploaded; waiting for the ingest report (${((performance.now() - started) / 1000).toFixed(0)} s)`);
          return readReportOf(target, key, etag);
        }, { timeoutMs, what: `${key} (ETag ${etag})` });
        return fileResult(file, key, report);
      } finally {
        bar.end();
      }
    }, (r) => ('etag' in r ? 'uploaded' : r.error ? `rejected: ${r.error}` : `${r.accepted.toLocaleString('en-US')} accepted, ${r.rejected.toLocaleString('en-US')} rejected`));
    results.push(result);
  }
  return results as FileResult[] | UploadedFile[];
}

/** Uploads a file under `key` (in parts when it is big) and answers its ETag, unquoted as S3 events carry it. */
async function uploadFile(bucket: string, key: string, file: string, onProgress: (loaded: number, total: number) => void): Promise<string> {
  const total = fs.statSync(file).size;
  const upload = new Upload({ client: s3Client(), params: { Bucket: bucket, Key: key, Body: fs.createReadStream(file) }, partSize: PART_SIZE, queueSize: 2, leavePartsOnError: false });
  upload.on('httpUploadProgress', (p) => onProgress(p.loaded ?? 0, total));
  const stored = await upload.done();
  if (stored.ETag === undefined) throw new Error(`S3 stored ${key} without an ETag`);
  return stored.ETag.replace(/"/g, '');
}

function megabytes(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

function fileResult(file: string, key: string, report: StoredReport): FileResult {
  return {
    file,
    key,
    status: report.status ?? 'rejected',
    accepted: report.accepted ?? 0,
    rejected: report.rejected ?? 0,
    rejectedByReason: report.rejectedByReason ?? {},
    quarantine: report.quarantine,
    ...(report.error === undefined ? {} : { error: report.error }),
    ...(report.mapping === undefined ? {} : { mapping: report.mapping }),
  };
}

/**
 * The report of one upload (key and ETag), if the ingest Lambda has written it: the FILE record of
 * an applied upload is keyed by its ETag; report.json in quarantine/ (which the next upload of the
 * same name overwrites) carries the ETag it reports on.
 */
export async function readReportOf(target: StackNames, key: string, etag: string): Promise<StoredReport | undefined> {
  const record = await dynamoCustomerStore(dynamoDocumentClient(), target.tableName).getFile(key, etag);
  if (record !== undefined) return record.report as StoredReport;
  const text = await s3ObjectStore(s3Client(), target.bucketName).readText(quarantineKeys(key).report);
  const report = text === undefined ? undefined : (JSON.parse(text) as StoredReport);
  return report?.etag === etag ? report : undefined;
}

/** What the ingest handler leaves in quarantine/<file>.report.json: a report, or the reason the file was refused. */
export type StoredReport = Partial<Omit<IngestReport, 'status'>> & { readonly status?: IngestReport['status'] | 'failed'; readonly error?: string };

/** How long the CLI waits for its upload's report by default. */
const DEFAULT_REPORT_TIMEOUT_MS = 15 * 60_000;

/**
 * Uploads one object to incoming/ of a LocalStack object (the demo and tests), waits for the report
 * of this very upload (matched by its ETag, see readReportOf) and reads it.
 */
export async function uploadAndAwaitReport(stack: LocalStack, key: string, body: string | Buffer, options: { readonly timeoutMs?: number } = {}): Promise<StoredReport> {
  const { etag } = await stack.upload(key, body);
  await stack.settled();
  const read = () => readReportOf(stack, key, etag);
  const what = `${key} (ETag ${etag})`;
  // This process's own handlers are done once settled; a `local up` elsewhere runs them in its own time.
  if (!stack.attached) {
    const report = await read();
    if (report === undefined) throw new Error(`ingest left no report for ${what}; ${stack.deadLetters.length} dead letter(s)`);
    return report;
  }
  return awaitOwnReport(read, { timeoutMs: options.timeoutMs ?? DEFAULT_REPORT_TIMEOUT_MS, what });
}

/**
 * Polls for a report until one is final: a report of a failed attempt is not, since the handler
 * retries it twice, nor is a read that failed. At the timeout the last failed attempt is the
 * answer, or the wait fails saying so.
 */
export async function awaitOwnReport(
  read: () => Promise<StoredReport | undefined>,
  options: { readonly timeoutMs: number; readonly what: string; readonly pollMs?: number; readonly clock?: () => number; readonly sleep?: (ms: number) => Promise<void> },
): Promise<StoredReport> {
  const clock = options.clock ?? Date.now;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const deadline = clock() + options.timeoutMs;
  let pollMs = options.pollMs ?? 100;
  let failedAttempt: StoredReport | undefined;
  let readError: unknown;
  for (;;) {
    // The other process may be rewriting report.json as it is read (s3rver then aborts the GET): read again.
    const report = await read().catch((error: unknown) => void (readError = error));
    if (report !== undefined && report.status !== 'failed') return report;
    failedAttempt = report ?? failedAttempt;
    if (clock() >= deadline) break;
    await sleep(Math.min(pollMs, Math.max(0, deadline - clock())));
    pollMs = Math.min(pollMs * 2, 2_000);
  }
  if (failedAttempt !== undefined) return failedAttempt;
  throw new Error(
    `no report for ${options.what} within ${Math.round(options.timeoutMs / 1000)} s${readError === undefined ? '' : ` (last read failed: ${String(readError)})`}: the stack's ingest function may still be working on it: follow it with strata files (its report will be in quarantine/), or wait longer with --timeout SECONDS`,
  );
}

/** The kind from a folder named customers/orders/events, else from the header line. */
function guessKind(file: string): RecordKind {
  const folder = path.basename(path.dirname(path.resolve(file)));
  const byFolder = RECORD_KINDS.find((k) => k === folder);
  if (byFolder !== undefined) return byFolder;
  const header = fs.readFileSync(file, 'utf-8').slice(0, 4096).split(/\r?\n/)[0] ?? '';
  const headers = header.split(/[,;\t|]/).map((h) => h.trim().replace(/^"|"$/g, ''));
  for (const kind of ['orders', 'events', 'customers'] as const) {
    try {
      recognizeMapping(kind, headers);
      return kind;
    } catch {
      // not this kind; try the next
    }
  }
  throw new InputError(`cannot tell whether ${file} holds customers, orders or events; pass --kind or --mapping`);
}

function readJson(file: string): unknown {
  requireFile(file);
  try {
    return JSON.parse(fs.readFileSync(file, 'utf-8'));
  } catch (error) {
    throw new InputError(`cannot read mapping ${file}: ${(error as Error).message}`);
  }
}
