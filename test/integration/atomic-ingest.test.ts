import { Logger } from '@aws-lambda-powertools/logger';
import { describe, expect, it } from 'vitest';
import { memoryCustomerStore, memoryRangedStore, type MemoryCustomerStore } from '../../functions/adapters/memory-stores.ts';
import type { CustomerStore } from '../../functions/adapters/ports/customers.ts';
import { ingestObject, type IngestDeps } from '../../functions/ingest-pipeline/ingest-object.ts';
import { BUILTIN_SEGMENTS } from '../../functions/core/segments/builtin.ts';
import { runChunkTask } from '../../functions/ingest-pipeline/chunked-ingest.ts';
import type { ChunkDispatcher } from '../../functions/adapters/chunk-dispatcher.ts';
import type { ChunkTask } from '../../functions/core/chunks.ts';
import { failingAt as failingStore } from './failing-store.ts';

/**
 * A file is applied whole or not at all: whichever write of a run fails, retrying the event with a
 * healthy store (later, as Lambda's async retry does) ends in exactly the state of one clean run:
 * ledger, profiles, memberships, transitions, merges, the quarantine report and the FILE record.
 */
const logger = new Logger({ serviceName: 'test', logLevel: 'SILENT' });
const NOW = new Date('2024-06-01T00:00:00Z');
const RETRY_AT = new Date('2024-06-01T00:07:00Z');
const WRITES = new Set(['putFile', 'putChunkState', 'putOrders', 'putEvents', 'putContacts', 'mergeCustomer', 'applyRefresh', 'suppress', 'putPopulation', 'putSegmentSnapshot']);

const failingAt = (store: Parameters<typeof failingStore>[0], n: number) => failingStore(store, n, WRITES);

// Batches of 500 rows: each file spans several write batches, so a failure can fall between them.
const orderRows = Array.from({ length: 1_150 }, (_, i) => `o${i % 170},2024-0${1 + (i % 5)}-${String(1 + (i % 27)).padStart(2, '0')},${(i % 13) + 0.5}`);
const eventRows = Array.from({ length: 1_050 }, (_, i) => `o${i % 150},${['page_view', 'cart_add', 'login'][i % 3]},2024-05-${String(1 + (i % 28)).padStart(2, '0')}T10:00:00Z`);
// Customers 0..499, then some of them again, now and then under a second id (same address, or same loyalty card).
const customerRows = Array.from({ length: 800 }, (_, i) => {
  const person = i % 500;
  const id = i >= 500 && i % 7 === 0 ? `alias${i}` : `o${person}`;
  const email = i % 11 === 3 ? '' : `p${person}@example.com`;
  const card = i % 5 === 0 ? `LY-${person}` : '';
  return `${id},${email},${card},Name${person % 40},${['GB', 'US', 'FR'][person % 3]}`;
});

const FILES = {
  'incoming/orders/orders.csv': `customer_id,date,amount\n${orderRows.join('\n')}\n`,
  'incoming/events/events.csv': `customer_id,type,occurred_at\n${eventRows.join('\n')}\n`,
  'incoming/customers/customers.csv': `customer_id,email,loyalty_id,first_name,country\n${customerRows.join('\n')}\n`,
};
/** What the store holds before the file under test: earlier files of the other kinds. */
const BEFORE: Record<string, readonly string[]> = {
  'incoming/orders/orders.csv': ['incoming/customers/customers.csv'],
  'incoming/events/events.csv': ['incoming/orders/orders.csv'],
  'incoming/customers/customers.csv': ['incoming/orders/orders.csv'],
};

function depsFor(store: CustomerStore, objects: ReturnType<typeof memoryRangedStore>, now: Date): IngestDeps {
  return { objects, store, logger, definitions: BUILTIN_SEGMENTS, now, maxRejectedShare: 0.2 };
}

