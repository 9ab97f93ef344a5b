import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../lib/project-root.ts';

const run = promisify(execFile);
const cli = path.join(PROJECT_ROOT, 'bin', 'strata.js');
const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-cli-'));
const strata = (...args: string[]) => run(process.execPath, [cli, '--state-dir', stateDir, ...args], { cwd: PROJECT_ROOT, maxBuffer: 16 * 1024 * 1024 });

afterAll(() => fs.rmSync(stateDir, { recursive: true, force: true }));

describe('the strata CLI', () => {
  it('lists its commands', async () => {
    const { stdout } = await strata('--help');
    for (const command of ['demo', 'local', 'explain']) expect(stdout).toContain(command);
  });

  it('runs the demo and prints the DESIGN.md JSON shape on stdout, progress on stderr', async () => {
    const { stdout, stderr } = await strata('demo', '--json');
    const result = JSON.parse(stdout) as Record<string, unknown>;
    expect(result).toMatchObject({
      customers: 2357,
      orders: 6919,
      segments: { 'first-time-buyers': expect.any(Number) },
      campaigns: expect.arrayContaining([
        expect.objectContaining({ name: 'second-purchase', segment: 'first-time-buyers', sent: expect.any(Number), suppressed: expect.any(Number), holdout: expect.any(Number) }),
      ]),
      report: path.join(PROJECT_ROOT, 'out', 'report.html'),
    });
    expect(stderr).toContain('ingesting incoming/orders/cdnow_sample.csv');
  }, 600_000);

  it('writes the report where asked and prints its figures', async () => {
    const out = path.join(stateDir, 'report.html');
    const { stdout } = await strata('report', '--out', out, '--json');
    expect(JSON.parse(stdout)).toMatchObject({
      file: out,
      key: 'reports/1998-07-01.html',
      attributionDays: 7,
      campaigns: expect.arrayContaining([expect.objectContaining({ campaign: 'second-purchase', segment: 'first-time-buyers', treatment: expect.objectContaining({ sent: expect.any(Number) }) })]),
      sending: { paused: false },
    });
    expect(fs.readFileSync(out, 'utf-8')).toMatch(/^<!doctype html>/);
  }, 120_000);

  it('shows the sending guard', async () => {
    const { stdout } = await strata('sending', '--json');
    expect(JSON.parse(stdout)).toMatchObject({ guard: null, window: { paused: false, hardBounces: 0 } });
  }, 60_000);

  it('explains a customer from the state the demo left', async () => {
    const { stdout } = await strata('explain', '3', '--json');
    expect(JSON.parse(stdout)).toMatchObject({
      customerId: '3',
      orders: { count: 1, revenue: 6.79, first: '1997-01-01T00:00:00.000Z', last: '1997-01-01T00:00:00.000Z' },
      segments: expect.arrayContaining([expect.objectContaining({ name: 'first-time-buyers', why: [expect.objectContaining({ field: 'orders.purchaseDays', actual: 1 })] })]),
    });
  }, 60_000);

  it('says so, and exits 1, for an unknown customer', async () => {
    await expect(strata('explain', 'no-such-customer')).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining('no customer no-such-customer') });
  }, 60_000);

  it('rejects a malformed date with a clear message', async () => {
    await expect(strata('demo', '--as-of', 'yesterday')).rejects.toMatchObject({ stderr: expect.stringContaining('expected a date like 1998-07-01') });
  });
});
