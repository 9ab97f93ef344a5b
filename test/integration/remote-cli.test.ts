import { execFile, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../lib/project-root.ts';
import { STACK_OUTPUTS } from '../../lib/stack-outputs.ts';
import { startCloudFormationServer, type CloudFormationServer } from '../../functions/local/cloudformation-server.ts';
import { LOCAL_STACK_NAME } from '../../functions/local/local-stack.ts';

/**
 * The CLI against a `strata local up` running in another process, addressed as a deployed stack
 * is: `--stack strata-local` and the environment its export lines give (region, credentials, the
 * SDK's endpoint variables), every call through CloudFormation's outputs and the SDK. Data goes in
 * as an operator's `aws s3 cp` would put it, by S3 PutObject under incoming/.
 */
const cli = path.join(PROJECT_ROOT, 'bin', 'strata.js');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-remote-'));
const stateDir = path.join(work, 'state');
const DAY_MS = 86_400_000;
const daysAgo = (n: number) => new Date(Date.now() - n * DAY_MS).toISOString().slice(0, 10);

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** This process's environment without any AWS setting or strata target, so only what a test gives counts. */
function cleanEnvironment(): Record<string, string> {
  return Object.fromEntries(Object.entries(process.env).flatMap(([k, v]) => (v === undefined || k.startsWith('AWS_') || k === 'STRATA_STACK' ? [] : [[k, v]])));
}

/** One CLI run as its own process, run from a folder outside the source tree with its own (empty) state folder. */
function strata(args: readonly string[], env: Record<string, string>): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [cli, '--state-dir', path.join(work, 'other-state'), ...args], { cwd: work, env, maxBuffer: 32 * 1024 * 1024 }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : 1, stdout, stderr });
    });
  });
}

/** A refusal: exactly one line on stderr, exit code 2. */
function expectRefusal(run: Run, pattern: RegExp): void {
  expect(run.code, run.stderr).toBe(2);
  expect(run.stderr.split('\n').filter((l) => l !== '')).toHaveLength(1);
  expect(run.stderr).toMatch(pattern);
  expect(run.stdout).toBe('');
}