async function prepared(key: string) {
  const store = memoryCustomerStore();
  const objects = memoryRangedStore(FILES);
  for (const earlier of BEFORE[key] ?? []) expect((await ingestObject(depsFor(store, objects, NOW), earlier, 'e0')).status).toBe('applied');
  return { store, objects };
}

/** Everything the file leaves behind, comparable across runs. */
async function finalState(store: MemoryCustomerStore, objects: ReturnType<typeof memoryRangedStore>, key: string) {
  const ids = store.customerIds().sort();
  const customers = await Promise.all(ids.map(async (id) => ({ id, items: (await store.exportCustomer(id)).map((i) => JSON.stringify(i)).sort() })));
  const report = objects.objects.get(key.replace('incoming/', 'quarantine/') + '.report.json')?.toString('utf-8');
  return {
    customers,
    transitions: store.transitions().map((t) => JSON.stringify(t)).sort(),
    merges: store.merges().map((m) => JSON.stringify(m)).sort(),
    file: await store.getFile(key, 'e1'),
    report: report === undefined ? undefined : (JSON.parse(report) as unknown),
  };
}

describe('a write failing part-way through a file', () => {
  it.each(Object.keys(FILES))('%s: a retry after a failure at any write ends in the state of one clean run', async (key) => {
    const cleanRun = async (now: Date) => {
      const clean = await prepared(key);
      const counting = failingAt(clean.store, 0);
      expect((await ingestObject(depsFor(counting.store, clean.objects, now), key, 'e1')).status).toBe('applied');
      return { state: await finalState(clean.store, clean.objects, key), writeCalls: counting.calls() };
    };
    const { state: expected, writeCalls } = await cleanRun(NOW);
    // A failure before the file's first write leaves nothing of it: the retry is a clean run at its own time.
    const { state: expectedLater } = await cleanRun(RETRY_AT);
    // Several write batches, the refresh and the FILE record.
    expect(writeCalls).toBeGreaterThan(4);

    for (let n = 1; n <= writeCalls; n++) {
      const run = await prepared(key);
      const failing = failingAt(run.store, n);
      await expect(ingestObject(depsFor(failing.store, run.objects, NOW), key, 'e1')).rejects.toThrow(`injected failure of write ${n}`);
      expect(await run.store.getFile(key, 'e1'), `no FILE record after failing at write ${n}`).toBeUndefined();
      const began = (await run.store.listChunkStates(key, 'e1', 'started')).length > 0;
      const retried = await ingestObject(depsFor(run.store, run.objects, RETRY_AT), key, 'e1');
      expect(retried.status).toBe('applied');
      expect(await finalState(run.store, run.objects, key), `state after failing at write ${n} of ${writeCalls} and retrying`).toEqual(began ? expected : expectedLater);
    }
  }, 180_000);
});

