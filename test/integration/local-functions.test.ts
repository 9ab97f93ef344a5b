import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STRATA_BUNDLING } from '../../lib/constructs/strata-function.ts';
import { bundleFileName, esbuildOptions } from '../../bench/bundle-lambda.ts';
import { FunctionWorkers, type FunctionRuntime } from '../../functions/local/function-workers.ts';

// What only a deploy showed before the local stack ran each function from its bundle, in its own
// process: faults of the bundle, of one function's environment, of a run past its timeout.
const FIXTURES = path.resolve(import.meta.dirname, '../fixtures/local-functions');

/** Bundles a fixture entry with the options of every strata Lambda, into a folder of its own, as `cdk synth` does. */
async function bundle(root: string, entry: string): Promise<string> {
  const outdir = path.join(root, path.basename(entry, '.ts'));
  await build({
    ...esbuildOptions(STRATA_BUNDLING),
    entryPoints: [path.join(FIXTURES, entry)],
    outfile: path.join(outdir, bundleFileName(STRATA_BUNDLING)),
    // The sibling-file fixture's import.meta, empty in a CommonJS bundle, is its point.
    logLevel: 'silent',
  });
  return outdir;
}

function runtime(taskRoot: string, overrides: Partial<FunctionRuntime> = {}): FunctionRuntime {
  return {
    name: `local-${path.basename(taskRoot)}`,
    taskRoot,
    handler: 'index.handler',
    environment: { AWS_REGION: 'us-east-1', LAMBDA_TASK_ROOT: taskRoot, AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '256' },
    timeoutSeconds: 10,
    memoryMb: 256,
    reservedConcurrency: undefined,
    ...overrides,
  };
}

type Probe = { pid: number; node: string; invocations: number; coldStartedAt: number; heapLimitMb: number; environment: Record<string, string> };

describe('functions on the local stack run from their bundles, each in its own process', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-functions-'));
  const started: FunctionWorkers[] = [];
  const workers = (fn: FunctionRuntime) => {
    const w = new FunctionWorkers(fn);
    started.push(w);
    return w;
  };
  let probe: string;
  let config: string;
  let sibling: string;

  beforeAll(async () => {
    [probe, config, sibling] = await Promise.all([bundle(root, 'probe-handler.ts'), bundle(root, 'config-handler.ts'), bundle(root, 'sibling-file-handler.ts')]);
  }, 60_000);

  afterAll(() => {
    for (const w of started) w.stop();
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('runs on Node 22, the runtime\'s major, with V8\'s heap sized to the function\'s memory, kept warm between invocations', async () => {
    const fn = workers(runtime(probe, { memoryMb: 256 }));
    const first = (await fn.invoke({}, 'RequestResponse')) as Probe;
    const second = (await fn.invoke({}, 'RequestResponse')) as Probe;
    expect(first.node).toMatch(/^v22\./);
    expect(first.pid).not.toBe(process.pid);
    // The old generation is held to 90% of the memory; the young one adds a little.
    expect(first.heapLimitMb).toBeLessThan(256 * 1.25);
    expect(second).toMatchObject({ pid: first.pid, invocations: 2, coldStartedAt: first.coldStartedAt });
  });

  it('gives a function only its own environment, none of the process that runs the stack', async () => {
    process.env.STRATA_TEST_LEAK = 'from the CLI';
    try {
      const fn = workers(runtime(probe, { environment: { TABLE_NAME: 'Customers', AWS_REGION: 'us-east-1' } }));
      const { environment } = (await fn.invoke({}, 'RequestResponse')) as Probe;
      expect(environment.TABLE_NAME).toBe('Customers');
      expect(environment.STRATA_TEST_LEAK).toBeUndefined();
      expect(environment.HOME).toBeUndefined();
    } finally {
      delete process.env.STRATA_TEST_LEAK;
    }
  });

  it('fails the one function whose environment lacks a variable, at its cold start, and not another that has it', async () => {
    process.env.FIXTURE_TABLE_NAME = 'set in the CLI\'s process only';
    try {
      const without = workers(runtime(config));
      const withIt = workers(runtime(config, { environment: { FIXTURE_TABLE_NAME: 'Customers' } }));
      await expect(without.invoke({}, 'RequestResponse')).rejects.toThrow('invalid configuration: FIXTURE_TABLE_NAME: Required');
      await expect(withIt.invoke({}, 'RequestResponse')).resolves.toEqual({ tableName: 'Customers' });
    } finally {
      delete process.env.FIXTURE_TABLE_NAME;
    }
  });

  it('fails a function that reads a file relative to its source, which resolves from the sources but not from the bundle', async () => {
    const fromSource = (await import(pathToFileURL(path.join(FIXTURES, 'sibling-file-handler.ts')).href)) as { handler: () => Promise<{ greeting: string }> };
    await expect(fromSource.handler()).resolves.toEqual({ greeting: 'hello from the source tree' });
    // The bundle is CommonJS, where import.meta is empty: the file's URL has no base.
    await expect(workers(runtime(sibling)).invoke({}, 'RequestResponse')).rejects.toThrow(/Invalid URL/);
  });

  it('ends a run past its timeout with its execution environment, as Lambda does, and starts the next one cold', async () => {
    const fn = workers(runtime(probe, { timeoutSeconds: 1 }));
    const warm = (await fn.invoke({}, 'RequestResponse')) as Probe;
    const timedOut = fn.invoke({ sleepMs: 5_000 }, 'RequestResponse');
    await expect(timedOut).rejects.toThrow(/Task timed out after 1\.00 seconds/);
    await expect(timedOut).rejects.toMatchObject({ name: 'Sandbox.Timedout' });
    expect(() => process.kill(warm.pid, 0)).toThrow();
    const next = (await fn.invoke({}, 'RequestResponse')) as Probe;
    expect(next.pid).not.toBe(warm.pid);
    expect(next.invocations).toBe(1);
  });

  it('runs at most its reserved concurrency at once: asynchronous invocations wait their turn, a synchronous one over it is throttled', async () => {
    const fn = workers(runtime(probe, { reservedConcurrency: 2 }));
    const runs = [1, 2, 3, 4].map(() => fn.invoke({ sleepMs: 300 }, 'Event') as Promise<Probe>);
    await new Promise((resolve) => setTimeout(resolve, 50));
    await expect(fn.invoke({}, 'RequestResponse')).rejects.toMatchObject({ name: 'TooManyRequestsException' });
    const results = await Promise.all(runs);
    expect(new Set(results.map((r) => r.pid)).size).toBe(2);
    expect(results.map((r) => r.invocations).sort()).toEqual([1, 1, 2, 2]);
  });
});
