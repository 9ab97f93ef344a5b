import * as fs from 'node:fs';
import { InputError } from '../core/errors.ts';
import { parseMapping, recognizeMapping, type Mapping } from '../core/mapping.ts';
import { toOrderLine, type OrderLine } from '../core/records.ts';
import { readRows } from '../ingest/read-rows.ts';
import { requireFile } from './input-file.ts';

export interface OrderFile {
  readonly lines: OrderLine[];
  readonly mapping: Mapping;
  /** Rows that failed cleaning, by reason (they are left out, as ingest quarantines them). */
  readonly rejectedByReason: Readonly<Record<string, number>>;
}

/**
 * Reads an orders file for the model commands with ingest's own streaming reader, mapping and
 * cleaning, so a file gives the models exactly the lines ingest would store. No local stack needed.
 */
export async function readOrderFile(file: string, mappingFile?: string): Promise<OrderFile> {
  requireFile(file);
  const declared = mappingFile === undefined ? undefined : parseMapping(readJson(mappingFile), mappingFile);
  if (declared !== undefined && declared.kind !== 'orders') throw new InputError(`mapping ${mappingFile ?? ''} is for ${declared.kind}, not orders`);
  const gzip = file.endsWith('.gz');
  const format = /\.jsonl(\.gz)?$/.test(file) ? 'jsonl' : 'csv';
  const source = readRows(fs.createReadStream(file), format, gzip, declared?.encoding);
  const lines: OrderLine[] = [];
  const rejectedByReason: Record<string, number> = {};
  const reject = (reason: string) => (rejectedByReason[reason] = (rejectedByReason[reason] ?? 0) + 1);
  let mapping = declared;
  for await (const row of source.rows) {
    if ('malformed' in row) {
      reject(row.malformed);
      continue;
    }
    mapping ??= recognizeMapping('orders', source.headers());
    // Every row is a purchase here (identical rows too, as in CDNOW); only ledger ids need the occurrence count.
    const result = toOrderLine(row.values, mapping, 1);
    if (result.ok) lines.push(result.value);
    else reject(result.reason);
  }
  return { lines, mapping: mapping ?? recognizeMapping('orders', source.headers()), rejectedByReason };
}

function readJson(file: string): unknown {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf-8'));
  } catch (error) {
    throw new InputError(`cannot read mapping ${file}: ${(error as Error).message}`);
  }
}