describe('a row whose item DynamoDB would refuse', () => {
  const big = 'x'.repeat(600 * 1024);
  const cases = [
    { key: 'incoming/orders/big.csv', header: 'customer_id,date,amount,category', row: (i: number, text: string) => `b${i},2024-05-0${1 + (i % 9)},${i}.50,${text}` },
    { key: 'incoming/events/big.csv', header: 'customer_id,type,occurred_at,note', row: (i: number, text: string) => `b${i},page_view,2024-05-0${1 + (i % 9)}T10:00:00Z,${text}` },
    { key: 'incoming/customers/big.csv', header: 'customer_id,email,first_name', row: (i: number, text: string) => `b${i},b${i}@example.com,${text || 'Bo'}` },
  ];

  it.each(cases)('$key: is quarantined as too large in the validating pass, and the file is applied without it', async ({ key, header, row }) => {
    const rows = Array.from({ length: 12 }, (_, i) => row(i, i === 5 ? big : ''));
    const objects = memoryRangedStore({ [key]: `${header}\n${rows.join('\n')}\n` });
    const store = memoryCustomerStore();
    const outcome = await ingestObject(depsFor(store, objects, NOW), key, 'e1');
    expect(outcome).toMatchObject({ status: 'applied', report: { accepted: 11, rejected: 1, rejectedByReason: { 'row too large for one item': 1 } } });
    expect((await store.loadCustomer('b5')).profile).toBeUndefined();
    expect(store.customerIds().sort()).toEqual(Array.from({ length: 12 }, (_, i) => `b${i}`).filter((id) => id !== 'b5').sort());
    const quarantined = objects.objects.get(key.replace('incoming/', 'quarantine/').replace('.csv', '.csv.rejected.csv'))?.toString('utf-8') ?? '';
    expect(quarantined).toContain('\n7,row too large for one item,b5');
  });

  it('rejects the file whole, writing nothing, when too many rows are too large', async () => {
    const { key, header, row } = cases[0] ?? { key: '', header: '', row: () => '' };
    const rows = Array.from({ length: 6 }, (_, i) => row(i, i % 2 === 0 ? big : ''));
    const objects = memoryRangedStore({ [key]: `${header}\n${rows.join('\n')}\n` });
    const store = memoryCustomerStore();
    const outcome = await ingestObject(depsFor(store, objects, NOW), key, 'e1');
    expect(outcome).toMatchObject({ status: 'rejected', report: { accepted: 3, rejected: 3, rejectedByReason: { 'row too large for one item': 3 } } });
    expect(store.customerIds()).toEqual([]);
    expect(await store.getFile(key, 'e1')).toBeUndefined();
  });

  it('an order id too long for a sort key and a number the SDK cannot store are quarantined too', async () => {
    const key = 'incoming/orders/odd.csv';
    const mapping = { kind: 'orders', columns: { customerId: 'customer_id', orderId: 'order_id', orderedAt: 'date', amount: 'amount', discount: 'discount' } };
    const good = Array.from({ length: 10 }, (_, i) => `g${i},G${i},2024-05-02,2.00,0`);
    const body = `customer_id,order_id,date,amount,discount\nk1,${'9'.repeat(1100)},2024-05-01,1.00,0\nk2,A2,2024-05-01,1.00,${'9'.repeat(20)}\n${good.join('\n')}\n`;
    const objects = memoryRangedStore({ [key]: body, 'incoming/orders/odd.mapping.json': JSON.stringify(mapping) });
    const store = memoryCustomerStore();
    const outcome = await ingestObject(depsFor(store, objects, NOW), key, 'e1');
    expect(outcome).toMatchObject({ status: 'applied', report: { accepted: 10, rejected: 2, rejectedByReason: { 'id too long for a key': 1, 'number out of range for storage': 1 } } });
    expect(store.customerIds().sort()).toEqual(Array.from({ length: 10 }, (_, i) => `g${i}`));
  });
});

