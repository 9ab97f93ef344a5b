import * as fs from 'node:fs';
import * as path from 'node:path';
import { RECORD_KINDS, type RecordKind } from '../core/fields.ts';
import { parseMapping, recognizeMapping } from '../core/mapping.ts';
import { mappingKeyFor, quarantineKeys } from '../core/object-key.ts';
import { InputError } from '../core/errors.ts';
import { s3Client } from '../adapters/aws-clients.ts';
import { s3ObjectStore } from '../adapters/object-store.ts';
import type { IngestReport } from '../ingest/ingest-object.ts';
import type { LocalStack } from './local-stack.ts';
import type { Progress } from './progress.ts';
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

/**
 * Loads local files into the local stack the way a user drops them into the bucket: upload to
 * incoming/<kind>/, with the mapping file beside it, then wait for the ingest handler's report.
 */
export async function ingestFiles(stack: LocalStack, plan: IngestPlan, options: { readonly progress: Progress }): Promise<FileResult[]> {
  const { mappingJson } = plan;
  const results: FileResult[] = [];
  for (const { file, kind, key } of plan.files) {
    const result = await options.progress.step(`ingesting ${file} as ${kind}`, async () => {
      if (mappingJson !== undefined) await stack.upload(mappingKeyFor(key), JSON.stringify(mappingJson));
      const report = await uploadAndAwaitReport(stack, key, fs.readFileSync(file));
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
    }, (r) => (r.error ? `rejected: ${r.error}` : `${r.accepted.toLocaleString('en-US')} accepted, ${r.rejected.toLocaleString('en-US')} rejected`));
    results.push(result);
  }
  return results;
}

/** What the ingest handler leaves in quarantine/<file>.report.json: a report, or the reason the file was refused. */
export type StoredReport = Partial<IngestReport> & { readonly error?: string };

/** Uploads one object to incoming/, waits for the handlers it triggers and reads the ingest report. */
export async function uploadAndAwaitReport(stack: LocalStack, key: string, body: string | Buffer): Promise<StoredReport> {
  await stack.upload(key, body);
  await stack.settled();
  const text = await s3ObjectStore(s3Client(), stack.bucketName).readText(quarantineKeys(key).report);
  if (text === undefined) throw new Error(`ingest left no report for ${key}; ${stack.deadLetters.length} dead letter(s)`);
  return JSON.parse(text) as StoredReport;
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
