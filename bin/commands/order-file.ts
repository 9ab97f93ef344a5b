import * as fs from 'node:fs';
import * as path from 'node:path';
import { Logger } from '@aws-lambda-powertools/logger';
import { fileObjectStore, memoryCustomerStore } from '../../functions/adapters/memory-stores.ts';
import { DEFAULT_MAX_REJECTED_SHARE } from '../../functions/commons/config.ts';
import { ingestObject } from '../../functions/ingest-pipeline/ingest-object.ts';
import { InputError } from '../../functions/core/errors.ts';
import { parseMapping, type Mapping } from '../../functions/core/mapping.ts';
import { mappingKeyFor } from '../../functions/core/object-key.ts';
import type { OrderLine } from '../../functions/core/records.ts';
import { requireDataFile, requireFile } from './input-file.ts';

export interface OrderFile {
  /** The order lines ingest would store, each customer's together and in file order. */
  readonly lines: OrderLine[];
  readonly mapping: Mapping;
  /** Rows that failed cleaning, by reason (they are left out, as ingest quarantines them). */
  readonly rejectedByReason: Readonly<Record<string, number>>;
}

/**
 * Reads an orders file (CSV or JSONL, gzip or not) for the commands that work on a file directly
 * (rfm, model, clusters, lookalike) by ingesting it into memory with the ingest Lambda's own code:
 * the same mapping (--mapping, else a .mapping.json beside the file, else the recognized headers),
 * cleaning, quarantine and whole-file rules, ids of identical lines and refusal of orders dated
 * after `now`. No local stack needed.
 */
export async function readOrderFile(file: string, options: { mappingFile?: string | undefined; now: Date }): Promise<OrderFile> {
  requireDataFile(file);
  const name = path.basename(file).replace(/[^A-Za-z0-9._-]/g, '_');
  const key = `incoming/orders/${name}`;
  const objects = fileObjectStore({ [key]: path.resolve(file) });
  const mappingFile = options.mappingFile ?? siblingMapping(file);
  if (mappingFile !== undefined) {
    requireFile(mappingFile);
    const text = fs.readFileSync(mappingFile, 'utf-8');
    const declared = parseMapping(readJson(text, mappingFile), mappingFile);
    if (declared.kind !== 'orders') throw new InputError(`mapping ${mappingFile} is for ${declared.kind}, not orders`);
    await objects.put(mappingKeyFor(key), text, 'application/json');
  }
  const store = memoryCustomerStore();
  const logger = new Logger({ serviceName: 'strata-cli', logLevel: 'SILENT' });
  const outcome = await ingestObject({ objects, store, logger, definitions: [], now: options.now, maxRejectedShare: DEFAULT_MAX_REJECTED_SHARE }, key, 'file');
  if (outcome.status !== 'applied') throw new InputError(`${file} was ${outcome.status}${'reason' in outcome ? `: ${outcome.reason}` : ''}`);
  const lines: OrderLine[] = [];
  for (const customerId of store.customerIds()) lines.push(...(await store.loadCustomer(customerId)).orders);
  return { lines, mapping: outcome.report.mapping, rejectedByReason: outcome.report.rejectedByReason };
}

/** Each customer's lines, customers in the order the file first names them. */
export function linesByCustomer(lines: readonly OrderLine[]): Map<string, OrderLine[]> {
  const grouped = new Map<string, OrderLine[]>();
  for (const line of lines) {
    const held = grouped.get(line.customerId);
    if (held === undefined) grouped.set(line.customerId, [line]);
    else held.push(line);
  }
  return grouped;
}

/** The mapping file beside a data file on disk, named as ingest names it beside an object. */
function siblingMapping(file: string): string | undefined {
  const sibling = path.join(path.dirname(file), path.basename(mappingKeyFor(`incoming/orders/${path.basename(file)}`)));
  return fs.existsSync(sibling) ? sibling : undefined;
}

function readJson(text: string, file: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new InputError(`cannot read mapping ${file}: ${(error as Error).message}`);
  }
}
