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
  readonly Outputs?: Readonly<Record<string, { readonly Value: unknown; readonly Description?: string }>>;
}

export interface CfnResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly Metadata?: Record<string, unknown>;
}

/** A synthesized cloud assembly: the stack's template and the folder holding its assets (the function bundles). */
export interface CloudAssembly {
  readonly template: CfnTemplate;
  readonly directory: string;
}

/**
 * Synthesizes the real CDK app in this process, bundling every function as `cdk synth` does, into
 * outdir, and returns the stack's template: the local stack builds its tables, bucket, functions
 * and templates from it, so there is no second, hand-kept list of resources, and runs each function
 * from the bundle `cdk deploy` would upload.
 */
async function synthesizeTemplate(context: Record<string, unknown>, outdir: string): Promise<CfnTemplate> {
  const { App } = await import('aws-cdk-lib');
  const { buildApp } = await import('../../lib/app.ts');
  const app = new App({ outdir, context });
  const { stack } = buildApp(app);
  const assembly = app.synth();
  return assembly.getStackArtifact(stack.artifactId).template as CfnTemplate;
}

/**
 * The same synthesis in a short-lived child process: the CDK library (a few hundred MB once
 * loaded) never enters the long-running local stack's memory. The assembly (template and bundles)
 * is cached under node_modules/.cache/strata, keyed by everything it is built from (lib/,
 * functions/, examples/, cdk.json, the lock file and the context, with any file or folder the
 * context names), so the next local stack on unchanged sources starts without a synthesis and
 * bundling of several seconds.
 */
export function synthesizeInChildProcess(context: Record<string, unknown> = {}): CloudAssembly {
  const directory = path.join(PROJECT_ROOT, 'node_modules', '.cache', 'strata', `assembly-${sourceHash(context)}`);
  const cached = readCachedTemplate(path.join(directory, TEMPLATE_FILE));
  if (cached !== undefined) {
    markUsed(directory);
    return { template: cached, directory };
  }
  // Synthesized aside and renamed, so a concurrent reader never sees half an assembly.
  const partial = `${directory}.${process.pid}.partial`;
  fs.rmSync(partial, { recursive: true, force: true });
  try {
    const output = synthesizeChild(context, partial);
    const template = JSON.parse(output.toString('utf-8')) as CfnTemplate;
    fs.writeFileSync(path.join(partial, TEMPLATE_FILE), output);
    try {
      fs.renameSync(partial, directory);
    } catch {
      // Another process cached the same assembly first: theirs is as good.
      if (readCachedTemplate(path.join(directory, TEMPLATE_FILE)) === undefined) throw new Error(`cannot cache the cloud assembly in ${directory}`);
    }
    pruneUnused(path.dirname(directory));
    return { template, directory };
  } finally {
    fs.rmSync(partial, { recursive: true, force: true });
  }
}

const TEMPLATE_FILE = 'strata-template.json';
/** An assembly no stack has started from for this long is removed (each holds ~30 MB of bundles). */
const UNUSED_FOR_MS = 24 * 3600_000;

function markUsed(directory: string): void {
  try {
    const now = new Date();
    fs.utimesSync(directory, now, now);
  } catch {
    // A read-only cache is still a cache.
  }
}

function pruneUnused(cacheDir: string): void {
  const cutoff = Date.now() - UNUSED_FOR_MS;
  for (const name of fs.readdirSync(cacheDir)) {
    const entry = path.join(cacheDir, name);
    try {
      if (name.startsWith('assembly-') && fs.statSync(entry).mtimeMs < cutoff) fs.rmSync(entry, { recursive: true, force: true });
    } catch {
      // Another process pruned it first.
    }
  }
}

/** Runs the synthesis; esbuild's report of each bundle is shown only if the synthesis fails. */
function synthesizeChild(context: Record<string, unknown>, outdir: string): Buffer {
  try {
    return execFileSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), JSON.stringify(context), outdir], {
      // From the project root, where tsx resolves, whatever folder the CLI was started in.
      cwd: PROJECT_ROOT,
      maxBuffer: 64 * 1024 * 1024,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (error) {
    process.stderr.write((error as { stderr?: Buffer }).stderr ?? '');
    throw error;
  }
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

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [, , context = '{}', outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-synth-'))] = process.argv;
  const template = await synthesizeTemplate(JSON.parse(context) as Record<string, unknown>, outdir);
  process.stdout.write(JSON.stringify(template));
}

export function resourcesOfType(template: CfnTemplate, type: string): [string, CfnResource][] {
  return Object.entries(template.Resources).filter(([, r]) => r.Type === type);
}

/** The folder of the bundle `cdk deploy` would upload for this function: the assembly's asset its Code names. */
export function functionAssetDirectory(assembly: CloudAssembly, logicalId: string, resource: CfnResource): string {
  const key = (resource.Properties?.Code as { S3Key?: unknown } | undefined)?.S3Key;
  const hash = typeof key === 'string' ? /^([0-9a-f]{64})\.zip$/.exec(key)?.[1] : undefined;
  const directory = hash === undefined ? undefined : path.join(assembly.directory, `asset.${hash}`);
  if (directory === undefined || !fs.existsSync(directory)) throw new Error(`function ${logicalId} has no bundle in the cloud assembly ${assembly.directory}`);
  return directory;
}
