import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalStack, type LocalStack } from '../../functions/local/local-stack.ts';
import { uploadAndAwaitReport } from '../../bin/commands/ingest.ts';
import { addSegment, listSegments, previewSegment, readDefinitionFile } from '../../bin/commands/segments.ts';
import { explainCustomer } from '../../bin/commands/explain.ts';
import { rfmOfFile } from '../../bin/commands/rfm.ts';
import { RFM_MAP } from '../../functions/core/segments/builtin.ts';
import { DEMO_DATA_DIR } from '../../bin/commands/demo.ts';
import { InputError } from '../../functions/core/errors.ts';

/**
 * The segment engine on the embedded stack: the CDNOW sample and the demo events, evaluated by the
 * re-segmentation handler as of the day after the data ends.
 */
const AS_OF = '1998-07-01';
const orders = path.join(DEMO_DATA_DIR, 'orders', 'cdnow_sample.csv');

describe('segments on the embedded stack', () => {
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-seg-'));
  let stack: LocalStack;
  type Run = { customers: number; writes: number; sizes: Record<string, number>; entered: Record<string, number> };
  let first: Run;

  beforeAll(async () => {
    stack = await startLocalStack({ stateDir, asOf: AS_OF });
    await stack.upload('incoming/orders/cdnow_sample.mapping.json', fs.readFileSync(path.join(DEMO_DATA_DIR, 'orders', 'cdnow_sample.mapping.json')));
    await uploadAndAwaitReport(stack, 'incoming/orders/cdnow_sample.csv', fs.readFileSync(orders));
    await uploadAndAwaitReport(stack, 'incoming/events/engagement.csv', fs.readFileSync(path.join(DEMO_DATA_DIR, 'events', 'engagement.csv')));
    first = await stack.invoke<Run>('functions/resegment-workflow/evaluate/handler.ts', {});
  }, 300_000);

  afterAll(async () => {
    await stack?.stop();
    fs.rmSync(stateDir, { recursive: true, force: true });
  });

  it('puts every customer in exactly one lifecycle segment and one RFM map cell', () => {
    const sum = (names: readonly string[]) => names.reduce((n, name) => n + (first.sizes[name] ?? 0), 0);
    expect(first.customers).toBe(2357);
    expect(sum(['new', 'active', 'lapsed', 'churned'])).toBe(2357);
    expect(sum(RFM_MAP.map((c) => c.name))).toBe(2357);
  });

  it('stores the same RFM cells that `strata rfm` computes from the file (itself checked against DuckDB)', async () => {
    const rows = await rfmOfFile(orders, { asOf: new Date(`${AS_OF}T00:00:00Z`) });
    for (const row of rows.filter((_, i) => i % 97 === 0)) {
      const cell = RFM_MAP.find((c) => c.cells.some(([r, fs]) => r === row.r && fs.includes(row.f)))?.name;
      const explanation = await explainCustomer(stack, row.customerId);
      expect(explanation?.segments.filter((s) => s.name.startsWith('rfm-')).map((s) => s.name), `customer ${row.customerId}`).toEqual([cell]);
    }
  });

  it('writes nothing when re-run at the same time', { timeout: 240_000 }, async () => {
    const again = await stack.invoke<Run>('functions/resegment-workflow/evaluate/handler.ts', {});
    expect(again.writes).toBe(0);
    expect(again.sizes).toEqual(first.sizes);
  });

  it('lists sizes through the index, matching the run, with a daily snapshot', async () => {
    const { segments, snapshots } = await listSegments(stack);
    expect(Object.fromEntries(segments.map((s) => [s.name, s.size]))).toEqual(first.sizes);
    expect(snapshots).toEqual([{ date: AS_OF, sizes: first.sizes }]);
  });

  it('gives every segment its health: share of the 2,357, overlaps, revenue against the average, the run as its trend, warnings', async () => {
    const list = await listSegments(stack);
    expect(list.customers).toBe(2357);
    // The average revenue of the CDNOW sample, summed straight from the file (every order is before the as-of date).
    const total = fs.readFileSync(orders, 'utf-8').trim().split('\n').slice(1).reduce((sum, line) => sum + Number(line.split(',')[4]), 0);
    expect(list.averageRevenue).toBeCloseTo(total / 2357, 1);
    const health = new Map(list.segments.map((s) => [s.name, s.health]));
    for (const s of list.segments) {
      expect(s.health.share, s.name).toBeCloseTo(s.size / 2357, 4);
      expect(s.health.trend, s.name).toEqual([{ date: AS_OF, size: first.sizes[s.name] }]);
      expect(s.health.warnings.some((w) => w.startsWith('holds more than half')), s.name).toBe(s.size > 2357 / 2);
      expect(s.health.warnings.includes('holds no one'), s.name).toBe(s.size === 0);
    }
    // Lifecycle stages never share a member; VIPs are among the high-value and spend well above the average.
    expect(health.get('active')?.overlaps.map((o) => o.segment)).not.toContain('churned');
    expect(health.get('vip')?.overlaps.find((o) => o.segment === 'high-value')?.jaccard).toBeGreaterThan(0);
    expect(health.get('vip')?.revenueIndex).toBeGreaterThan(2);
    expect(health.get('first-time-buyers')?.revenueIndex).toBeLessThan(1);
  });

  it('explains each membership with the values that matched and records how the customer got there', async () => {
    const gone = (await rfmOfFile(orders, { asOf: new Date(`${AS_OF}T00:00:00Z`) })).find((r) => r.recencyDays >= 365);
    const explanation = await explainCustomer(stack, gone?.customerId ?? '');
    const churned = explanation?.segments.find((s) => s.name === 'churned');
    expect(churned?.why).toContainEqual({ field: 'orders.daysSinceLastOrder', op: 'gte', expected: 365, actual: gone?.recencyDays });
    expect(explanation?.transitions.filter((t) => t.segment === 'churned').map((t) => t.change)).toEqual(['enter']);
  });

  it('previews a definition without saving it, then applies it with the next evaluation', { timeout: 300_000 }, async () => {
    const file = readDefinitionFile(path.join(DEMO_DATA_DIR, 'segments', 'happy-reviewers.json'));
    const preview = await previewSegment(stack, file, new Date(`${AS_OF}T00:00:00Z`), 3);
    expect(preview.size).toBeGreaterThan(0);
    expect(preview.sample).toHaveLength(3);
    expect(preview.health).toMatchObject({ name: 'happy-reviewers', size: preview.size, share: preview.share, trend: [] });
    expect(preview.health.revenueIndex).not.toBeNull();
    expect((await listSegments(stack)).segments.map((s) => s.name)).not.toContain('happy-reviewers');

    await addSegment(stack, file);
    const run = await stack.invoke<Run>('functions/resegment-workflow/evaluate/handler.ts', {});
    expect(run.sizes['happy-reviewers']).toBe(preview.size);
    expect(run.entered).toEqual({ 'happy-reviewers': preview.size });
  });

  it('refuses an invalid definition with the reason and stores nothing', async () => {
    const bad = path.join(stateDir, 'bad.json');
    fs.writeFileSync(bad, JSON.stringify({ name: 'bad', title: 'Bad', kind: 'custom', condition: { type: 'segment', name: 'no-such-segment' } }));
    await expect(addSegment(stack, readDefinitionFile(bad))).rejects.toThrow(InputError);
    await expect(addSegment(stack, readDefinitionFile(bad))).rejects.toThrow('segment "bad" refers to unknown segment "no-such-segment"');
    expect((await listSegments(stack)).segments.map((s) => s.name)).not.toContain('bad');
  });
});
