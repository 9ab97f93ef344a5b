import { Logger } from '@aws-lambda-powertools/logger';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { memoryCustomerStore, memoryRangedStore, type MemoryCustomerStore } from '../../functions/adapters/memory-stores.ts';
import { InputError } from '../../functions/core/errors.ts';
import { ingestObject } from '../../functions/ingest-pipeline/ingest-object.ts';
import { buildFile, fileSpec, tag, type FileSpec } from './hostile-file-grammar.ts';

/**
 * Random files from a grammar of hostile features, each ingested on the memory store. For every
 * file: the process survives (a refused file is an InputError that wrote nothing), every row is
 * accepted or quarantined with a reason, and the stored state equals that of a fresh ingest of
 * the accepted rows alone. Reproduce a failure with the seed fast-check prints:
 * STRATA_FC_SEED=<seed> [STRATA_FC_RUNS=<n>] npx vitest run test/unit/ingest-generative.test.ts
 */
const SEED = process.env.STRATA_FC_SEED === undefined ? undefined : Number(process.env.STRATA_FC_SEED);
const RUNS = Number(process.env.STRATA_FC_RUNS ?? 300);
const NOW = new Date('2024-06-01T00:00:00Z');
const logger = new Logger({ serviceName: 'test', logLevel: 'SILENT' });

async function ingest(key: string, body: Buffer) {
  const store = memoryCustomerStore();
  const objects = memoryRangedStore({ [key]: body });
  try {
    const outcome = await ingestObject({ objects, store, logger, definitions: [], now: NOW, maxRejectedShare: 1 }, key, 'e1');
    return { outcome, store, objects, error: undefined };
  } catch (error) {
    return { outcome: undefined, store, objects, error };
  }
}

async function storedState(store: MemoryCustomerStore) {
  const ids = store.customerIds().sort();
  return { customers: await Promise.all(ids.map((id) => store.loadCustomer(id))), merges: store.merges() };
}

async function check(spec: FileSpec): Promise<void> {
  const { key, header, included, body, pack } = buildFile(spec);
  const first = await ingest(key, body);

  // The process survives: a refused file is an InputError and leaves nothing behind.
  if (first.error !== undefined) {
    expect(first.error).toBeInstanceOf(InputError);
    expect(first.store.writes()).toBe(0);
    return;
  }
  const report = first.outcome !== undefined && 'report' in first.outcome ? first.outcome.report : undefined;
  expect(report, JSON.stringify(first.outcome)).toBeDefined();
  if (report === undefined) return;
  expect(report.accepted + report.rejected).toBe(included.length);
  for (const reason of Object.keys(report.rejectedByReason)) expect(reason).not.toBe('');

  const quarantined = first.objects.objects.get(report.quarantine ?? '')?.toString('utf-8') ?? '';
  const accepted = included.filter((_, i) => !quarantined.includes(tag(i)));
  expect(accepted).toHaveLength(report.accepted);

  const again = await ingest(key.replace('gen.', 'gen-accepted.'), pack(header + accepted.join('')));
  // The accepted rows alone: every one accepted again, and the same items stored.
  if (accepted.length > 0) expect(again.outcome).toMatchObject({ status: 'applied', report: { accepted: accepted.length, rejected: 0 } });
  const sameKey = (state: Awaited<ReturnType<typeof storedState>>) => JSON.parse(JSON.stringify(state).replaceAll('gen-accepted.', 'gen.')) as unknown;
  expect(sameKey(await storedState(again.store))).toEqual(sameKey(await storedState(first.store)));
}

describe('ingest of generated hostile files (fast-check)', () => {
  it('survives, accounts for every row, and stores exactly what ingesting the accepted rows alone stores', async () => {
    await fc.assert(
      fc.asyncProperty(fileSpec, check),
      { numRuns: RUNS, ...(SEED === undefined ? {} : { seed: SEED }) },
    );
  }, 120_000);
});
