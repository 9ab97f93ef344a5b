import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { dynamoDocumentClient } from '../../functions/adapters/aws-clients.ts';
import { resegmentStore } from '../../functions/adapters/resegment-store.ts';
import { RetryableError } from '../../functions/core/errors.ts';
import { startLocalStack, type LocalStack } from '../../functions/local/local-stack.ts';
import { runResegment, type ResegmentOutcome } from '../../bin/commands/resegment.ts';
import type { TaskInterceptor } from '../../functions/local/run-workflow.ts';
import { emptyTable, generatedCustomers, referenceStore, seedCustomers, storedOutcome, writeCustomers } from './resegment-data.ts';

const FIRST = new Date('1998-07-01T00:00:00.000Z');
const SECOND = new Date('1998-08-01T00:00:00.000Z');
/**
 * Small pages, several scan segments and a page budget: every worker loops and pages split customers.
 * No model refit: the reference evaluates without model facts (resegment-campaigns.test.ts runs the refit).
 */
const TUNING = { scanSegments: 3, pageSize: 7, maxPagesPerInvocation: 4, refit: false } as const;

type Succeeded = Extract<ResegmentOutcome, { status: 'SUCCEEDED' }>;

function succeeded(outcome: ResegmentOutcome): Succeeded {
  if (outcome.status !== 'SUCCEEDED') throw new Error(`the run did not succeed: ${JSON.stringify(outcome)}`);
  return outcome;
}