describe('the CLI against a `strata local up` in another process, as against a deployed stack', () => {
  let up: ChildProcess;
  let stackEnv: Record<string, string> = {};
  let bucket = '';
  const remote = (...args: string[]) => strata(['--stack', LOCAL_STACK_NAME, ...args], stackEnv);

  beforeAll(async () => {
    up = spawn(process.execPath, [cli, '--state-dir', stateDir, 'local', 'up'], { cwd: work, env: cleanEnvironment(), stdio: ['ignore', 'pipe', 'pipe'] });
    const exports = await new Promise<Record<string, string>>((resolve, reject) => {
      let out = '';
      let err = '';
      up.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString('utf-8')));
      up.stdout?.on('data', (chunk: Buffer) => {
        out += chunk.toString('utf-8');
        // The export lines follow "Other shells reach it…", and the block is written at once.
        if (out.includes('Other shells reach it') && out.endsWith('\n')) resolve(Object.fromEntries([...out.matchAll(/^ {2}export (\w+)=(.*)$/gm)].map((m) => [m[1] as string, m[2] as string])));
      });
      up.once('exit', (code) => reject(new Error(`strata local up exited with ${String(code)}: ${out}${err}`)));
    });
    expect(Object.keys(exports)).toEqual(expect.arrayContaining(['AWS_REGION', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_ENDPOINT_URL_CLOUDFORMATION', 'AWS_ENDPOINT_URL_S3']));
    stackEnv = { ...cleanEnvironment(), ...exports };

    // The bucket as an operator finds it: the stack's BucketName output.
    const credentials = { accessKeyId: exports.AWS_ACCESS_KEY_ID as string, secretAccessKey: exports.AWS_SECRET_ACCESS_KEY as string };
    const cloudFormation = new CloudFormationClient({ region: exports.AWS_REGION as string, endpoint: exports.AWS_ENDPOINT_URL_CLOUDFORMATION as string, credentials });
    const described = await cloudFormation.send(new DescribeStacksCommand({ StackName: LOCAL_STACK_NAME }));
    cloudFormation.destroy();
    bucket = described.Stacks?.[0]?.Outputs?.find((o) => o.OutputKey === STACK_OUTPUTS.bucket)?.OutputValue ?? '';
    expect(bucket).not.toBe('');

    const s3 = new S3Client({
      region: exports.AWS_REGION as string,
      endpoint: exports.AWS_ENDPOINT_URL_S3 as string,
      forcePathStyle: true,
      credentials,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
    try {
      await ingest(s3, 'incoming/customers/people.csv', 'customer_id,email,first_name\nC1,c1@example.com,Ann\nC2,c2@example.com,Bob\nC3,c3@example.com,Cid\n');
      await ingest(s3, 'incoming/orders/orders.csv', `order_id,customer_id,ordered_at,amount\nO1,C1,${daysAgo(10)},120.50\nO2,C1,${daysAgo(40)},80\nO3,C2,${daysAgo(10)},15\nO4,C3,${daysAgo(40)},300\n`);
    } finally {
      s3.destroy();
    }
  }, 600_000);

  /** Uploads one file and waits for the ingest report of this very upload (matched by its ETag). */
  async function ingest(s3: S3Client, key: string, body: string): Promise<void> {
    const put = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
    const etag = (put.ETag ?? '').replace(/"/g, '');
    const reportKey = `quarantine/${key.slice('incoming/'.length)}.report.json`;
    const deadline = Date.now() + 180_000;
    for (;;) {
      const text = await s3
        .send(new GetObjectCommand({ Bucket: bucket, Key: reportKey }))
        .then((r) => r.Body?.transformToString())
        .catch(() => undefined);
      const report = text === undefined ? undefined : (JSON.parse(text) as { etag?: string; status?: string; accepted?: number });
      if (report?.etag === etag && report.status === 'applied') return;
      if (Date.now() > deadline) throw new Error(`no applied report for ${key} (ETag ${etag}); last: ${text ?? 'none'}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  afterAll(async () => {
    if (up !== undefined && up.exitCode === null) {
      const exited = new Promise((resolve) => up.once('exit', resolve));
      up.kill('SIGTERM');
      await exited;
    }
    fs.rmSync(work, { recursive: true, force: true });
  });

  it('explains a customer and exports everything held about them', async () => {
    const explained = await remote('explain', 'C1', '--json');
    expect(explained.code, explained.stderr).toBe(0);
    const explanation = JSON.parse(explained.stdout) as { customerId: string; orders: { count: number; revenue: number }; segments: { name: string }[] };
    expect(explanation).toMatchObject({ customerId: 'C1', orders: { count: 2, revenue: 200.5 } });
    expect(explanation.segments.map((s) => s.name)).toContain('active');

    const exported = await remote('export-customer', 'C1');
    expect(exported.code, exported.stderr).toBe(0);
    const items = (JSON.parse(exported.stdout) as { items: { sk: string }[] }).items.map((i) => i.sk);
    expect(items).toEqual(expect.arrayContaining(['CONTACT', 'PROFILE', 'SEG#active']));
    expect(items.filter((sk) => sk.startsWith('O#'))).toHaveLength(2);

    const unknown = await remote('explain', 'nobody');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toBe(`no customer nobody in stack ${LOCAL_STACK_NAME}\n`);
  }, 60_000);

  it('lists segments with their sizes and the members of one, page by page, with --limit', async () => {
    const listed = await remote('segments', 'list', '--json');
    expect(listed.code, listed.stderr).toBe(0);
    const sizes = Object.fromEntries((JSON.parse(listed.stdout) as { segments: { name: string; size: number }[] }).segments.map((s) => [s.name, s.size]));
    // C1 and C3 ordered again or long ago; C2 once, ten days ago: new.
    expect(sizes).toMatchObject({ active: 2, new: 1, 'first-time-buyers': 2 });

    const members = await remote('segments', 'members', 'active', '--json');
    expect(members.code, members.stderr).toBe(0);
    const listing = JSON.parse(members.stdout) as { segment: string; members: string[]; count: number };
    expect({ ...listing, members: [...listing.members].sort() }).toEqual({ segment: 'active', members: ['C1', 'C3'], count: 2 });

    const limited = await remote('segments', 'members', 'active', '--limit', '1');
    expect(limited.code, limited.stderr).toBe(0);
    expect(limited.stdout.trim().split('\n')).toHaveLength(1);
    expect(['C1', 'C3']).toContain(limited.stdout.trim());

    const none = await remote('segments', 'members', 'no-such-segment');
    expect(none.code).toBe(1);
    expect(none.stderr).toBe(`strata: no segment no-such-segment in stack ${LOCAL_STACK_NAME} (strata segments list shows those in force)\n`);
  }, 90_000);

  it('previews, adds, fills and removes a segment; a built-in is not removed', async () => {
    const file = path.join(work, 'big-spenders.json');
    fs.writeFileSync(file, JSON.stringify({ name: 'big-spenders', title: 'Big spenders', kind: 'custom', description: 'revenue of 100 or more', condition: { type: 'compare', field: 'orders.revenue', op: 'gte', value: 100 } }));

    const preview = await remote('segments', 'preview', file, '--json');
    expect(preview.code, preview.stderr).toBe(0);
    const previewed = JSON.parse(preview.stdout) as { size: number; customers: number; sample: { customerId: string }[] };
    expect(previewed).toMatchObject({ size: 2, customers: 3 });
    expect(previewed.sample.map((s) => s.customerId).sort()).toEqual(['C1', 'C3']);

    const added = await remote('segments', 'add', file, '--json');
    expect(added.code, added.stderr).toBe(0);
    expect(JSON.parse(added.stdout)).toEqual({ name: 'big-spenders', key: 'config/segments/big-spenders.json' });

    // Members come with the next evaluation of a customer: C1 touched by a new order.
    const s3 = new S3Client({
      region: stackEnv.AWS_REGION as string,
      endpoint: stackEnv.AWS_ENDPOINT_URL_S3 as string,
      forcePathStyle: true,
      credentials: { accessKeyId: stackEnv.AWS_ACCESS_KEY_ID as string, secretAccessKey: stackEnv.AWS_SECRET_ACCESS_KEY as string },
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
    try {
      await ingest(s3, 'incoming/orders/more.csv', `order_id,customer_id,ordered_at,amount\nO5,C1,${daysAgo(2)},10\n`);
    } finally {
      s3.destroy();
    }
    const members = await remote('segments', 'members', 'big-spenders', '--json');
    expect(JSON.parse(members.stdout)).toEqual({ segment: 'big-spenders', members: ['C1'], count: 1 });

    const builtin = await remote('segments', 'remove', 'active');
    expect(builtin.code).toBe(1);
    expect(builtin.stderr).toMatch(/^strata: active is a built-in segment and cannot be removed: tune its thresholds in config\/segments\/builtin\.json[^\n]*\n$/);

    // A definition that refers to it holds it in force until that one goes.
    const dependent = path.join(work, 'big-and-new.json');
    fs.writeFileSync(dependent, JSON.stringify({ name: 'big-and-new', title: 'Big and new', kind: 'custom', description: 'big spenders among the new', condition: { type: 'all', conditions: [{ type: 'segment', name: 'big-spenders' }, { type: 'segment', name: 'new' }] } }));
    expect((await remote('segments', 'add', dependent)).code).toBe(0);
    const held = await remote('segments', 'remove', 'big-spenders');
    expect(held.code).toBe(1);
    expect(held.stderr).toBe('strata: cannot remove segment big-spenders: big-and-new refers to it; remove or change that definition first\n');
    expect(JSON.parse((await remote('segments', 'remove', 'big-and-new', '--json')).stdout)).toEqual({ name: 'big-and-new', key: 'config/segments/big-and-new.json', retired: 0, builtinRestored: false });

    const removed = await remote('segments', 'remove', 'big-spenders', '--json');
    expect(removed.code, removed.stderr).toBe(0);
    expect(JSON.parse(removed.stdout)).toEqual({ name: 'big-spenders', key: 'config/segments/big-spenders.json', retired: 1, builtinRestored: false });

    const gone = await remote('segments', 'list', '--json');
    expect((JSON.parse(gone.stdout) as { segments: { name: string }[] }).segments.map((s) => s.name)).not.toContain('big-spenders');
    const again = await remote('segments', 'remove', 'big-spenders');
    expect(again.code).toBe(1);
    expect(again.stderr).toBe(`strata: no segment big-spenders in stack ${LOCAL_STACK_NAME} (strata segments list shows those in force)\n`);

    const explained = JSON.parse((await remote('explain', 'C1', '--json')).stdout) as { segments: { name: string }[]; transitions: { segment: string; change: string }[] };
    expect(explained.segments.map((s) => s.name)).not.toContain('big-spenders');
    expect(explained.transitions.filter((t) => t.segment === 'big-spenders').map((t) => t.change)).toEqual(['enter', 'exit']);
  }, 150_000);

  it('adds, pauses, resumes, tests and sends a campaign, then lists who it decided about', async () => {
    // A broadcast to the active segment (C1, C3), written as an operator would write one.
    const dir = path.join(work, 'campaigns');
    fs.mkdirSync(dir, { recursive: true });
    const base = JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, 'examples', 'campaigns', 'vip-early-access.json'), 'utf-8')) as Record<string, unknown> & { content: Record<string, unknown> };
    fs.copyFileSync(path.join(PROJECT_ROOT, 'examples', 'campaigns', 'vip-early-access.mjml'), path.join(dir, 'flash-sale.mjml'));
    const file = path.join(dir, 'flash-sale.json');
    fs.writeFileSync(file, JSON.stringify({ ...base, name: 'flash-sale', segments: ['active'], holdout: 0, content: { ...base.content, subject: 'Flash sale', mjml: 'flash-sale.mjml' } }));

    const added = await remote('campaigns', 'add', file, '--json');
    expect(added.code, added.stderr).toBe(0);
    const listed = await remote('campaigns', 'list', '--json');
    expect(listed.code, listed.stderr).toBe(0);
    expect((JSON.parse(listed.stdout) as { name: string; status: string }[]).find((c) => c.name === 'flash-sale')).toMatchObject({ status: 'active' });

    // Paused, a broadcast is refused; resumed, it goes out through the stack's dispatch function.
    expect((await remote('campaigns', 'pause', 'flash-sale')).code).toBe(0);
    const refused = await remote('campaigns', 'send', 'flash-sale');
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/paused/);
    expect((await remote('campaigns', 'resume', 'flash-sale')).code).toBe(0);

    const tested = await remote('campaigns', 'test', 'flash-sale', '--to', 'operator@example.com', '--json');
    expect(tested.code, tested.stderr).toBe(0);
    const mailbox = (await (await fetch(`${stackEnv.AWS_ENDPOINT_URL_SESV2}/store`)).json()) as { emails: { subject: string; destination: { to: string[] } }[] };
    expect(mailbox.emails.find((m) => m.destination.to.includes('operator@example.com'))?.subject).toBe('[TEST] Flash sale');

    const sent = await remote('campaigns', 'send', 'flash-sale', '--json');
    expect(sent.code, sent.stderr).toBe(0);
    const recipients = await remote('campaigns', 'recipients', 'flash-sale', '--json');
    expect(recipients.code, recipients.stderr).toBe(0);
    const decided = JSON.parse(recipients.stdout) as { customerId: string; decision: string; why: string }[];
    expect(decided.map((r) => r.customerId).sort()).toEqual(['C1', 'C3']);
    for (const r of decided) expect(['sent', 'deferred', 'suppressed', 'capped', 'no address']).toContain(r.decision);
    // The test message is not a decision about anyone.
    expect(decided.map((r) => r.customerId)).not.toContain('operator@example.com');

    const bad = await remote('campaigns', 'show', 'no-such-campaign');
    expect(bad.code).not.toBe(0);
    expect(bad.stderr.split('\n').filter((l) => l !== '')).toHaveLength(1);
  }, 180_000);

  it('writes the report into the stack\'s bucket and says how sending stands', async () => {
    const out = path.join(work, 'report.html');
    const report = await remote('report', '--out', out, '--json');
    expect(report.code, report.stderr).toBe(0);
    const figures = JSON.parse(report.stdout) as { key: string; campaigns: unknown[]; sizes: { dates: string[] }; sending: { paused: boolean } };
    expect(figures.key).toMatch(/^reports\/\d{4}-\d{2}-\d{2}\.html$/);
    expect(figures.sending.paused).toBe(false);
    expect(fs.readFileSync(out, 'utf-8')).toContain('<html');

    const sending = await remote('sending', '--json');
    expect(sending.code, sending.stderr).toBe(0);
    expect(JSON.parse(sending.stdout)).toMatchObject({ guard: null, window: { paused: false, sends: 0 } });
  }, 90_000);

  it('forgets a customer, after which only their suppression entry is left', async () => {
    const forgotten = await remote('forget', 'C3', '--json');
    expect(forgotten.code, forgotten.stderr).toBe(0);
    expect(JSON.parse(forgotten.stdout)).toMatchObject({ target: 'id', erased: 'C3', customers: ['C3'], idsSuppressed: 1 });

    const exported = await remote('export-customer', 'C3');
    expect(exported.code, exported.stderr).toBe(0);
    const left = JSON.parse(exported.stdout) as { items: unknown[]; suppression: { reason: string; scope: string }[] };
    expect(left.items).toEqual([]);
    expect(left.suppression).toEqual(expect.arrayContaining([expect.objectContaining({ reason: 'erased', scope: 'id' })]));
  }, 60_000);

  it('refuses an unknown stack, missing credentials and a stack that is not strata\'s, each in one line with exit code 2', async () => {
    expectRefusal(await strata(['--stack', 'nosuch', 'segments', 'list'], stackEnv), /^strata: no stack nosuch in us-east-1 /);

    const empty = path.join(work, 'empty-aws-file');
    fs.writeFileSync(empty, '');
    const { AWS_ACCESS_KEY_ID: _id, AWS_SECRET_ACCESS_KEY: _secret, ...withoutCredentials } = stackEnv;
    const noCredentials = { ...withoutCredentials, AWS_EC2_METADATA_DISABLED: 'true', AWS_CONFIG_FILE: empty, AWS_SHARED_CREDENTIALS_FILE: empty };
    expectRefusal(await strata(['--stack', LOCAL_STACK_NAME, 'explain', 'C1'], noCredentials), /^strata: no AWS credentials to reach stack strata-local in us-east-1: /);

    const other: CloudFormationServer = await startCloudFormationServer({ stackName: 'other', outputs: [] });
    try {
      const run = await strata(['--stack', 'other', 'segments', 'list'], { ...stackEnv, AWS_ENDPOINT_URL_CLOUDFORMATION: other.endpoint });
      expectRefusal(run, /^strata: stack other in us-east-1 is not a strata stack: it has no StrataOutputs output\n$/);
    } finally {
      await other.close();
    }
  }, 90_000);
});