describe('a write failing part-way through a chunked file', () => {
  /** Runs dispatched chunk tasks concurrently; a failed task is retried later (a Lambda async retry), at most twice. */
  function retryingDispatcher(run: (task: ChunkTask, attempt: number) => Promise<void>): ChunkDispatcher & { settled(): Promise<void>; readonly failures: unknown[] } {
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
                return await run(task, attempt);
              } catch (error) {
                failures.push(error);
              }
            }
          })();
          pending.add(p);
          void p.finally(() => pending.delete(p));
        }
      },
      async settled() {
        while (pending.size > 0) await Promise.all([...pending]);
      },
    };
  }

  async function chunkedRun(key: string, failAt: number, firstAt = NOW) {
    const { store, objects } = await prepared(key);
    const failing = failingAt(store, failAt);
    const deps = (now: Date): IngestDeps => ({ ...depsFor(failing.store, objects, now), chunking: { objects, dispatcher, chunkBytes: 9_000 } });
    const dispatcher = retryingDispatcher((task, attempt) => runChunkTask(deps(attempt === 0 ? NOW : RETRY_AT), { objects, dispatcher, chunkBytes: 9_000 }, task));
    let failures = 0;
    let began = true;
    try {
      expect(await ingestObject(deps(firstAt), key, 'e1')).toMatchObject({ status: 'chunked' });
    } catch {
      // The upload event is retried.
      failures++;
      began = (await store.listChunkStates(key, 'e1', 'started')).length > 0;
      expect(await ingestObject(deps(RETRY_AT), key, 'e1')).toMatchObject({ status: 'chunked' });
    }
    await dispatcher.settled();
    return { state: await finalState(store, objects, key), writeCalls: failing.calls(), failures: failures + dispatcher.failures.length, began };
  }

  it.each(['incoming/orders/orders.csv', 'incoming/events/events.csv'])('%s: a retried chunk task or upload event ends in the state of one clean run', async (key) => {
    const clean = await chunkedRun(key, 0);
    expect(clean.failures).toBe(0);
    expect(clean.state.file?.report).toMatchObject({ status: 'applied', chunks: expect.any(Number) });
    expect((clean.state.file?.report as { chunks: number }).chunks).toBeGreaterThan(1);
    // A failure before the file's first write leaves nothing of it: the retry is a clean run at its own time.
    const later = await chunkedRun(key, 0, RETRY_AT);
    for (let n = 1; n <= clean.writeCalls; n++) {
      const run = await chunkedRun(key, n);
      expect(run.failures, `one injected failure at write ${n}`).toBe(1);
      expect(run.state, `state after failing at write ${n} of ${clean.writeCalls} and retrying`).toEqual(run.began ? clean.state : later.state);
    }
  }, 180_000);

  it('quarantines a row too large for one item in the chunked validate phase, and applies the rest', async () => {
    const key = 'incoming/orders/big-chunked.csv';
    const rows = Array.from({ length: 3_000 }, (_, i) => `c${i % 90},2024-05-0${1 + (i % 9)},${(i % 7) + 1}.50,${i === 1_234 ? 'x'.repeat(600 * 1024) : 'jazz'}`);
    const objects = memoryRangedStore({ [key]: `customer_id,date,amount,category\n${rows.join('\n')}\n` });
    const store = memoryCustomerStore();
    const dispatcher = retryingDispatcher((task) => runChunkTask({ ...depsFor(store, objects, NOW), chunking }, chunking, task));
    const chunking = { objects, dispatcher, chunkBytes: 200_000 };
    expect(await ingestObject({ ...depsFor(store, objects, NOW), chunking }, key, 'e1')).toMatchObject({ status: 'chunked' });
    await dispatcher.settled();
    expect(dispatcher.failures).toEqual([]);
    const report = (await store.getFile(key, 'e1'))?.report;
    expect(report).toMatchObject({ status: 'applied', accepted: 2_999, rejected: 1, rejectedByReason: { 'row too large for one item': 1 } });
    expect((report as { chunks: number }).chunks).toBeGreaterThan(1);
    expect((await store.loadCustomer('c64')).orders).toHaveLength(33 - 1);
  });
});

describe('the memory store, like the DynamoDB one, keeps one item per key when a retry writes it again', () => {
  it('a transition applied twice and a merge made twice are held once', async () => {
    const store = memoryCustomerStore();
    const transition = { customerId: 'm1', segment: 'new', change: 'enter' as const, at: NOW.toISOString(), why: [] };
    const update = { customerId: 'm1', changes: { enter: [{ segment: 'new', since: NOW.toISOString(), why: [] }], exit: [], transitions: [transition] } };
    await store.applyRefresh([update], NOW);
    await store.applyRefresh([update], NOW);
    expect(store.transitions()).toEqual([transition]);
    await store.mergeCustomer('m2', 'm1', 'same e-mail', NOW);
    await store.mergeCustomer('m2', 'm1', 'same e-mail', NOW);
    expect(store.merges()).toEqual([{ aliasId: 'm2', canonicalId: 'm1', reason: 'same e-mail' }]);
  });
});
