import { ListObjectsV2Command, type _Object } from '@aws-sdk/client-s3';
import { s3Client } from '../../functions/adapters/aws-clients.ts';
import { PREFIXES } from '../../functions/core/object-key.ts';
import { readReportOf, type StoredReport } from './ingest.ts';
import type { StackNames } from './target.ts';

/** Where an upload stands: its report says applied, rejected (whole) or failed (an attempt that will be retried), or none is written yet. */
export type FileStatus = 'pending' | 'applied' | 'rejected' | 'failed';

/** One upload under incoming/ as `strata files` shows it. */
export interface UploadedFileStatus {
  readonly key: string;
  readonly kind: string;
  readonly size: number;
  readonly lastModified: string;
  readonly etag: string;
  readonly status: FileStatus;
  readonly accepted: number;
  readonly rejected: number;
  readonly rejectedByReason: Readonly<Record<string, number>>;
  readonly quarantine: string | undefined;
  readonly error?: string;
}

/** What `strata files --json` prints. */
export interface FilesJson {
  readonly files: readonly UploadedFileStatus[];
  /** Objects listed under incoming/ to find the newest. */
  readonly listed: number;
  /** False when the listing stopped at its cap: the bucket holds more uploads than were looked at. */
  readonly complete: boolean;
}

/** How many objects under incoming/ one call lists at most (ten ListObjectsV2 pages), however big the bucket. */
export const MAX_LISTED = 10_000;
/** Reports read at once. */
const READ_CONCURRENCY = 8;

/**
 * The newest uploads under incoming/ (mapping files left out), newest first, each with the status
 * and counts of its report: the FILE record of an applied upload, else the report in quarantine/
 * of that very upload (same ETag), else pending. Lists page by page, at most `maxListed` objects.
 */
export async function listFiles(target: StackNames, options: { readonly limit: number; readonly maxListed?: number }): Promise<FilesJson> {
  const maxListed = options.maxListed ?? MAX_LISTED;
  const s3 = s3Client();
  const uploads: _Object[] = [];
  let listed = 0;
  let token: string | undefined;
  let complete = false;
  while (listed < maxListed) {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: target.bucketName, Prefix: PREFIXES.incoming, MaxKeys: Math.min(1000, maxListed - listed), ContinuationToken: token }));
    const objects = page.Contents ?? [];
    listed += objects.length;
    uploads.push(...objects.filter((o) => o.Key !== undefined && !o.Key.endsWith('.mapping.json') && !o.Key.endsWith('/')));
    // Only the newest `limit` are kept between pages, so memory stays bounded by the limit.
    uploads.sort(newestFirst).splice(options.limit);
    token = page.NextContinuationToken;
    if (page.IsTruncated !== true || token === undefined) {
      complete = true;
      break;
    }
  }
  const files: UploadedFileStatus[] = [];
  for (let i = 0; i < uploads.length; i += READ_CONCURRENCY) {
    files.push(...(await Promise.all(uploads.slice(i, i + READ_CONCURRENCY).map((o) => statusOf(target, o)))));
  }
  return { files, listed, complete };
}

function newestFirst(a: _Object, b: _Object): number {
  return (b.LastModified?.getTime() ?? 0) - (a.LastModified?.getTime() ?? 0) || String(a.Key).localeCompare(String(b.Key));
}

async function statusOf(target: StackNames, object: _Object): Promise<UploadedFileStatus> {
  const key = object.Key ?? '';
  const etag = (object.ETag ?? '').replace(/"/g, '');
  const report = await readReportOf(target, key, etag);
  return {
    key,
    kind: key.slice(PREFIXES.incoming.length).split('/')[0] ?? '',
    size: object.Size ?? 0,
    lastModified: (object.LastModified ?? new Date(0)).toISOString(),
    etag,
    status: statusOfReport(report),
    accepted: report?.accepted ?? 0,
    rejected: report?.rejected ?? 0,
    rejectedByReason: report?.rejectedByReason ?? {},
    quarantine: report?.quarantine,
    ...(report?.error === undefined ? {} : { error: report.error }),
  };
}

/** A report with no status is a file refused whole before any row was read (its reason in error). */
export function statusOfReport(report: StoredReport | undefined): FileStatus {
  if (report === undefined) return 'pending';
  return report.status ?? 'rejected';
}

/** The files as lines: when, status, key, counts, and why rows or the file were rejected. */
export function formatFiles(json: FilesJson): string {
  if (json.files.length === 0) return 'no uploads under incoming/';
  const lines = json.files.map((f) => {
    const when = f.lastModified.slice(0, 19).replace('T', ' ');
    const counts = f.status === 'pending' ? 'waiting for its report' : `${f.accepted.toLocaleString('en-US')} accepted, ${f.rejected.toLocaleString('en-US')} rejected`;
    const reasons = Object.entries(f.rejectedByReason)
      .sort(([, a], [, b]) => b - a)
      .map(([reason, n]) => `${reason} ${n.toLocaleString('en-US')}`)
      .join(', ');
    const why = [reasons === '' ? undefined : `rejected rows: ${reasons}`, f.error].filter((x) => x !== undefined).join('; ');
    return `${when}  ${f.status.padEnd(8)}  ${f.key}  ${counts}${why === '' ? '' : `\n    ${why}`}`;
  });
  return lines.join('\n');
}
