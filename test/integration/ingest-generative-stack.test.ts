import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Logger } from '@aws-lambda-powertools/logger';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalStack, type LocalStack } from '../../functions/local/local-stack.ts';
import { dynamoDocumentClient, s3Client } from '../../functions/adapters/aws-clients.ts';
import { dynamoCustomerStore } from '../../functions/adapters/customer-store.ts';
import { s3ObjectStore } from '../../functions/adapters/object-store.ts';
import { memoryCustomerStore, memoryRangedStore } from '../../functions/adapters/memory-stores.ts';
import { ingestObject } from '../../functions/ingest-pipeline/ingest-object.ts';
import { buildFile, fileSpec } from '../unit/hostile-file-grammar.ts';

/**
 * A handful of generated hostile files through the embedded stack's upload path (S3 event, the
 * ingest Lambda, dynalite), checked against the same files ingested on the memory store: the same
 * report per file and the same stored customers. STRATA_FC_SEED replays a failing sample.
 */
const SEED = Number(process.env.STRATA_FC_SEED ?? 20261202);
const FILES = Number(process.env.STRATA_FC_STACK_RUNS ?? 25);
const AS_OF = '2024-06-01';

describe('generated hostile files on the embedded stack', () => {
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-generative-'));
  let stack: LocalStack;

  beforeAll(async () => {
    stack = await startLocalStack({ stateDir, asOf: AS_OF, logLevel: 'SILENT' });
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
    fs.rmSync(stateDir, { recursive: true, force: true });
  });

  it('give the reports and the customers the memory store gives, and the stack survives every one', async () => {
    const specs = fc.sample(fileSpec, { numRuns: FILES, seed: SEED });
    const objects = s3ObjectStore(s3Client(), stack.bucketName);
    const memory = memoryCustomerStore();
    const memoryObjects = memoryRangedStore({});
    const logger = new Logger({ serviceName: 'test', logLevel: 'SILENT' });
    for (const [i, spec] of specs.entries()) {
      const { key, body } = buildFile(spec, `gen-${i}`);
      await stack.upload(key, body);
      await stack.settled();
      await memoryObjects.putBytes(key, body);
      let expected: unknown;
      try {
        const outcome = await ingestObject({ objects: memoryObjects, store: memory, logger, definitions: [], now: new Date(AS_OF), maxRejectedShare: 0.2 }, key, `e${i}`);
        expected = 'report' in outcome ? outcome.report : outcome;
      } catch (error) {
        expected = { error: (error as Error).message };
      }
      const report = JSON.parse((await objects.readText(key.replace('incoming/', 'quarantine/') + '.report.json')) ?? '{}') as Record<string, unknown>;
      const pick = (r: unknown) => {
        const { status, accepted, rejected, rejectedByReason } = r as Record<string, unknown>;
        return { status, accepted, rejected, rejectedByReason };
      };
      const thrown = (expected as { error?: string }).error;
      if (thrown !== undefined) expect(report.error, `file ${i}: ${fc.stringify(spec)}`).toBe(thrown);
      else expect(pick(report), `file ${i}: ${fc.stringify(spec)}`).toEqual(pick(expected));
    }
    expect(stack.deadLetters).toHaveLength(0);
    // The sample is fixed by the seed; it holds applied files, so the comparison below is not vacuous.
    expect(memory.customerIds().length).toBeGreaterThan(0);
    const dynamo = dynamoCustomerStore(dynamoDocumentClient(), stack.tableName);
    for (const id of memory.customerIds()) {
      const [onStack, inMemory] = await Promise.all([dynamo.loadCustomer(id), memory.loadCustomer(id)]);
      expect(onStack.profile?.orders, id).toEqual(inMemory.profile?.orders);
      expect(onStack.orders.map((o) => o.amount).sort(), id).toEqual(inMemory.orders.map((o) => o.amount).sort());
      expect(onStack.profile?.contact?.email, id).toEqual(inMemory.profile?.contact?.email);
    }
  }, 300_000);
});