describe('the re-segmentation workflow on the embedded stack', () => {
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-resegment-'));
  let stack: LocalStack;
  const client = () => dynamoDocumentClient();
  /** Faults apply only while the workflow runs, not to the test's own writes. */
  let armed = false;
  const armedRun = async (asOf: Date, options: Parameters<typeof runResegment>[2] = {}) => {
    armed = true;
    try {
      return await runResegment(stack, { asOf: asOf.toISOString(), ...TUNING }, { retryIntervalMs: 0, ...options });
    } finally {
      armed = false;
    }
  };

  beforeAll(async () => {
    // The functions' DynamoDB calls pass a proxy where the fault tests intercept them.
    stack = await startLocalStack({ stateDir, dynamoDbFaults: true });
  });
  afterAll(async () => {
    await stack?.stop();
    fs.rmSync(stateDir, { recursive: true, force: true });
  });
  beforeEach(async () => {
    await emptyTable(client(), stack.tableName);
  });
  afterEach(() => {
    stack.interceptDynamoDb(undefined);
  });

  /** Two evaluation times: every customer enters at the first; a third of them buy again before the second. */
  async function scenario(run: (asOf: Date) => Promise<ResegmentOutcome>) {
    const data = generatedCustomers(60);
    const reference = referenceStore();
    await writeCustomers(client(), stack.tableName, data, FIRST);
    await seedCustomers(reference.store, data, FIRST);

    const first = succeeded(await run(FIRST));
    await reference.evaluate(FIRST);
    const afterFirst = await reference.outcome();
    expect(await storedOutcome(client(), stack.tableName)).toEqual(afterFirst);
    expect(first.report.totals.transitions).toBe(afterFirst.transitions.length);

    const again = data.customers.filter((_, i) => i % 3 === 0).map((c) => ({ customerId: c.customerId, orderId: `${c.customerId}-again`, lineId: '1', orderedAt: '1998-07-20T12:00:00.000Z', amount: 42 }));
    // New orders with their PROFILE aggregates, as ingest writes them; the run moves the customers.
    const buyers = data.customers.filter((_, i) => i % 3 === 0);
    const ledger = { customers: buyers, orders: [...data.orders, ...again] };
    await writeCustomers(client(), stack.tableName, ledger, SECOND);
    await seedCustomers(reference.store, ledger, SECOND);
    const second = succeeded(await run(SECOND));
    await reference.evaluate(SECOND);
    const afterSecond = await reference.outcome();
    expect(await storedOutcome(client(), stack.tableName)).toEqual(afterSecond);
    expect(second.report.totals.transitions).toBe(afterSecond.transitions.length - afterFirst.transitions.length);
    expect(second.report.totals.transitions).toBeGreaterThan(0);
    return { first, second, afterSecond };
  }

  it('evaluates every customer once, writes entries and exits with their transitions, and loops workers from their last key', async () => {
    const { first } = await scenario((asOf) => runResegment(stack, { asOf: asOf.toISOString(), ...TUNING }, { retryIntervalMs: 0 }));
    expect(first.report.totals.customers).toBe(60);
    expect(first.report.scanSegments).toHaveLength(3);
    expect(first.report.scanSegments.some((s) => s.invocations > 1)).toBe(true);
  });

  it('changes nothing when run again at the same time', async () => {
    const { afterSecond } = await scenario((asOf) => runResegment(stack, { asOf: asOf.toISOString(), ...TUNING }, { retryIntervalMs: 0 }));
    const repeat = succeeded(await runResegment(stack, { asOf: SECOND.toISOString(), ...TUNING }, { retryIntervalMs: 0 }));
    expect(repeat.report.totals).toMatchObject({ customers: 60, changed: 0, transitions: 0 });
    expect(await storedOutcome(client(), stack.tableName)).toEqual(afterSecond);
  });

  it('retries a worker that fails once with a retryable error', async () => {
    let failures = 0;
    const intercept: TaskInterceptor = async (state, input, invoke) => {
      if (state === 'EvaluateScanSegment' && failures === 0) {
        failures += 1;
        throw new RetryableError('DynamoDB was briefly unavailable');
      }
      return invoke(input);
    };
    await scenario((asOf) => runResegment(stack, { asOf: asOf.toISOString(), ...TUNING }, { intercept, retryIntervalMs: 0 }));
    expect(failures).toBe(1);
  });

  it('loses and doubles nothing when a worker is killed after writing part of its page', async () => {
    // The worker "dies" right after a BatchWriteItem call went through: transitions of its page
    // written, their memberships not. Step Functions sees Lambda.Unknown and retries it.
    let writes = 0;
    let kills = 0;
    const killAfter = new Set([1, 9]);
    stack.interceptDynamoDb(async (call, forward) => {
      const result = await forward(call.input);
      if (armed && call.operation === 'BatchWriteItem' && killAfter.has(++writes)) {
        kills += 1;
        throw Object.assign(new Error('the worker process was killed'), { name: 'Lambda.Unknown' });
      }
      return result;
    });
    await scenario((asOf) => armedRun(asOf));
    expect(kills).toBe(2);
  });

  it('retries unprocessed items and throttled calls without losing or doubling a write', async () => {
    // DynamoDB under throttling: half of every batch comes back unprocessed, and two calls are
    // refused outright (the function's SDK client retries them).
    let calls = 0;
    let unprocessed = 0;
    let refused = 0;
    stack.interceptDynamoDb(async (call, forward) => {
      if (!armed || call.operation !== 'BatchWriteItem') return forward(call.input);
      calls += 1;
      if (calls === 3 || calls === 17) {
        refused += 1;
        throw Object.assign(new Error('Throughput exceeds the current capacity'), { name: 'ProvisionedThroughputExceededException' });
      }
      const [table, requests] = Object.entries(call.input.RequestItems as Record<string, unknown[]>)[0]!;
      if (requests.length < 2) return forward(call.input);
      const kept = requests.slice(0, Math.ceil(requests.length / 2));
      const left = requests.slice(kept.length);
      unprocessed += left.length;
      const result = await forward({ ...call.input, RequestItems: { [table]: kept } });
      const already = (result.UnprocessedItems as Record<string, unknown[]> | undefined)?.[table] ?? [];
      return { ...result, UnprocessedItems: { [table]: [...already, ...left] } };
    });
    await scenario((asOf) => armedRun(asOf));
    expect(unprocessed).toBeGreaterThan(0);
    expect(refused).toBeGreaterThan(0);
  });

  it('runs once per scheduled time: a duplicate start of the same tick does nothing', async () => {
    await writeCustomers(client(), stack.tableName, generatedCustomers(12), FIRST);
    const tick = { trigger: 'schedule', scheduledTime: '1998-07-01T06:00:00Z' } as const;
    const first = succeeded(await runResegment(stack, tick, { retryIntervalMs: 0 }));
    expect(first.runId).toBe('scheduled-19980701T060000000Z');
    const before = await storedOutcome(client(), stack.tableName);
    const duplicate = await runResegment(stack, tick, { retryIntervalMs: 0 });
    expect(duplicate).toMatchObject({ status: 'SKIPPED', runId: first.runId });
    expect(await storedOutcome(client(), stack.tableName)).toEqual(before);
  });

  it('runs one at a time: a start while another run holds the lock does nothing, and a stale lock expires', async () => {
    await writeCustomers(client(), stack.tableName, generatedCustomers(12), FIRST);
    const lock = (expiresAt: number) =>
      client().send(new PutCommand({ TableName: stack.tableName, Item: { pk: 'RUN#resegment', sk: 'LOCK', runId: 'other', executionId: 'other-execution', expiresAt } }));
    await lock(Date.now() + 3_600_000);
    expect(await runResegment(stack, { asOf: FIRST.toISOString() }, { retryIntervalMs: 0 })).toMatchObject({ status: 'SKIPPED' });
    expect((await storedOutcome(client(), stack.tableName)).memberships).toEqual([]);
    await lock(Date.now() - 1);
    succeeded(await runResegment(stack, { asOf: FIRST.toISOString() }, { retryIntervalMs: 0 }));
    expect((await storedOutcome(client(), stack.tableName)).memberships.length).toBeGreaterThan(0);
    // The run whose lease ran out is not left "running".
    expect(await resegmentStore(client(), stack.tableName).runRecord('other')).toMatchObject({ status: 'failed', error: expect.stringContaining('lease') });
  });

  it('takes over the lock of a run that died holding it, shows that run failed with why, and completes', async () => {
    await writeCustomers(client(), stack.tableName, generatedCustomers(12), FIRST);
    // Killed right after taking the lock: no later step runs, not even the one that marks the run failed.
    const intercept: TaskInterceptor = async (state, input, invoke) => {
      if (state === 'AcquireRunLock') return invoke(input);
      throw new Error('killed');
    };
    const killed = await runResegment(stack, { asOf: FIRST.toISOString() }, { intercept, retryIntervalMs: 0, executionName: 'killed-run' });
    expect(killed).toMatchObject({ status: 'FAILED' });
    const store = resegmentStore(client(), stack.tableName);
    expect(await store.runRecord('manual-killed-run')).toMatchObject({ status: 'running' });

    succeeded(await runResegment(stack, { asOf: FIRST.toISOString() }, { retryIntervalMs: 0 }));
    expect(await store.runRecord('manual-killed-run')).toMatchObject({ status: 'failed', error: expect.stringContaining('FAILED') });
    expect((await storedOutcome(client(), stack.tableName)).memberships.length).toBeGreaterThan(0);
  });

  it('takes over a scheduled tick whose execution died, from a repeated start of that same tick, which shows it running then succeeded', async () => {
    await writeCustomers(client(), stack.tableName, generatedCustomers(12), FIRST);
    const tick = { trigger: 'schedule', scheduledTime: '1998-07-01T06:00:00Z' } as const;
    const killed = await runResegment(stack, tick, {
      retryIntervalMs: 0,
      intercept: async (state, input, invoke) => {
        if (state === 'AcquireRunLock') return invoke(input);
        throw new Error('killed');
      },
    });
    expect(killed).toMatchObject({ status: 'FAILED' });
    const store = resegmentStore(client(), stack.tableName);
    const seen: unknown[] = [];
    const repeated = await runResegment(stack, tick, {
      retryIntervalMs: 0,
      intercept: async (state, input, invoke) => {
        if (state === 'PlanScan') seen.push(await store.runRecord('scheduled-19980701T060000000Z'));
        return invoke(input);
      },
    });
    expect(succeeded(repeated).runId).toBe('scheduled-19980701T060000000Z');
    expect(seen).toEqual([expect.objectContaining({ status: 'running' })]);
    expect(await store.runRecord('scheduled-19980701T060000000Z')).toMatchObject({ status: 'succeeded' });
  });

  it('marks the run failed, releases the lock and ends in the Fail state when a step keeps failing', async () => {
    await writeCustomers(client(), stack.tableName, generatedCustomers(6), FIRST);
    const intercept: TaskInterceptor = async (state, input, invoke) => {
      if (state === 'MergeStats') throw new RetryableError('S3 unavailable');
      return invoke(input);
    };
    const failed = await runResegment(stack, { asOf: FIRST.toISOString() }, { intercept, retryIntervalMs: 0 });
    expect(failed).toMatchObject({ status: 'FAILED', error: expect.stringContaining('ResegmentFailed') });
    succeeded(await runResegment(stack, { asOf: FIRST.toISOString() }, { retryIntervalMs: 0 }));
  });
});
