import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { executionRecords } from '../../functions/local/execution-records.ts';

const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-executions-'));
const arn = (name: string) => `arn:aws:states:us-east-1:000000000000:execution:resegment:${name}`;
afterAll(() => fs.rmSync(stateDir, { recursive: true, force: true }));

describe("the embedded runner's execution records, as DescribeExecution reads them", () => {
  const records = executionRecords(stateDir);

  it('reads a running execution of a live process as RUNNING, and its end as recorded', () => {
    records.write({ executionArn: arn('live'), pid: process.pid, status: 'RUNNING', startDate: '2026-01-01T00:00:00.000Z' });
    expect(records.describe(arn('live'))).toEqual({ status: 'RUNNING', startedAt: '2026-01-01T00:00:00.000Z' });
    records.write({ executionArn: arn('live'), pid: process.pid, status: 'FAILED', startDate: '2026-01-01T00:00:00.000Z', stopDate: '2026-01-01T00:01:00.000Z', error: 'States.TaskFailed' });
    expect(records.describe(arn('live'))).toEqual({ status: 'FAILED', startedAt: '2026-01-01T00:00:00.000Z', stoppedAt: '2026-01-01T00:01:00.000Z', cause: 'States.TaskFailed' });
  });

  it('gives a succeeded execution its input and output, as DescribeExecution returns them', () => {
    records.write({ executionArn: arn('done'), pid: process.pid, status: 'SUCCEEDED', startDate: '2026-01-01T00:00:00.000Z', stopDate: '2026-01-01T00:02:00.000Z', input: '{"trigger":"manual"}', output: '{"acquired":true}' });
    expect(records.describe(arn('done'))).toEqual({ status: 'SUCCEEDED', startedAt: '2026-01-01T00:00:00.000Z', stoppedAt: '2026-01-01T00:02:00.000Z', input: '{"trigger":"manual"}', output: '{"acquired":true}' });
  });

  it('reads a running execution whose process is gone as ABORTED', () => {
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf-8' });
    const pid = Number(gone.stdout);
    records.write({ executionArn: arn('killed'), pid, status: 'RUNNING', startDate: '2026-01-01T00:00:00.000Z' });
    expect(records.describe(arn('killed'))).toEqual({ status: 'ABORTED', startedAt: '2026-01-01T00:00:00.000Z', cause: `the local process ${pid} that ran it is gone` });
  });

  it('knows nothing of an execution it never ran, or of what is not an execution ARN', () => {
    expect(records.describe(arn('never'))).toBeUndefined();
    expect(records.describe('other-execution')).toBeUndefined();
    expect(records.describe(`${arn('x')}/../../../etc/passwd`)).toBeUndefined();
  });
});
