import { execFile, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../lib/project-root.ts';
import { dynamoDocumentClient } from '../../functions/adapters/aws-clients.ts';
import { resegmentStore } from '../../functions/adapters/resegment-store.ts';
import { startLocalStack } from '../../functions/local/local-stack.ts';
import { serveWorkflows } from '../../functions/local/run-workflow.ts';
import { runResegment, type ResegmentJson } from '../../bin/commands/resegment.ts';
import { generatedCustomers, writeCustomers } from './resegment-data.ts';

const run = promisify(execFile);
const cli = path.join(PROJECT_ROOT, 'bin', 'strata.js');
const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-resegment-cli-'));
const strata = (...args: string[]) => run(process.execPath, [cli, '--state-dir', stateDir, ...args], { cwd: PROJECT_ROOT, maxBuffer: 16 * 1024 * 1024 });

let tableName = '';

/** The run-lock store of the stack the process `pid` owns, through the endpoints it published, once it has. */
function storeOfOwner(pid: number | undefined): ReturnType<typeof resegmentStore> | undefined {
  const file = path.join(stateDir, 'owner.json');
  if (!fs.existsSync(file)) return undefined;
  const owner = JSON.parse(fs.readFileSync(file, 'utf-8')) as { pid?: number; sdkEnvironment?: Record<string, string> };
  const env = owner.sdkEnvironment;
  if (owner.pid !== pid || env?.AWS_ENDPOINT_URL_DYNAMODB === undefined) return undefined;
  const client = new DynamoDBClient({ endpoint: env.AWS_ENDPOINT_URL_DYNAMODB, region: env.AWS_REGION ?? 'us-east-1', credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID ?? '', secretAccessKey: env.AWS_SECRET_ACCESS_KEY ?? '' }, maxAttempts: 1 });
  return resegmentStore(DynamoDBDocumentClient.from(client), tableName);
}

