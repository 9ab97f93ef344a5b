import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../lib/project-root.ts';
import { countProfiles } from '../../bin/commands/count-profiles.ts';
import { explainCustomer } from '../../bin/commands/explain.ts';
import { startLocalStack } from '../../functions/local/local-stack.ts';
import { listSegments } from '../../bin/commands/segments.ts';

const run = promisify(execFile);
const cli = path.join(PROJECT_ROOT, 'bin', 'strata.js');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-cli-hostile-'));
const stateDir = path.join(dir, 'state');
const file = (name: string) => path.join(dir, name);

interface Outcome {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the CLI as a user would and returns how it ended, whether or not it failed. */
async function strata(...args: string[]): Promise<Outcome> {
  try {
    const { stdout, stderr } = await run(process.execPath, [cli, '--state-dir', stateDir, ...args], { cwd: PROJECT_ROOT, maxBuffer: 16 * 1024 * 1024 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const { code, stdout, stderr } = error as { code: number; stdout: string; stderr: string };
    return { code, stdout, stderr };
  }
}

const ORDERS = 'customer_id,date,amount\nh1,1998-01-02,10.00\nh1,1998-02-03,12.50\nh2,1998-03-04,7.25\n';
// Bytes a hostile upload could hold: a terminal escape that would clear the screen and turn it red, then noise with line breaks.
const GARBAGE = Buffer.concat([Buffer.from('\x1b[2J\x1b[31m'), Buffer.from(Array.from({ length: 3000 }, (_, i) => (i * 7919 + 13) % 256))]);
const LONG_ID = 'x'.repeat(10_000);

beforeAll(async () => {
  fs.writeFileSync(file('orders.csv'), ORDERS);
  fs.mkdirSync(file('a-folder.csv'));
  fs.writeFileSync(file('not-json.json'), 'not json {\n  "kind": "orders"\n');
  fs.writeFileSync(file('invalid-segment.json'), JSON.stringify({ name: 'invalid-segment', kind: 'nope' }));
  fs.writeFileSync(file('garbage.bin'), GARBAGE);
  fs.writeFileSync(file('garbage.csv'), GARBAGE);
  const ingest = await strata('ingest', file('orders.csv'), '--kind', 'orders', '--json');
  expect(ingest.code).toBe(0);
  expect(JSON.parse(ingest.stdout)).toMatchObject({ files: [{ status: 'applied', accepted: 3, rejected: 0 }], customers: 2 });
}, 180_000);

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

// None of these may start a stack: each is refused from its arguments alone, in seconds.
const HOSTILE: readonly { readonly name: string; readonly args: readonly string[]; readonly says: RegExp }[] = [
  { name: 'an unknown command', args: ['frobnicate'], says: /^error: unknown command 'frobnicate'/ },
  { name: 'an unknown option', args: ['explain', 'h1', '--frobnicate'], says: /^error: unknown option '--frobnicate'/ },
  { name: 'ingest of a file that does not exist', args: ['ingest', file('missing.csv')], says: /^strata: no such file: .*missing\.csv$/ },
  { name: 'ingest of a directory', args: ['ingest', file('a-folder.csv')], says: /^strata: .*a-folder\.csv is a directory, not a file$/ },
  { name: 'ingest of a file of no format it reads', args: ['ingest', file('garbage.bin')], says: /^strata: .*garbage\.bin is neither \.csv\/\.tsv\/\.txt nor \.jsonl/ },
  { name: 'ingest with a mapping that is not JSON', args: ['ingest', file('orders.csv'), '--mapping', file('not-json.json')], says: /^strata: cannot read mapping .*not-json\.json: .*is not valid JSON$/ },
  { name: 'rfm of a file that does not exist', args: ['rfm', '--orders', file('missing.csv'), '--as-of', '1998-07-01', '--json'], says: /^strata: no such file: .*missing\.csv$/ },
  { name: 'rfm of a binary file', args: ['rfm', '--orders', file('garbage.bin'), '--as-of', '1998-07-01', '--json'], says: /^strata: .*garbage\.bin is neither/ },
  { name: 'rfm of garbage named .csv', args: ['rfm', '--orders', file('garbage.csv'), '--as-of', '1998-07-01', '--json'], says: /^strata: cannot recognize the customerId, orderedAt, amount column\(s\) of this orders file/ },
  { name: 'segments preview of a file that is not JSON', args: ['segments', 'preview', file('not-json.json')], says: /^strata: .*not-json\.json is not valid JSON/ },
  { name: 'segments preview of an invalid definition', args: ['segments', 'preview', file('invalid-segment.json')], says: /^strata: invalid segment definition invalid-segment\.json: title: .*kind: Invalid option/ },
  { name: 'segments add of an invalid definition', args: ['segments', 'add', file('invalid-segment.json')], says: /^strata: invalid segment definition invalid-segment\.json/ },
  { name: 'model fit of a file that does not exist', args: ['model', 'fit', '--orders', file('missing.csv'), '--calibration-end', '1998-03-31', '--json'], says: /^strata: no such file: .*missing\.csv$/ },
  { name: 'model score of a file that does not exist', args: ['model', 'score', '--orders', file('missing.csv'), '--calibration-end', '1998-03-31', '--horizon-weeks', '4', '--json'], says: /^strata: no such file: .*missing\.csv$/ },
  { name: 'forget with no argument', args: ['forget'], says: /^error: missing required argument 'customerIdOrEmail'$/ },
  { name: 'explain of a 10,000-character id', args: ['explain', LONG_ID, '--json'], says: /^strata: customer id x{20}… \(10000 characters\) is longer than 128 characters, so no customer has it$/ },
  { name: 'resegment at a date that is not one', args: ['resegment', '--as-of', 'not-a-date', '--json'], says: /^error: option '--as-of <date>' argument 'not-a-date' is invalid\. expected a date like 1998-07-01$/ },
  { name: 'clusters with k = 0', args: ['clusters', '--orders', file('orders.csv'), '--k', '0'], says: /argument '0' is invalid\. expected a positive whole number$/ },
  { name: 'lookalike without a seed', args: ['lookalike', '--orders', file('orders.csv'), '--top', '5'], says: /^strata: give exactly one of --seed-file and --seed-segment$/ },
];

describe.concurrent('hostile arguments to the CLI: a non-zero exit, one clear line on stderr, no stack trace, nothing on stdout', () => {
  it.each(HOSTILE)('$name', async ({ args, says }) => {
    const { code, stdout, stderr } = await strata(...args);

    expect(code).not.toBe(0);
    expect(stdout).toBe('');
    const [first, ...rest] = stderr.trimEnd().split('\n');
    expect(first).toMatch(says);
    // A typo gets commander's one-line hint after the error, nothing more.
    expect(rest).toEqual(rest.length === 0 ? [] : ['(add --help for usage)']);
    expect(stderr).not.toMatch(/^\s+at /m);
    // eslint-disable-next-line no-control-regex -- a hostile file's control characters must not reach the terminal
    expect(stderr).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f]/);
  }, 120_000);
});

describe('after the hostile arguments', () => {
  it('report --out into a folder that does not exist creates the folder, as it does for the default out/', async () => {
    const out = file('no/such/folder/report.html');
    const { code, stdout } = await strata('report', '--out', out, '--json');
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ file: out });
    expect(fs.readFileSync(out, 'utf-8')).toMatch(/^<!doctype html>/);
  }, 120_000);

  it('the stored state is what the one good ingest left: two customers, their orders unchanged, no new segment', async () => {
    const stack = await startLocalStack({ stateDir });
    try {
      expect(await countProfiles(stack)).toBe(2);
      expect((await explainCustomer(stack, 'h1'))?.orders).toMatchObject({ count: 2, revenue: 22.5 });
      expect((await explainCustomer(stack, 'h2'))?.orders).toMatchObject({ count: 1, revenue: 7.25 });
      expect((await listSegments(stack)).segments.map((d) => d.name)).not.toContain('invalid-segment');
    } finally {
      await stack.stop();
    }
  }, 120_000);
});
