import * as fs from 'node:fs';
import * as path from 'node:path';
import { Logger } from '@aws-lambda-powertools/logger';
import { describe, expect, it } from 'vitest';
import { memoryCustomerStore, memoryRangedStore, type MemoryCustomerStore } from '../../functions/adapters/memory-stores.ts';
import { ingestObject, type IngestDeps } from '../../functions/ingest-pipeline/ingest-object.ts';
import { runChunkTask } from '../../functions/ingest-pipeline/chunked-ingest.ts';
import type { ChunkDispatcher } from '../../functions/adapters/chunk-dispatcher.ts';
import type { ChunkTask } from '../../functions/core/chunks.ts';
import { BUILTIN_SEGMENTS } from '../../functions/core/segments/builtin.ts';
import { PROJECT_ROOT } from '../../lib/project-root.ts';

/** Chunked ingest on the in-memory stores: the chunks run concurrently through runChunkTask, as the handler runs them. */
const DATA = path.join(PROJECT_ROOT, '..', 'shared', 'data');
const NOW = new Date('2020-01-01T00:00:00Z');
const logger = new Logger({ serviceName: 'test', logLevel: 'SILENT' });
const CDNOW_MAPPING = { kind: 'orders', columns: { customerId: 'sample_id', orderedAt: 'date', amount: 'dollar_value', quantity: 'number_of_cds' } };

/** Runs dispatched tasks concurrently, each retried twice on failure like a Lambda async invocation. */
function concurrentDispatcher(run: (task: ChunkTask) => Promise<void>): ChunkDispatcher & { settled(): Promise<void>; readonly failures: unknown[] } {
  const pending = new Set<Promise<void>>();
  const failures: unknown[] = [];
  return {
    failures,
    async dispatch(tasks) {
      for (const task of tasks) {
        const p = (async () => {
          await new Promise((resolve) => setImmediate(resolve));
          for (let attempt = 0; attempt < 3; attempt++) {
            try {
              return await run(task);
            } catch (error) {
              failures.push(error);
            }
          }
          throw new Error(`chunk ${task.phase} ${task.chunk} failed three times`);
        })();
        pending.add(p);
        void p.finally(() => pending.delete(p)).catch(() => undefined);
      }
    },
    async settled() {
      while (pending.size > 0) await Promise.all([...pending]);
    },
  };
}

async function ingest(files: Record<string, string | Buffer>, key: string, chunkBytes: number | undefined, store: MemoryCustomerStore = memoryCustomerStore()) {
  const objects = memoryRangedStore(files);
  const deps: IngestDeps = { objects, store, logger, definitions: BUILTIN_SEGMENTS, now: NOW, maxRejectedShare: 0.2 };
  if (chunkBytes === undefined) return { store, objects, outcome: await ingestObject(deps, key, 'etag-1'), failures: [] };
  const dispatcher = concurrentDispatcher((task) => runChunkTask(chunked, chunking, task));
  const chunking = { objects, dispatcher, chunkBytes };
  const chunked: IngestDeps = { ...deps, chunking };
  const outcome = await ingestObject(chunked, key, 'etag-1');
  await dispatcher.settled();
  return { store, objects, outcome, failures: dispatcher.failures };
}

/** Everything held about every customer, in a comparable order. */
async function state(store: MemoryCustomerStore) {
  const ids = store.customerIds().sort();
  return Promise.all(ids.map(async (id) => ({ id, items: (await store.exportCustomer(id)).map((i) => JSON.stringify(i)).sort() })));
}

const quarantineOf = (objects: ReturnType<typeof memoryRangedStore>, key: string) => objects.objects.get(key)?.toString('utf-8');

