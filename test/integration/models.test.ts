import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { s3Client } from '../../functions/adapters/aws-clients.ts';
import { s3ObjectStore } from '../../functions/adapters/object-store.ts';
import { fittedModelSchema, LATEST_MODEL_KEY, modelKey } from '../../functions/core/models/fitted-model.ts';
import { startLocalStack, type LocalStack } from '../../functions/local/local-stack.ts';
import { uploadAndAwaitReport } from '../../bin/commands/ingest.ts';
import type { RefitResult } from '../../functions/model-refit/handler.ts';
import { localSegmentMembers, lookalikeCommand } from '../../bin/commands/segment-models.ts';
import { PROJECT_ROOT } from '../../lib/project-root.ts';

const run = promisify(execFile);
const cli = path.join(PROJECT_ROOT, 'bin', 'strata.js');
const strata = (...args: string[]) => run(process.execPath, [cli, ...args], { cwd: PROJECT_ROOT, maxBuffer: 64 * 1024 * 1024 });
const SAMPLE = path.join(PROJECT_ROOT, '..', 'shared', 'data', 'cdnow', 'cdnow_sample.csv');
const MASTER = path.join(PROJECT_ROOT, '..', 'shared', 'data', 'cdnow', 'cdnow_master.csv');
const EXAMPLE = path.join(PROJECT_ROOT, 'examples', 'orders', 'cdnow_sample.csv');
const EXAMPLE_MAPPING = path.join(PROJECT_ROOT, 'examples', 'orders', 'cdnow_sample.mapping.json');
const within1 = (actual: number, published: number) => Math.abs(actual / published - 1) < 0.01;

// Each run is a fresh CLI process (tsx and the CLI's imports start first): generous time on a shared machine.
describe('strata model, clusters and lookalike (CLI, as a process)', { timeout: 120_000 }, () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-models-'));
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it.each([
    ['the shared CDNOW sample, header recognized', [SAMPLE]],
    ['the bundled example with its mapping file', [EXAMPLE, '--mapping', EXAMPLE_MAPPING]],
  ])('model fit reproduces the published parameters on %s', async (_name, input) => {
    const { stdout } = await strata('model', 'fit', '--orders', ...input, '--calibration-end', '1997-09-30', '--json');
    const fit = JSON.parse(stdout) as { bgnbd: Record<string, number>; gammaGamma: Record<string, number> };
    expect(Object.keys(fit.bgnbd)).toEqual(expect.arrayContaining(['r', 'alpha', 'a', 'b', 'logLikelihood']));
    expect(within1(fit.bgnbd.r!, 0.243) && within1(fit.bgnbd.alpha!, 4.414) && within1(fit.bgnbd.a!, 0.793) && within1(fit.bgnbd.b!, 2.426)).toBe(true);
    expect(within1(fit.bgnbd.logLikelihood!, -9582.4)).toBe(true);
    expect(within1(fit.gammaGamma.p!, 6.25) && within1(fit.gammaGamma.q!, 3.74) && within1(fit.gammaGamma.gamma!, 15.44)).toBe(true);
  });

  it('model fit reads CDNOW master (customer_id header) and fits all 23,570 customers', async () => {
    const { stdout } = await strata('model', 'fit', '--orders', MASTER, '--calibration-end', '1997-09-30', '--json');
    expect(JSON.parse(stdout)).toMatchObject({ customers: 23570, bgnbd: { converged: true }, gammaGamma: { converged: true } });
  });

  it("model score prints the DESIGN.md fields; customer 1 gets Hardie's 1.226 purchases in 39 weeks", async () => {
    const { stdout } = await strata('model', 'score', '--orders', SAMPLE, '--calibration-end', '1997-09-30', '--horizon-weeks', '39', '--customer', '1', '--json');
    const [score] = JSON.parse(stdout) as Record<string, number | string>[];
    expect(score).toEqual({ customerId: '1', x: 2, tx: 30.43, T: 38.86, expectedPurchases: expect.any(Number), pAlive: expect.any(Number), expectedSpend: expect.any(Number), clv: expect.any(Number) });
    expect(score!.expectedPurchases).toBeCloseTo(1.226, 2);
    const all = JSON.parse((await strata('model', 'score', '--orders', SAMPLE, '--calibration-end', '1997-09-30', '--horizon-weeks', '4', '--json')).stdout) as unknown[];
    expect(all).toHaveLength(2357);
  });

  it('model validate prints the frequency table and weekly tracking, and writes an SVG chart', async () => {
    const out = path.join(tmp, 'validation.svg');
    const { stdout } = await strata('model', 'validate', '--orders', SAMPLE, '--calibration-end', '1997-09-30', '--holdout-end', '1998-06-30', '--out', out, '--json');
    const { report, chart } = JSON.parse(stdout) as { report: { byFrequency: { x: string; customers: number }[]; tracking: { actual: number }[]; holdoutWeeks: number }; chart: string };
    expect(report.byFrequency.map((r) => r.x)).toEqual(['0', '1', '2', '3', '4', '5', '6', '7+']);
    expect(report.byFrequency.reduce((s, r) => s + r.customers, 0)).toBe(2357);
    expect(report.holdoutWeeks).toBe(39);
    expect(report.tracking).toHaveLength(78);
    expect(chart).toBe(out);
    expect(fs.readFileSync(out, 'utf-8')).toMatch(/^<svg [^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  });

  it('clusters prints cluster-<n> segments with their descriptions and every customer assigned', async () => {
    const { stdout } = await strata('clusters', '--orders', SAMPLE, '--k', '4', '--json');
    const result = JSON.parse(stdout) as { k: number; clusters: { name: string; size: number; description: string }[]; assignments: { customerId: string; cluster: string }[]; model: unknown };
    expect(result.clusters.map((c) => c.name)).toEqual(['cluster-1', 'cluster-2', 'cluster-3', 'cluster-4']);
    expect(result.clusters.reduce((s, c) => s + c.size, 0)).toBe(2357);
    expect(result.assignments).toHaveLength(2357);
    for (const c of result.clusters) expect(c.description).toMatch(/σ\)/);
  });

  it('lookalike ranks the top N non-members for a seed file', async () => {
    const seedFile = path.join(tmp, 'seed.txt');
    fs.writeFileSync(seedFile, '1\n2\n6\n# a comment\n');
    const { stdout } = await strata('lookalike', '--orders', SAMPLE, '--seed-file', seedFile, '--top', '25', '--name', 'like-my-best', '--json');
    const result = JSON.parse(stdout) as { segment: string; seedSize: number; members: { customerId: string; score: number }[] };
    expect(result).toMatchObject({ segment: 'like-my-best', seedSize: 3 });
    expect(result.members).toHaveLength(25);
    expect(result.members.map((m) => m.customerId)).not.toContain('1');
  });

  it('says which date is wrong', async () => {
    await expect(strata('model', 'fit', '--orders', SAMPLE, '--calibration-end', '1990-01-01')).rejects.toMatchObject({ stderr: expect.stringContaining('no customer bought on or before 1990-01-01') });
  });
});

