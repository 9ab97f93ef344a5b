import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Logger } from '@aws-lambda-powertools/logger';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalStack, type LocalStack } from '../../functions/local/local-stack.ts';
import { dynamoDocumentClient } from '../../functions/adapters/aws-clients.ts';
import { dynamoCustomerStore } from '../../functions/adapters/customer-store.ts';
import { memoryRangedStore } from '../../functions/adapters/memory-stores.ts';
import { ingestObject } from '../../functions/ingest-pipeline/ingest-object.ts';
import { BUILTIN_SEGMENTS } from '../../functions/core/segments/builtin.ts';
import { failingAt as failingStore } from './failing-store.ts';

/**
 * The DynamoDB store on dynalite: its N-th write call fails (an array of items half written
 * first), the event is retried later with a healthy store, and what the table holds for the file's
 * customers must be what one clean run leaves. Each run uses its own ids, so runs share a table.
 */
const logger = new Logger({ serviceName: 'test', logLevel: 'SILENT' });
const NOW = new Date('2024-06-01T00:00:00Z');
const RETRY_AT = new Date('2024-06-01T00:07:00Z');
const WRITES = new Set(['putFile', 'putChunkState', 'putOrders', 'putEvents', 'putContacts', 'mergeCustomer', 'applyRefresh']);

const failingAt = (store: Parameters<typeof failingStore>[0], n: number) => failingStore(store, n, WRITES);

const CUSTOMERS = 60;
/**
 * A run's items with its name (also as an external id normalizes it, without dashes) and the content ids derived from it taken out;
 * an address-history key hashes an address that holds the run's name, so only its presence compares.
 */
