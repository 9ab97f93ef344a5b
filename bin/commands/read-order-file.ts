import * as fs from 'node:fs';
import { InputError } from '../../functions/core/errors.ts';
import { parseMapping, type Mapping } from '../../functions/core/mapping.ts';
import type { OrderLine } from '../../functions/core/records.ts';
import { readRows } from '../../functions/ingest-pipeline/read-rows.ts';
import { scanRows } from '../../functions/ingest-pipeline/ingest-object.ts';
import { requireFile } from './input-file.ts';

export interface OrderFile {
  readonly lines: OrderLine[];
  readonly mapping: Mapping;
  /** Rows that failed cleaning, by reason (they are left out, as ingest quarantines them). */
  readonly rejectedByReason: Readonly<Record<string, number>>;
}

/**
 * Reads an orders file for the model commands with ingest's own streaming reader, mapping and
 * cleaning (scanRows itself), so a file gives the models exactly the lines ingest would store. No local stack needed.
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
  // Every row is a purchase here (identical rows too, as in CDNOW), so no occurrence counting; and no
  // clock: the model commands judge dates against their own calibration end.
  const { mapping } = await scanRows(source, 'orders', declared, END_OF_TIME, undefined, (row) => {
    if (row.ok === false) rejectedByReason[row.reason] = (rejectedByReason[row.reason] ?? 0) + 1;
    else if (row.ok === true && 'orderId' in row.value) lines.push(row.value);
    return undefined;
  });
  return { lines, mapping, rejectedByReason };
}

/** The latest instant a Date holds: no order is "in the future" of it. */
const END_OF_TIME = new Date(8.64e15);

function readJson(file: string): unknown {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf-8'));
  } catch (error) {
    throw new InputError(`cannot read mapping ${file}: ${(error as Error).message}`);
  }
}