describe('strata resegment', () => {
  beforeAll(async () => {
    const stack = await startLocalStack({ stateDir });
    tableName = stack.tableName;
    try {
      await writeCustomers(dynamoDocumentClient(), stack.tableName, generatedCustomers(40), new Date('1998-07-01'));
    } finally {
      await stack.stop();
    }
  });
  afterAll(() => fs.rmSync(stateDir, { recursive: true, force: true }));

  it('runs the workflow and reports changes and transitions per segment, then changes nothing at the same as-of', async () => {
    const first = JSON.parse((await strata('resegment', '--as-of', '1998-07-01', '--json')).stdout) as ResegmentJson;
    expect(first).toMatchObject({ asOf: '1998-07-01T00:00:00.000Z', totals: { customers: 40, durationMs: expect.any(Number) } });
    expect(first.totals.transitions).toBeGreaterThan(0);
    const changed = Object.values(first.segments).filter((s) => s.changed > 0);
    expect(changed.length).toBeGreaterThan(1);
    for (const s of Object.values(first.segments)) expect(s).toEqual({ changed: s.entered + s.exited, entered: expect.any(Number), exited: expect.any(Number), transitions: s.entered + s.exited, size: expect.any(Number) });
    expect(first.scanSegments[0]).toMatchObject({ segment: 0, customers: 40, durationMs: expect.any(Number) });

    const second = JSON.parse((await strata('resegment', '--as-of', '1998-07-01', '--json')).stdout) as ResegmentJson;
    expect(second.runId).not.toBe(first.runId);
    expect(second.totals).toMatchObject({ customers: 40, changed: 0, transitions: 0 });
    expect(Object.values(second.segments).every((s) => s.changed === 0)).toBe(true);
    expect(Object.fromEntries(Object.entries(second.segments).map(([n, s]) => [n, s.size]))).toEqual(Object.fromEntries(Object.entries(first.segments).map(([n, s]) => [n, s.size])));
  }, 300_000);

  it('takes over from a CLI run killed after it took the lock, and shows the killed run failed', async () => {
    // With no stack running, the CLI starts the embedded stack in its own process, which runs the
    // execution it starts: killing that process kills the run. Its table is reached through the
    // endpoints it publishes in the state folder, as long as it lives.
    const child = spawn(process.execPath, [cli, '--state-dir', stateDir, 'resegment', '--as-of', '1998-07-01'], { cwd: PROJECT_ROOT, stdio: 'ignore' });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    let childStore: ReturnType<typeof resegmentStore> | undefined;
    let lock: Awaited<ReturnType<ReturnType<typeof resegmentStore>['lock']>>;
    while (lock === undefined && child.exitCode === null) {
      childStore ??= storeOfOwner(child.pid);
      lock = await childStore?.lock().catch(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    child.kill('SIGKILL');
    await exited;
    const stack = await startLocalStack({ stateDir });
    serveWorkflows(stack);
    const store = resegmentStore(dynamoDocumentClient(), stack.tableName);
    try {
      expect(lock).toBeDefined();
      const killedRun = lock?.runId ?? '';
      expect(await store.runRecord(killedRun)).toMatchObject({ status: 'running' });

      const taking = await strata('resegment', '--as-of', '1998-07-01', '--json');
      expect((JSON.parse(taking.stdout) as ResegmentJson).totals.customers).toBe(40);
      expect(taking.stderr).toContain(`took over the run lock of run ${killedRun}`);
      expect(await store.runRecord(killedRun)).toMatchObject({ status: 'failed', error: expect.stringMatching(/ended ABORTED .*the local process \d+ that ran it is gone/) });
    } finally {
      await stack.stop();
    }
  }, 300_000);

  it('refuses while another run holds the lock, saying who and how to clear it; --force clears it, saying whose it was, and runs', async () => {
    const stack = await startLocalStack({ stateDir });
    // What `strata local up` does: StartExecution from other processes runs here.
    serveWorkflows(stack);
    const store = resegmentStore(dynamoDocumentClient(), stack.tableName);
    const stopping: { stop?: () => void } = {};
    const stopped = new Promise<void>((resolve) => {
      stopping.stop = resolve;
    });
    // A run that took the lock and is still running, in this live process, until the test stops it.
    const holding = runResegment(stack, { asOf: '1998-07-01' }, {
      executionName: 'holding-run',
      retryIntervalMs: 0,
      intercept: async (state, input, invoke) => {
        if (state === 'AcquireRunLock') return invoke(input);
        await stopped;
        throw new Error('stopped by the test');
      },
    });
    try {
      while ((await store.lock())?.runId !== 'manual-holding-run') await new Promise((resolve) => setTimeout(resolve, 50));
      const refused = await strata('resegment', '--as-of', '1998-07-01').then(() => undefined, (error: { code?: number; stderr?: string }) => error);
      expect(refused?.code).toBe(1);
      expect(refused?.stderr).toContain('run manual-holding-run (execution arn:aws:states:us-east-1:000000000000:execution:resegment:holding-run) since 20');
      expect(refused?.stderr).toContain('strata resegment --force');
      expect(await store.runRecord('manual-holding-run')).toMatchObject({ status: 'running' });

      const forced = await strata('resegment', '--as-of', '1998-07-01', '--force', '--json');
      expect(forced.stderr).toContain('cleared the run lock of run manual-holding-run (execution arn:aws:states:us-east-1:000000000000:execution:resegment:holding-run) since 20');
      expect(JSON.parse(forced.stdout)).toMatchObject({ asOf: '1998-07-01T00:00:00.000Z', totals: { customers: 40 } });
      expect(await store.runRecord('manual-holding-run')).toMatchObject({ status: 'failed', error: expect.stringContaining('--force') });
      expect(await store.lock()).toBeUndefined();
    } finally {
      stopping.stop?.();
      await holding;
      await stack.stop();
    }
  }, 300_000);
});
