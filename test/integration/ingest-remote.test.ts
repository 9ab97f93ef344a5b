import { execFile, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../lib/project-root.ts';
import { resetClients } from '../../functions/adapters/aws-clients.ts';
import { readReportOf } from '../../bin/commands/ingest.ts';
import type { FilesJson } from '../../bin/commands/files.ts';
import type { ResegmentJson } from '../../bin/commands/resegment.ts';
import type { StackNames } from '../../bin/commands/target.ts';

// Every command runs as its own process against a `strata local up` of another process, addressed
// as a deployed stack is: --stack and the environment its export lines print, from a state folder
// of its own (so nothing but CloudFormation's outputs tells the CLI where the stack is).
const run = promisify(execFile);
const cli = path.join(PROJECT_ROOT, 'bin', 'strata.js');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-ingest-remote-'));
const ownerState = path.join(work, 'owner');
const clientState = path.join(work, 'client');
const environment: Record<string, string> = {};

interface Result {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

async function strata(...args: string[]): Promise<Result> {
  try {
    const { stdout, stderr } = await run(process.execPath, [cli, '--state-dir', clientState, '--stack', 'strata-local', ...args], {
      cwd: PROJECT_ROOT,
      env: { ...process.env, ...environment },
      maxBuffer: 16 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    if (typeof e.code !== 'number') throw error;
    return { code: e.code, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

interface IngestJson {
  readonly files: readonly { readonly file: string; readonly key: string; readonly status: string; readonly accepted: number; readonly rejected: number; readonly rejectedByReason: Record<string, number>; readonly quarantine?: string; readonly error?: string }[];
  readonly customers: number;
}

/** A file under a folder named after its kind, so ingest settles the kind from it. */
function dataFile(kind: string, name: string, lines: readonly string[]): string {
  const dir = path.join(work, 'files', kind);
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, name);
  fs.writeFileSync(file, [...lines, ''].join('\n'));
  return file;
}

const customerRows = (n: number, prefix: string) => Array.from({ length: n }, (_, i) => `${prefix}${i},${prefix.toLowerCase()}${i}@example.com,Name${i}`);

describe('ingest, files and resegment against a stack reached by name', () => {
  let up: ChildProcess;
  let names: StackNames;

  beforeAll(async () => {
    up = spawn(process.execPath, [cli, '--state-dir', ownerState, 'local', 'up'], { cwd: PROJECT_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    const out = await new Promise<string>((resolve, reject) => {
      let text = '';
      up.stdout?.on('data', (chunk: Buffer) => {
        text += chunk.toString('utf-8');
        if (text.includes('AWS_ENDPOINT_URL_CLOUDFORMATION=')) resolve(text);
      });
      up.once('exit', (code) => reject(new Error(`strata local up exited with ${String(code)}: ${text}`)));
    });
    for (const [, name, value] of out.matchAll(/^\s*export (\w+)=(\S+)$/gm)) environment[name ?? ''] = value ?? '';
    const table = /table (\S+)/.exec(out)?.[1];
    const bucket = /bucket (\S+)/.exec(out)?.[1];
    if (table === undefined || bucket === undefined) throw new Error(`no table or bucket in: ${out}`);
    names = { tableName: table, bucketName: bucket };
    // This process reads reports the way the CLI does, through the same published endpoints.
    Object.assign(process.env, environment);
    resetClients();
  }, 180_000);

  afterAll(async () => {
    if (up.exitCode === null) {
      const exited = new Promise((resolve) => up.once('exit', resolve));
      up.kill('SIGTERM');
      await exited;
    }
    resetClients();
    fs.rmSync(work, { recursive: true, force: true });
  });

  it('ingests a small orders file and its mapping, then files shows it applied with its counts', async () => {
    const sample = fs.readFileSync(path.join(PROJECT_ROOT, 'examples', 'orders', 'cdnow_sample.csv'), 'utf-8').split(/\r?\n/).filter((l) => l !== '');
    const orders = dataFile('orders', 'sample.csv', sample.slice(0, 41));
    const mapping = path.join(PROJECT_ROOT, 'examples', 'orders', 'cdnow_sample.mapping.json');

    const ingest = await strata('ingest', orders, '--mapping', mapping, '--json');
    expect(ingest.code).toBe(0);
    const json = JSON.parse(ingest.stdout) as IngestJson;
    expect(json.files).toEqual([expect.objectContaining({ file: orders, key: 'incoming/orders/sample.csv', status: 'applied', accepted: 40, rejected: 0, rejectedByReason: {} })]);
    expect(json.customers).toBeGreaterThan(0);
    // No bar drawn on a stream that is not a terminal.
    expect(ingest.stderr).not.toContain('\x1b[');

    const files = JSON.parse((await strata('files', '--json')).stdout) as FilesJson;
    expect(files.complete).toBe(true);
    expect(files.files).toContainEqual(expect.objectContaining({ key: 'incoming/orders/sample.csv', kind: 'orders', status: 'applied', accepted: 40, rejected: 0 }));
    expect(files.files.map((f) => f.key)).not.toContain('incoming/orders/sample.mapping.json');
  }, 120_000);

  it('shows why rows were rejected, and a file rejected whole ends with exit code 2', async () => {
    const some = dataFile('customers', 'some-bad.csv', ['customer_id,email,first_name', ...customerRows(9, 'S'), 'S9,not-an-address,Bad']);
    const withBadRows = await strata('ingest', some, '--json');
    expect(withBadRows.code).toBe(0);
    expect((JSON.parse(withBadRows.stdout) as IngestJson).files).toEqual([
      expect.objectContaining({ status: 'applied', accepted: 9, rejected: 1, rejectedByReason: { 'invalid e-mail address': 1 }, quarantine: 'quarantine/customers/some-bad.csv.rejected.csv' }),
    ]);

    const mostly = dataFile('customers', 'mostly-bad.csv', ['customer_id,email,first_name', 'M0,m0@example.com,Good', 'M1,nope,Bad', 'M2,neither,Bad', 'M3,nor-this,Bad']);
    const refused = await strata('ingest', mostly, '--json');
    expect(refused.code).toBe(2);
    expect((JSON.parse(refused.stdout) as IngestJson).files).toEqual([expect.objectContaining({ status: 'rejected', rejected: 3, rejectedByReason: { 'invalid e-mail address': 3 } })]);

    const listed = JSON.parse((await strata('files', '--json', '--limit', '2')).stdout) as FilesJson;
    expect(listed.files.map((f) => [f.key, f.status])).toEqual([
      ['incoming/customers/mostly-bad.csv', 'rejected'],
      ['incoming/customers/some-bad.csv', 'applied'],
    ]);
    const text = await strata('files', '--limit', '2');
    expect(text.stdout).toMatch(/rejected\s+incoming\/customers\/mostly-bad\.csv .*\n\s+rejected rows: invalid e-mail address 3; file rejected whole: /);
    expect(text.stdout).toMatch(/applied\s+incoming\/customers\/some-bad\.csv\s+9 accepted, 1 rejected\n\s+rejected rows: invalid e-mail address 1/);
  }, 120_000);

  it('resegment starts the state machine, follows it and prints the report', async () => {
    const resegment = await strata('resegment', '--as-of', '1998-07-01', '--json');
    expect(resegment.code).toBe(0);
    const json = JSON.parse(resegment.stdout) as ResegmentJson;
    expect(json.runId).toMatch(/^manual-/);
    expect(json.asOf).toBe('1998-07-01T00:00:00.000Z');
    expect(json.totals.customers).toBeGreaterThanOrEqual(10);
    expect(json.totals.transitions).toBeGreaterThan(0);
    expect(json.scanSegments.length).toBeGreaterThan(0);
  }, 180_000);

  it('--no-wait returns once uploaded, before the report; files shows it pending, then applied', async () => {
    const big = dataFile('customers', 'many.csv', ['customer_id,email,first_name', ...customerRows(400, 'N')]);
    const uploaded = await strata('ingest', big, '--no-wait', '--json');
    expect(uploaded.code).toBe(0);
    const [file] = (JSON.parse(uploaded.stdout) as { files: { key: string; etag: string; status: string }[] }).files;
    expect(file).toMatchObject({ key: 'incoming/customers/many.csv', status: 'pending', etag: expect.stringMatching(/^[0-9a-f]{32}$/) });
    expect(await readReportOf(names, file?.key ?? '', file?.etag ?? '')).toBeUndefined();

    let status: FilesJson['files'][number] | undefined;
    const deadline = Date.now() + 90_000;
    while (status?.status !== 'applied' && Date.now() < deadline) {
      status = (JSON.parse((await strata('files', '--json', '--limit', '1')).stdout) as FilesJson).files[0];
      expect(status).toMatchObject({ key: 'incoming/customers/many.csv', etag: file?.etag });
      expect(['pending', 'applied']).toContain(status?.status);
    }
    expect(status).toMatchObject({ status: 'applied', accepted: 400, rejected: 0 });
  }, 150_000);
});
