import * as fs from 'node:fs';
import * as path from 'node:path';
import { InputError } from '../../functions/core/errors.ts';
import { classifyIncomingKey } from '../../functions/core/object-key.ts';

/** Fails with a sentence a user can act on unless `file` is a readable regular file. */
export function requireFile(file: string): void {
  let stats: fs.Stats;
  try {
    stats = fs.statSync(file);
  } catch {
    throw new InputError(`no such file: ${file}`);
  }
  if (stats.isDirectory()) throw new InputError(`${file} is a directory, not a file`);
  if (!stats.isFile()) throw new InputError(`${file} is not a regular file`);
}

/** A JSON file's value; a missing file or text that is not JSON fails with a sentence a user can act on. */
export function readJsonFile(file: string): unknown {
  requireFile(file);
  try {
    return JSON.parse(fs.readFileSync(file, 'utf-8')) as unknown;
  } catch (error) {
    throw new InputError(`${file} is not valid JSON: ${(error as Error).message}`);
  }
}

/** As requireFile, and the name says a format ingest reads (CSV or JSONL, gzip or not). */
export function requireDataFile(file: string): void {
  requireFile(file);
  const base = path.basename(file);
  try {
    classifyIncomingKey(`incoming/orders/${base}`);
  } catch {
    throw new InputError(`${file} is neither .csv/.tsv/.txt nor .jsonl/.ndjson (optionally .gz)`);
  }
}