describe('the model refit Lambda on the embedded stack', () => {
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-refit-'));
  let stack: LocalStack;

  beforeAll(async () => {
    stack = await startLocalStack({ stateDir });
    await stack.upload('incoming/orders/cdnow_sample.mapping.json', fs.readFileSync(EXAMPLE_MAPPING));
    const report = await uploadAndAwaitReport(stack, 'incoming/orders/cdnow_sample.csv', fs.readFileSync(EXAMPLE));
    expect(report.accepted).toBe(6919);
  }, 240_000);

  afterAll(async () => {
    await stack?.stop();
    fs.rmSync(stateDir, { recursive: true, force: true });
  });

  it('fits on the stored ledger and writes models/<fitted-at>.json and models/latest.json', async () => {
    const result = await stack.invoke<RefitResult>('functions/model-refit/handler.ts', { calibrationEnd: '1997-09-30' });
    expect(result).toMatchObject({ calibrationEnd: '1997-09-30', customers: 2357, converged: true });
    const objects = s3ObjectStore(s3Client(), stack.bucketName);
    const latest = fittedModelSchema.parse(JSON.parse((await objects.readText(LATEST_MODEL_KEY)) ?? 'null'));
    expect(result.key).toBe(modelKey(latest.fittedAt));
    expect(JSON.parse((await objects.readText(result.key)) ?? 'null')).toEqual(latest);
    expect(within1(latest.bgnbd.r, 0.243) && within1(latest.bgnbd.alpha, 4.414) && within1(latest.bgnbd.a, 0.793) && within1(latest.bgnbd.b, 2.426)).toBe(true);
    expect(within1(latest.gammaGamma.p, 6.25) && within1(latest.gammaGamma.q, 3.74) && within1(latest.gammaGamma.gamma, 15.44)).toBe(true);
  }, 120_000);

  it('seeds lookalikes from a segment stored in the stack', async () => {
    const firstTimers: string[] = [];
    const result = await lookalikeCommand({ orders: EXAMPLE, mapping: EXAMPLE_MAPPING, seedSegment: 'first-time-buyers', top: 10 }, async (segment) => {
      firstTimers.push(...(await localSegmentMembers(stack, segment)));
      return firstTimers;
    }, new Date('1998-07-01T00:00:00Z'));
    expect(result.seedSize).toBe(firstTimers.length);
    expect(firstTimers.length).toBeGreaterThan(1000);
    expect(result.members).toHaveLength(10);
    expect(result.members.some((m) => firstTimers.includes(m.customerId))).toBe(false);
  }, 60_000);
});
