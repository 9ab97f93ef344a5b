import { execFile, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../lib/project-root.ts';

const run = promisify(execFile);
const cli = path.join(PROJECT_ROOT, 'bin', 'strata.js');
const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-attach-'));
const strata = (...args: string[]) => run(process.execPath, [cli, '--state-dir', stateDir, ...args], { cwd: PROJECT_ROOT, maxBuffer: 16 * 1024 * 1024 });

interface IngestJson {
  readonly files: readonly { readonly file: string; readonly status: string; readonly accepted: number; readonly rejected: number }[];
}

/** A customers file of `rows` customers; under its own folder, so two uploads may share a name (and so a key). */
function customersFile(folder: string, name: string, rows: number, prefix: string): string {
  const dir = path.join(stateDir, 'files', folder, 'customers');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, name);
  const lines = Array.from({ length: rows }, (_, i) => `${prefix}${i},${prefix}${i}@example.com,Name${i}`);
  fs.writeFileSync(file, ['customer_id,email,first_name', ...lines, ''].join('\n'));
  return file;
}

describe('strata ingest attached to a running `strata local up`', () => {
  let up: ChildProcess;

  beforeAll(async () => {
    up = spawn(process.execPath, [cli, '--state-dir', stateDir, 'local', 'up'], { cwd: PROJECT_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    await new Promise<void>((resolve, reject) => {
      let out = '';
      up.stdout?.on('data', (chunk: Buffer) => {
        out += chunk.toString('utf-8');
        if (out.includes('strata local stack is up')) resolve();
      });
      up.once('exit', (code) => reject(new Error(`strata local up exited with ${String(code)}: ${out}`)));
    });
  }, 180_000);

  afterAll(async () => {
    if (up.exitCode === null) {
      const exited = new Promise((resolve) => up.once('exit', resolve));
      up.kill('SIGTERM');
      await exited;
    }
    fs.rmSync(stateDir, { recursive: true, force: true });
  });

  it("gives each CLI its own upload's report: two files in quick succession, then a new version of the first", async () => {
    const first = customersFile('one', 'first.csv', 3, 'A');
    const second = customersFile('two', 'second.csv', 5, 'B');
    const firstRun = strata('ingest', first, '--json');
    await new Promise((resolve) => setTimeout(resolve, 300));
    const secondRun = strata('ingest', second, '--json');
    const [a, b] = await Promise.all([firstRun, secondRun]);
    expect((JSON.parse(a.stdout) as IngestJson).files).toEqual([expect.objectContaining({ file: first, status: 'applied', accepted: 3, rejected: 0 })]);
    expect((JSON.parse(b.stdout) as IngestJson).files).toEqual([expect.objectContaining({ file: second, status: 'applied', accepted: 5, rejected: 0 })]);

    // A new version of first.csv: its own counts, not the report the previous upload of that name left.
    const newer = customersFile('three', 'first.csv', 4, 'C');
    const again = JSON.parse((await strata('ingest', newer, '--json')).stdout) as IngestJson;
    expect(again.files).toEqual([expect.objectContaining({ file: newer, status: 'applied', accepted: 4 })]);
  }, 300_000);
});
