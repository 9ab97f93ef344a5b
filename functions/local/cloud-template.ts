import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PROJECT_ROOT } from '../../lib/project-root.ts';

/** A CloudFormation template, as far as the local stack reads it. */
export interface CfnTemplate {
  readonly Resources: Readonly<Record<string, CfnResource>>;
}

export interface CfnResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly Metadata?: Record<string, unknown>;
}

/**
 * Synthesizes the real CDK app in this process, without bundling, and returns the stack's
 * template: the local stack builds its tables, bucket, functions and templates from it, so there is
 * no second, hand-kept list of resources.
 */
async function synthesizeTemplate(context: Record<string, unknown> = {}): Promise<CfnTemplate> {
  const { App } = await import('aws-cdk-lib');
  const { buildApp } = await import('../../lib/app.ts');
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-synth-'));
  try {
    const app = new App({ outdir, context: { 'aws:cdk:bundling-stacks': [], ...context } });
    const { stack } = buildApp(app);
    const assembly = app.synth();
    return assembly.getStackArtifact(stack.artifactId).template as CfnTemplate;
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}

/**
 * The same synthesis in a short-lived child process: the CDK library (a few hundred MB once
 * loaded) never enters the long-running local stack's memory. The template is cached under
 * node_modules/.cache/strata, keyed by everything it is built from (lib/, functions/, examples/,
 * cdk.json, the lock file and the context, with any file or folder the context names), so the
 * next local stack on unchanged sources starts without a synthesis of several seconds.
 */
export function synthesizeInChildProcess(context: Record<string, unknown> = {}): CfnTemplate {
  const cacheFile = path.join(PROJECT_ROOT, 'node_modules', '.cache', 'strata', `template-${sourceHash(context)}.json`);
  const cached = readCachedTemplate(cacheFile);
  if (cached !== undefined) return cached;
  const output = execFileSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), JSON.stringify(context)], {
    maxBuffer: 64 * 1024 * 1024,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const template = JSON.parse(output.toString('utf-8')) as CfnTemplate;
  writeCachedTemplate(cacheFile, output);
  return template;
}

const TEMPLATE_SOURCES = ['lib', 'functions', 'examples', 'cdk.json', 'package-lock.json'];

/** A SHA-256 over the context and the path and bytes of every file the synthesis can read. */
export function sourceHash(context: Record<string, unknown>): string {
  const hash = createHash('sha256').update(JSON.stringify(context));
  const named = Object.values(context).filter((v): v is string => typeof v === 'string' && v.length > 0 && fs.existsSync(v));
  const roots = [...TEMPLATE_SOURCES.map((s) => path.join(PROJECT_ROOT, s)), ...named.map((v) => path.resolve(v))];
  for (const root of roots) {
    if (!fs.existsSync(root)) continue;
    const files = fs.statSync(root).isDirectory()
      ? fs.readdirSync(root, { recursive: true, encoding: 'utf-8' }).map((f) => path.join(root, f)).filter((f) => fs.statSync(f).isFile()).sort()
      : [root];
    for (const file of files) hash.update(file).update('\0').update(fs.readFileSync(file)).update('\0');
  }
  return hash.digest('hex').slice(0, 32);
}

function readCachedTemplate(file: string): CfnTemplate | undefined {
  try {
    const template = JSON.parse(fs.readFileSync(file, 'utf-8')) as Partial<CfnTemplate>;
    return typeof template.Resources === 'object' && template.Resources !== null ? (template as CfnTemplate) : undefined;
  } catch {
    return undefined; // missing or unreadable: synthesize again
  }
}

function writeCachedTemplate(file: string, body: Buffer): void {
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    // Written aside and renamed, so a concurrent reader never sees half a template.
    const partial = `${file}.${process.pid}.partial`;
    fs.writeFileSync(partial, body);
    fs.renameSync(partial, file);
  } catch {
    // A read-only or full disk only costs the next start its synthesis.
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const template = await synthesizeTemplate(JSON.parse(process.argv[2] ?? '{}') as Record<string, unknown>);
  process.stdout.write(JSON.stringify(template));
}

export function resourcesOfType(template: CfnTemplate, type: string): [string, CfnResource][] {
  return Object.entries(template.Resources).filter(([, r]) => r.Type === type);
}
