import * as fs from 'node:fs';
import * as path from 'node:path';
import { Logger } from '@aws-lambda-powertools/logger';
import { fileObjectStore, memoryCustomerStore } from '../../functions/adapters/memory-stores.ts';
import { ingestObject } from '../../functions/ingest-pipeline/ingest-object.ts';
import { InputError } from '../../functions/core/errors.ts';
import type { OrderLine } from '../../functions/core/records.ts';
import { requireDataFile, requireFile } from './input-file.ts';

/**
 * Reads an orders file (CSV or JSONL, gzip or not) through the real ingest path (mapping,
 * cleaning, duplicates, cancellations) into memory, for commands that work on a file directly
 * (rfm, model). Returns each customer's order lines.
 */
export async function readOrderFile(file: string, options: { mappingFile?: string; now: Date }): Promise<Map<string, OrderLine[]>> {
  requireDataFile(file);
  if (options.mappingFile !== undefined) requireFile(options.mappingFile);
  const name = path.basename(file).replace(/[^A-Za-z0-9._-]/g, '_');
  const key = `incoming/orders/${name}`;
  const objects = fileObjectStore({ [key]: path.resolve(file) });
  const mappingKey = key.replace(/(\.csv|\.jsonl)?(\.gz)?$/i, '.mapping.json');
  const mappingFile = options.mappingFile ?? [file.replace(/(\.csv|\.jsonl|\.txt)?(\.gz)?$/i, '.mapping.json')].find((f) => f !== file && fs.existsSync(f));
  if (mappingFile !== undefined) await objects.put(mappingKey, fs.readFileSync(mappingFile, 'utf-8'), 'application/json');
  const store = memoryCustomerStore();
  const logger = new Logger({ serviceName: 'strata-cli', logLevel: 'SILENT' });
  const outcome = await ingestObject({ objects, store, logger, definitions: [], now: options.now, maxRejectedShare: 0.2 }, key, 'file');
  if (outcome.status === 'rejected' || outcome.status === 'ignored') throw new InputError(`${file} was ${outcome.status}: ${outcome.reason}`);
  const lines = new Map<string, OrderLine[]>();
  for (const customerId of store.customerIds()) {
    const { orders } = await store.loadCustomer(customerId);
    if (orders.length > 0) lines.set(customerId, orders);
  }
  return lines;
}
