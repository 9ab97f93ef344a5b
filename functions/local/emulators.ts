import * as fs from 'node:fs';
import * as path from 'node:path';
import { createRequire } from 'node:module';
import type { AddressInfo, Server } from 'node:net';
import dynalite from 'dynalite';
import S3rver from 's3rver';
import sesLocal from 'aws-ses-v2-local';
import { getStoreReadonly, saveEmail, setTemplate, type Email, type Template } from 'aws-ses-v2-local/dist/store.js';

export interface Emulators {
  readonly dynamodb: string;
  readonly s3: string;
  readonly ses: string;
  readonly s3rver: S3rver;
  stop(): Promise<void>;
}

const HOST = '127.0.0.1';

// aws-ses-v2-local is CommonJS with an `exports.default`: Node's loader hands us the exports
// object, bundlers that honour __esModule hand us the function itself.
type StartSes = typeof sesLocal.default;
const startSes: StartSes = typeof sesLocal === 'function' ? (sesLocal as unknown as StartSes) : sesLocal.default;

/**
 * dynalite 4 reads Query and Scan results through `levelDb.values()` wrapped in a stream whose
 * destroy calls `iterator.return()`, a method abstract-level 3 iterators do not have: every
 * Query and Scan left its LevelDB iterator (and the snapshot it pins) open until the database
 * closed. Memtables and table files pinned by them grew the process by ~15 MB per 1,000 ingested
 * orders (1.9 GB at 100,000). Giving the iterators the `return` dynalite expects closes them.
 * Resolved from dynalite's own location so the patched classes are the ones it uses.
 */
function closeDynaliteIterators(): void {
  const level = requireFromDynalite()('abstract-level') as Record<string, { prototype: { return?: () => Promise<void>; close(): Promise<void> } }>;
  for (const name of ['AbstractIterator', 'AbstractKeyIterator', 'AbstractValueIterator']) {
    const iterator = level[name]?.prototype;
    if (iterator !== undefined && iterator.return === undefined) {
      iterator.return = function close(this: { close(): Promise<void> }) {
        return this.close();
      };
    }
  }
}

/**
 * classic-level's `next()` fetches its second batch with `nextv(1000)`, and the native iterator
 * reserves room for 1,000 entries (64 KB) however few the query returns. `close()` does not free
 * that buffer; only V8's collection of the closed iterator does, and V8, unaware of the memory,
 * lets thousands of closed iterators pile up between major collections. Each Query dynalite
 * serves (two per customer refreshed) left 64 KB behind: 100 MB of native heap at the peak of a
 * 10,000-order ingest (heaptrack). Batches of at most 64 entries (4 KB) keep that small; `nextv`
 * may return fewer entries than asked (classic-level does at its byte limit too), callers ask again.
 */
const DYNALITE_ITERATOR_BATCH = 64;

/** `require` as dynalite sees it, so the classes patched are the ones it uses. */
function requireFromDynalite(): NodeRequire {
  return createRequire(createRequire(import.meta.url).resolve('dynalite'));
}

/** `require` as dynalite's `level` sees it, for the classic-level it opens. */
function requireFromDynaliteLevel(): NodeRequire {
  return createRequire(requireFromDynalite().resolve('level'));
}

function boundDynaliteIteratorBatches(): void {
  const fromLevel = requireFromDynaliteLevel();
  const binding = createRequire(fromLevel.resolve('classic-level'))('./binding.js') as {
    iterator_nextv: ((context: object, size: number) => Promise<unknown[]>) & { bounded?: true };
  };
  const nextv = binding.iterator_nextv;
  if (nextv.bounded === true) return;
  binding.iterator_nextv = Object.assign((context: object, size: number) => nextv(context, Math.min(size, DYNALITE_ITERATOR_BATCH)), { bounded: true as const });
}

/**
 * LevelDB maps every table file it keeps open into memory (up to 1,000), and each page a read
 * touches stays resident. Once compaction settles, refreshing every customer reads the whole
 * database, so RSS grew with the data: 240 MB of mapped tables after 418,000 orders. 74 open
 * files, LevelDB's minimum, keeps at most 64 tables (2 MB each) open: 244 → 97 MB of file-backed
 * RSS over 40,000 random customer Queries on that database, and no slower.
 */
const DYNALITE_MAX_OPEN_FILES = 74;

function boundDynaliteOpenTables(): void {
  type Open = ((options: Record<string, unknown>) => Promise<void>) & { bounded?: true };
  const { ClassicLevel } = requireFromDynaliteLevel()('classic-level') as { ClassicLevel: { prototype: { _open: Open } } };
  const open = ClassicLevel.prototype._open;
  if (open.bounded === true) return;
  ClassicLevel.prototype._open = Object.assign(
    function openBounded(this: unknown, options: Record<string, unknown>) {
      return open.call(this, { maxOpenFiles: DYNALITE_MAX_OPEN_FILES, ...options });
    },
    { bounded: true as const },
  );
}

/**
 * Starts dynalite, s3rver and aws-ses-v2-local in this process on free loopback ports, with their
 * state under `dir`. dynalite and s3rver persist natively; the SES mailbox is saved on stop and
 * restored on start.
 */
export async function startEmulators(dir: string): Promise<Emulators> {
  for (const sub of ['dynamodb', 's3', 'ses']) fs.mkdirSync(path.join(dir, sub), { recursive: true });

  closeDynaliteIterators();
  boundDynaliteIteratorBatches();
  boundDynaliteOpenTables();
  const dynamo = dynalite({ path: path.join(dir, 'dynamodb'), createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 }) as Server;
  await new Promise<void>((resolve, reject) => dynamo.once('error', reject).listen(0, HOST, () => resolve()));

  const s3 = new S3rver({ address: HOST, port: 0, directory: path.join(dir, 's3'), silent: true });
  const s3Address = (await s3.run()) as AddressInfo;

  const mailboxFile = path.join(dir, 'ses', 'mailbox.json');
  restoreMailbox(mailboxFile);
  const ses = await startSes({ host: HOST, port: 0 });

  return {
    dynamodb: `http://${HOST}:${(dynamo.address() as AddressInfo).port}`,
    s3: `http://${HOST}:${s3Address.port}`,
    ses: `http://${HOST}:${(ses.address() as AddressInfo).port}`,
    s3rver: s3,
    async stop() {
      saveMailbox(mailboxFile);
      await Promise.all([
        new Promise((resolve) => dynamo.close(resolve)),
        s3.close(),
        new Promise((resolve) => {
          ses.closeAllConnections?.();
          ses.close(resolve);
        }),
      ]);
    },
  };
}

interface Mailbox {
  readonly emails: Email[];
  readonly templates: [string, Template][];
}

function saveMailbox(file: string): void {
  const store = getStoreReadonly();
  const mailbox: Mailbox = { emails: [...store.emails], templates: [...store.templates.entries()] };
  fs.writeFileSync(file, JSON.stringify(mailbox));
}

function restoreMailbox(file: string): void {
  if (!fs.existsSync(file)) return;
  const mailbox = JSON.parse(fs.readFileSync(file, 'utf-8')) as Mailbox;
  const store = getStoreReadonly();
  if (store.emails.length > 0 || store.templates.size > 0) return;
  for (const email of mailbox.emails) saveEmail(email);
  for (const [name, template] of mailbox.templates) setTemplate(name, template);
}