describe('a file split into byte-range chunks', () => {
  const cdnow = fs.readFileSync(path.join(DATA, 'cdnow', 'cdnow_sample.csv'));
  const files = { 'incoming/orders/cdnow.csv': cdnow, 'incoming/orders/cdnow.mapping.json': JSON.stringify(CDNOW_MAPPING) };

  it('ends in exactly the state of one run, for any chunk size', async () => {
    const whole = await ingest(files, 'incoming/orders/cdnow.csv', undefined);
    expect(whole.outcome.status).toBe('applied');
    const expected = await state(whole.store);
    expect(expected.length).toBe(2357);
    for (const chunkBytes of [50_000, 7_777]) {
      const split = await ingest(files, 'incoming/orders/cdnow.csv', chunkBytes);
      expect(split.outcome).toEqual({ status: 'chunked', file: 'incoming/orders/cdnow.csv', chunks: Math.ceil(cdnow.length / chunkBytes) });
      expect(split.failures).toEqual([]);
      expect(await state(split.store)).toEqual(expected);
      const report = (await split.store.getFile('incoming/orders/cdnow.csv', 'etag-1'))?.report as Record<string, unknown>;
      expect(report).toMatchObject({ status: 'applied', accepted: 6919, rejected: 0, customers: 2357, chunks: Math.ceil(cdnow.length / chunkBytes) });
    }
  });

  it('counts identical rows across chunks as in one run, and quarantines bad rows with their line in the file', async () => {
    // Identical rows far apart land in different chunks; a bad row sits in each part of the file.
    const header = 'customer_id,date,amount\n';
    // Each good row occurs ten times, 40 rows apart.
    const rows = Array.from({ length: 400 }, (_, i) => (i % 97 === 50 ? `c${i},not a date,1\n` : `c${i % 40},2019-0${1 + ((i % 40) % 9)}-1${i % 4},${((i % 40) % 7) + 1}.50\n`));
    const body = header + rows.join('');
    const input = { 'incoming/orders/dupes.csv': body };
    const whole = await ingest(input, 'incoming/orders/dupes.csv', undefined);
    const split = await ingest(input, 'incoming/orders/dupes.csv', 700);
    expect(await state(split.store)).toEqual(await state(whole.store));
    const rejected = quarantineOf(split.objects, 'quarantine/orders/dupes.csv.rejected.csv');
    expect(rejected).toBe(quarantineOf(whole.objects, 'quarantine/orders/dupes.csv.rejected.csv'));
    expect(rejected).toContain('\n52,unreadable order date,c50,not a date,1\n');
    const deferred = (await split.store.listChunkStates('incoming/orders/dupes.csv', 'etag-1', 'apply')).map((s) => Number(s.deferred));
    expect(deferred.reduce((a, b) => a + b, 0)).toBe(400 - 4);
    expect((await whole.store.loadCustomer('c3')).orders).toHaveLength(10);
  });

  it('applies nothing when the bad rows of all chunks together pass the limit', async () => {
    const body = 'customer_id,date,amount\n' + Array.from({ length: 300 }, (_, i) => (i >= 200 ? `c${i},bad,1\n` : `c${i},2019-01-01,2\n`)).join('');
    const split = await ingest({ 'incoming/orders/bad.csv': body }, 'incoming/orders/bad.csv', 500);
    expect(split.store.customerIds()).toEqual([]);
    const report = JSON.parse(quarantineOf(split.objects, 'quarantine/orders/bad.csv.report.json') ?? '{}') as Record<string, unknown>;
    expect(report).toMatchObject({ status: 'rejected', accepted: 200, rejected: 100 });
    expect(await split.store.getFile('incoming/orders/bad.csv', 'etag-1')).toBeUndefined();
  });

  it('reads a CSV whose quoted fields hold line breaks in one run instead', async () => {
    const body = 'customer_id,date,amount,category\n' + Array.from({ length: 200 }, (_, i) => `c${i % 30},2019-02-0${1 + (i % 9)},${i % 5}.25,"line one\nline two ${i % 3}"\n`).join('');
    const input = { 'incoming/orders/notes.csv': body };
    const whole = await ingest(input, 'incoming/orders/notes.csv', undefined);
    const split = await ingest(input, 'incoming/orders/notes.csv', 900);
    expect(split.outcome.status).toBe('chunked');
    expect(await state(split.store)).toEqual(await state(whole.store));
    expect((await split.store.getFile('incoming/orders/notes.csv', 'etag-1'))?.report).toMatchObject({ accepted: 200 });
  });

  it('counts the rows of an erased customer as rejected with their reason, as one run does', async () => {
    const reports = [];
    for (const chunkBytes of [undefined, 7_777]) {
      const store = memoryCustomerStore();
      await ingest({ 'incoming/orders/first.csv': 'customer_id,order_id,ordered_at,amount\n1,x1,1997-01-01,10\n' }, 'incoming/orders/first.csv', undefined, store);
      await store.forgetCustomer('1', NOW);
      const run = await ingest(files, 'incoming/orders/cdnow.csv', chunkBytes, store);
      expect(run.failures).toEqual([]);
      reports.push(JSON.parse(quarantineOf(run.objects, 'quarantine/orders/cdnow.csv.report.json') ?? '{}') as Record<string, unknown>);
      expect(store.customerIds()).not.toContain('1');
    }
    const [whole, chunked] = reports;
    // Customer 1 has 4 orders in the CDNOW sample.
    expect(whole).toMatchObject({ accepted: 6915, rejected: 4, rejectedByReason: { 'erased customer': 4 } });
    expect(chunked).toMatchObject({ accepted: 6915, rejected: 4, rejectedByReason: { 'erased customer': 4 } });
  });

  it('records which upload of the mapping it read, so a new version of the file does not silently reuse it', async () => {
    const objects = memoryRangedStore(files);
    const store = memoryCustomerStore();
    const deps: IngestDeps = { objects, store, logger, definitions: BUILTIN_SEGMENTS, now: NOW, maxRejectedShare: 0.2 };
    const dispatcher = concurrentDispatcher((task) => runChunkTask(chunked, chunking, task));
    const chunking = { objects, dispatcher, chunkBytes: 50_000 };
    const chunked: IngestDeps = { ...deps, chunking };
    expect(await ingestObject(chunked, 'incoming/orders/cdnow.csv', 'etag-1')).toMatchObject({ status: 'chunked' });
    await dispatcher.settled();
    expect(dispatcher.failures).toEqual([]);
    expect((await store.getFile('incoming/orders/cdnow.csv', 'etag-1'))?.mappingVersion).toEqual(expect.any(String));
    await expect(ingestObject(chunked, 'incoming/orders/cdnow.csv', 'etag-2')).rejects.toThrow(/was already used for an earlier version/);
  });

  it('retries a chunk that fails once and ends in the same state, nothing doubled', async () => {
    const whole = await ingest(files, 'incoming/orders/cdnow.csv', undefined);
    const store = memoryCustomerStore();
    let calls = 0;
    const putOrders = store.putOrders.bind(store);
    // The fifth batch of orders fails after being half written, as a timeout would leave it.
    store.putOrders = async (orders, source) => {
      calls++;
      if (calls === 5) {
        await putOrders(orders.slice(0, Math.floor(orders.length / 2)), source);
        throw new Error('connection reset');
      }
      return putOrders(orders, source);
    };
    const split = await ingest(files, 'incoming/orders/cdnow.csv', 30_000, store);
    expect(split.failures.map(String)).toEqual(['Error: connection reset']);
    expect(await state(split.store)).toEqual(await state(whole.store));
  });

  it('resumes after a redelivered upload event without redoing finished chunks', async () => {
    const objects = memoryRangedStore(files);
    const store = memoryCustomerStore();
    const ran: string[] = [];
    // The first run's dispatcher loses every task after the first two validations (a crash).
    let budget = 2;
    const deps: IngestDeps = { objects, store, logger, definitions: BUILTIN_SEGMENTS, now: NOW, maxRejectedShare: 0.2 };
    const lossy = concurrentDispatcher(async (task) => {
      if (budget-- <= 0) return;
      ran.push(`${task.phase}${task.chunk}`);
      await runChunkTask(first, firstChunking, task);
    });
    const firstChunking = { objects, dispatcher: lossy, chunkBytes: 50_000 };
    const first: IngestDeps = { ...deps, chunking: firstChunking };
    await ingestObject(first, 'incoming/orders/cdnow.csv', 'etag-1');
    await lossy.settled();
    expect(await store.getFile('incoming/orders/cdnow.csv', 'etag-1')).toBeUndefined();
    const done = (await store.listChunkStates('incoming/orders/cdnow.csv', 'etag-1', 'validate')).map((s) => s.chunk);
    expect(done).toHaveLength(2);

    const again = concurrentDispatcher(async (task) => {
      ran.push(`${task.phase}${task.chunk}`);
      await runChunkTask(second, secondChunking, task);
    });
    const secondChunking = { objects, dispatcher: again, chunkBytes: 50_000 };
    const second: IngestDeps = { ...deps, chunking: secondChunking };
    await ingestObject(second, 'incoming/orders/cdnow.csv', 'etag-1');
    await again.settled();
    const validations = ran.filter((r) => r.startsWith('validate'));
    expect(validations).toHaveLength(5);
    expect(new Set(validations).size).toBe(5);
    const whole = await ingest(files, 'incoming/orders/cdnow.csv', undefined);
    expect(await state(store)).toEqual(await state(whole.store));
  });
});