const normalized = (text: string, run: string) => text.replace(/ADDR#[0-9a-f]{64}/g, 'ADDR#HASH').replace(/[0-9a-f]{24}/g, 'ID').replaceAll(run, 'RUN').replaceAll(run.replaceAll('-', ''), 'RUN');
const ROWS = Array.from({ length: 1_100 }, (_, i) => ({ id: i % CUSTOMERS, line: `,2024-0${1 + (i % 5)}-${String(1 + (i % 27)).padStart(2, '0')},${(i % 13) + 0.5}` }));

describe('a write failing part-way through a file, on the DynamoDB store', () => {
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-atomic-'));
  let stack: LocalStack;

  beforeAll(async () => {
    stack = await startLocalStack({ stateDir, asOf: '2024-06-01', logLevel: 'SILENT' });
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
    fs.rmSync(stateDir, { recursive: true, force: true });
  });

  /** Ingests the orders file of run `run` (its own ids and key), failing at write `failAt` (0: never), retried once if it fails. */
  async function ingestRun(run: string, failAt: number, firstAt = NOW) {
    const key = `incoming/orders/${run}.csv`;
    const objects = memoryRangedStore({ [key]: `customer_id,date,amount\n${ROWS.map((r) => `${run}-${r.id}${r.line}`).join('\n')}\n` });
    const store = dynamoCustomerStore(dynamoDocumentClient(), stack.tableName);
    const failing = failingAt(store, failAt);
    const deps = { objects, logger, definitions: BUILTIN_SEGMENTS, maxRejectedShare: 0.2 };
    let began = true;
    try {
      expect((await ingestObject({ ...deps, store: failing.store, now: firstAt }, key, 'e1')).status).toBe('applied');
    } catch (error) {
      expect(String(error)).toContain(`injected failure of write ${failAt}`);
      expect(await store.getFile(key, 'e1')).toBeUndefined();
      began = (await store.listChunkStates(key, 'e1', 'started')).length > 0;
      expect((await ingestObject({ ...deps, store, now: RETRY_AT }, key, 'e1')).status).toBe('applied');
    }
    // Every item of every customer of the run, and the FILE record, with the run's name taken out.
    const items = await Promise.all(Array.from({ length: CUSTOMERS }, async (_, i) => (await store.exportCustomer(`${run}-${i}`)).map((item) => normalized(JSON.stringify(item), run)).sort()));
    const file = normalized(JSON.stringify(await store.getFile(key, 'e1')), run);
    const report = normalized(objects.objects.get(`quarantine/orders/${run}.csv.report.json`)?.toString('utf-8') ?? '', run);
    return { state: { items, file, report }, calls: failing.calls(), began };
  }

  /** A customers file of run `run`: people 0..59, some named again under a second id with the same address or card. */
  async function customersRun(run: string, failAt: number, firstAt = NOW) {
    const key = `incoming/customers/${run}.csv`;
    const rows = Array.from({ length: 150 }, (_, i) => {
      const person = i % CUSTOMERS;
      const id = i >= CUSTOMERS && i % 4 === 0 ? `${run}-alias${i}` : `${run}-${person}`;
      return `${id},${i % 9 === 2 ? '' : `${run}-p${person}@example.com`},${i % 3 === 0 ? `LY${run}${person}` : ''},Name${person},${['GB', 'US'][person % 2]}`;
    });
    const objects = memoryRangedStore({ [key]: `customer_id,email,loyalty_id,first_name,country\n${rows.join('\n')}\n` });
    const store = dynamoCustomerStore(dynamoDocumentClient(), stack.tableName);
    const failing = failingAt(store, failAt);
    const deps = { objects, logger, definitions: BUILTIN_SEGMENTS, maxRejectedShare: 0.2 };
    let began = true;
    try {
      expect((await ingestObject({ ...deps, store: failing.store, now: firstAt }, key, 'e1')).status).toBe('applied');
    } catch (error) {
      expect(String(error)).toContain(`injected failure of write ${failAt}`);
      began = (await store.listChunkStates(key, 'e1', 'started')).length > 0;
      expect((await ingestObject({ ...deps, store, now: RETRY_AT }, key, 'e1')).status).toBe('applied');
    }
    const ids = [...Array.from({ length: CUSTOMERS }, (_, i) => `${run}-${i}`), ...Array.from({ length: 150 }, (_, i) => `${run}-alias${i}`)];
    const items = await Promise.all(ids.map(async (id) => (await store.exportCustomer(id)).map((item) => normalized(JSON.stringify(item), run)).sort()));
    const file = normalized(JSON.stringify(await store.getFile(key, 'e1')), run);
    const report = normalized(objects.objects.get(`quarantine/customers/${run}.csv.report.json`)?.toString('utf-8') ?? '', run);
    return { state: { items, file, report }, calls: failing.calls(), began };
  }

  it('a customers file with merges ends in the state of one clean run, for a failure at every third write', async () => {
    const clean = await customersRun('cus-clean', 0);
    const later = (await customersRun('cus-later', 0, RETRY_AT)).state;
    expect(clean.calls).toBeGreaterThan(10);
    expect(JSON.parse(clean.state.report)).toMatchObject({ status: 'applied', merges: expect.arrayContaining([expect.objectContaining({ reason: 'same external id' }), expect.objectContaining({ reason: 'same e-mail' })]) });
    for (let n = 1; n <= clean.calls; n += 3) {
      const run = await customersRun(`cus-run${n}x`, n);
      expect(run.state, `state after failing at write ${n} of ${clean.calls} and retrying`).toEqual(run.began ? clean.state : later);
    }
  }, 300_000);

  it('an orders file ends in the state of one clean run whichever write failed', async () => {
    const clean = await ingestRun('ord-clean', 0);
    // A clean run at the retry's time, for failures before the file's first write.
    const later = (await ingestRun('ord-later', 0, RETRY_AT)).state;
    expect(clean.calls).toBeGreaterThan(4);
    for (let n = 1; n <= clean.calls; n++) {
      const run = await ingestRun(`ord-run${n}x`, n);
      expect(run.state, `state after failing at write ${n} of ${clean.calls} and retrying`).toEqual(run.began ? clean.state : later);
    }
  }, 300_000);
});
