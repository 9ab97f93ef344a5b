import { RECORD_KINDS, type RecordKind } from './fields.ts';
import { InputError } from './errors.ts';

/** The bucket's prefixes: the stack's lifecycle rules and IAM grants are written against these. */
export const PREFIXES = {
  incoming: 'incoming/',
  quarantine: 'quarantine/',
  reports: 'reports/',
  exports: 'exports/',
  /** Scratch state of files ingested in chunks (filters, rejected-row parts); expires on its own. */
  work: 'work/',
} as const;

export type IncomingObject =
  | { readonly type: 'data'; readonly kind: RecordKind; readonly key: string; readonly format: 'csv' | 'jsonl'; readonly gzip: boolean }
  | { readonly type: 'mapping'; readonly key: string };

/** Classifies an object key under incoming/{customers,orders,events}/. */
export function classifyIncomingKey(key: string): IncomingObject {
  const match = /^incoming\/([^/]+)\/(.+)$/.exec(key);
  const kind = RECORD_KINDS.find((k) => k === match?.[1]);
  if (!match || kind === undefined) {
    throw new InputError(`object ${key} is not under incoming/{${RECORD_KINDS.join(',')}}/`);
  }
  if (key.endsWith('.mapping.json')) return { type: 'mapping', key };
  const gzip = key.endsWith('.gz');
  const base = gzip ? key.slice(0, -3) : key;
  const format = /\.(jsonl|ndjson)$/i.test(base) ? 'jsonl' : /\.(csv|tsv|txt)$/i.test(base) ? 'csv' : undefined;
  if (format === undefined) throw new InputError(`object ${key} is neither .csv/.tsv/.txt nor .jsonl (optionally .gz)`);
  return { type: 'data', kind, key, format, gzip };
}

/** The mapping file that may sit next to a data file: incoming/orders/a.csv → incoming/orders/a.mapping.json. */
export function mappingKeyFor(key: string): string {
  return key.replace(/(\.gz)?$/, '').replace(/\.[^./]+$/, '') + '.mapping.json';
}

/** Where a file's rejected rows and report go: quarantine/<path below incoming/>. */
export function quarantineKeys(key: string): { readonly rejected: string; readonly report: string } {
  const rest = key.slice(PREFIXES.incoming.length);
  return { rejected: `${PREFIXES.quarantine}${rest}.rejected.csv`, report: `${PREFIXES.quarantine}${rest}.report.json` };
}
