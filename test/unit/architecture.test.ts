import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../lib/project-root.ts';

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [full] : [];
  });
}

interface Import {
  readonly spec: string;
  /** `import type` / `export type`: erased at compile time, so it loads nothing. */
  readonly typeOnly: boolean;
}

const importsOf = (file: string): Import[] =>
  [...fs.readFileSync(file, 'utf-8').matchAll(/(import|export)(\s+type\b)?[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g)].map((m) => ({
    spec: m[3] ?? m[4] ?? '',
    typeOnly: m[2] !== undefined,
  }));

const rel = (file: string): string => path.relative(PROJECT_ROOT, file).split(path.sep).join('/');

/** The project-relative file an import names, or undefined for a package. */
function target(file: string, spec: string): string | undefined {
  if (!spec.startsWith('.')) return undefined;
  return rel(path.resolve(path.dirname(file), spec));
}

/** functions/<folder>/… → <folder>; lib/… → 'lib'; bin/… → 'bin'. */
function layerOf(projectPath: string): string {
  const [top, second] = projectPath.split('/');
  return top === 'functions' ? (second ?? '') : (top ?? '');
}

const functionsDir = path.join(PROJECT_ROOT, 'functions');
const handlerFiles = sourceFiles(functionsDir)
  .map(rel)
  .filter((f) => f.endsWith('/handler.ts'));
/** A capability is a top-level folder of functions/ that holds Lambda handlers; it has one construct. */
const capabilities = [...new Set(handlerFiles.map(layerOf))].sort();
const SHARED = ['core', 'adapters', 'commons', 'segmentation', 'operations', 'local'];

/** What each layer may load at run time (type-only imports are free). */
const allowed: Record<string, readonly string[]> = {
  core: ['core'],
  adapters: ['core', 'adapters'],
  commons: ['core', 'adapters', 'commons'],
  segmentation: ['core', 'adapters', 'commons', 'segmentation'],
  // What operators do to a stack (the CLI today, a web API later), over ports: no Lambda loads it.
  operations: ['core', 'adapters', 'commons', 'segmentation', 'operations'],
  local: ['core', 'adapters', 'local', 'lib'],
  ...Object.fromEntries(capabilities.map((c) => [c, ['core', 'adapters', 'commons', 'segmentation', c]])),
};

describe('layout', () => {
  it('functions/ holds the shared layers and one folder per capability, nothing else', () => {
    const folders = fs
      .readdirSync(functionsDir, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name)
      .sort();
    expect(capabilities).toEqual(['campaign-dispatch', 'feedback', 'ingest-pipeline', 'model-refit', 'resegment-workflow']);
    expect(folders).toEqual([...SHARED, ...capabilities].sort());
    expect(fs.readdirSync(functionsDir).filter((name) => name.endsWith('.ts'))).toEqual([]);
  });

  it('finds every Lambda handler, including the steps of a workflow', () => {
    expect(handlerFiles.sort()).toEqual([
      'functions/campaign-dispatch/seed/handler.ts',
      'functions/campaign-dispatch/send/handler.ts',
      'functions/campaign-dispatch/unsubscribe/handler.ts',
      'functions/feedback/handler.ts',
      'functions/ingest-pipeline/handler.ts',
      'functions/model-refit/handler.ts',
      'functions/resegment-workflow/aggregate/handler.ts',
      'functions/resegment-workflow/evaluate/handler.ts',
      'functions/resegment-workflow/lock/handler.ts',
      'functions/resegment-workflow/merge/handler.ts',
      'functions/resegment-workflow/plan/handler.ts',
      'functions/resegment-workflow/report/handler.ts',
      'functions/resegment-workflow/stats/handler.ts',
    ]);
  });

  it.each(capabilities)('%s has its construct in lib/constructs/, which deploys only its own handlers', (capability) => {
    const construct = path.join(PROJECT_ROOT, 'lib', 'constructs', `${capability}.ts`);
    expect(fs.existsSync(construct)).toBe(true);
    const entries = [...fs.readFileSync(construct, 'utf-8').matchAll(/'(functions\/[^']+\/handler\.ts)'/g)].map((m) => m[1] ?? '').sort();
    expect(entries).toEqual(handlerFiles.filter((f) => layerOf(f) === capability).sort());
  });

  it('no other construct names a handler', () => {
    const others = sourceFiles(path.join(PROJECT_ROOT, 'lib')).filter((f) => !capabilities.includes(path.basename(f, '.ts')));
    expect(others.filter((f) => /'functions\/[^']+\/handler\.ts'/.test(fs.readFileSync(f, 'utf-8'))).map(rel)).toEqual([]);
  });

  it('the CLI entry only wires the commands, which live in bin/commands/', () => {
    const entry = path.join(PROJECT_ROOT, 'bin', 'strata.ts');
    const reached = importsOf(entry)
      .filter((i) => !i.typeOnly)
      .map((i) => target(entry, i.spec))
      .filter((t): t is string => t !== undefined);
    expect(reached.filter((t) => !t.startsWith('bin/commands/') && !t.startsWith('functions/core/'))).toEqual([]);
  });
});

describe('functions/core is pure', () => {
  const coreFiles = sourceFiles(path.join(functionsDir, 'core'));
  it('has files to check', () => {
    expect(coreFiles.length).toBeGreaterThan(5);
  });

  it.each(coreFiles.map((f) => [rel(f), f]))('%s imports no AWS SDK, powertools, middy or CDK', (_name, file) => {
    const forbidden = importsOf(file)
      .map((i) => i.spec)
      .filter((spec) => /^@aws-sdk\/|^aws-cdk-lib|^@aws-lambda-powertools\/|^@middy\//.test(spec));
    expect(forbidden).toEqual([]);
  });

  it.each(coreFiles.map((f) => [rel(f), f]))('%s reads no environment and no clock', (_name, file) => {
    const code = fs.readFileSync(file, 'utf-8');
    expect(code).not.toMatch(/process\.env|Date\.now\(|new Date\(\s*\)|performance\.now\(/);
  });
});

describe('layers', () => {
  const runtimeFiles = sourceFiles(functionsDir).map((f) => [rel(f), f] as const);

  it.each(runtimeFiles)('%s loads only the layers below it', (name, file) => {
    const layer = layerOf(name);
    const may = allowed[layer];
    expect(may, `no rule for functions/${layer}`).toBeDefined();
    const crossing = importsOf(file)
      .filter((i) => !i.typeOnly)
      .map((i) => target(file, i.spec))
      .filter((t): t is string => t !== undefined && !may!.includes(layerOf(t)));
    expect(crossing).toEqual([]);
  });

  it('keeps infrastructure code to core, the shared table schema and the campaign catalog', () => {
    const libFiles = sourceFiles(path.join(PROJECT_ROOT, 'lib'));
    const reached = libFiles.flatMap((file) =>
      importsOf(file)
        .map((i) => target(file, i.spec))
        .filter((t): t is string => t !== undefined && t.startsWith('functions/')),
    );
    expect(reached.filter((t) => !t.startsWith('functions/core/') && t !== 'functions/adapters/table-schema.ts' && t !== 'functions/commons/campaign-catalog.ts')).toEqual([]);
  });
});

describe('imports form no circle', () => {
  const files = ['functions', 'lib', 'bin'].flatMap((dir) => sourceFiles(path.join(PROJECT_ROOT, dir)));
  const graph = new Map(
    files.map((file) => [
      rel(file),
      importsOf(file)
        .filter((i) => !i.typeOnly)
        .map((i) => target(file, i.spec))
        .filter((t): t is string => t !== undefined),
    ]),
  );

  it('has no module that reaches itself through its imports', () => {
    const circles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const visit = (node: string, trail: string[]): void => {
      if (state.get(node) === 'done') return;
      if (state.get(node) === 'open') {
        circles.push([...trail.slice(trail.indexOf(node)), node].join(' → '));
        return;
      }
      state.set(node, 'open');
      for (const next of graph.get(node) ?? []) visit(next, [...trail, node]);
      state.set(node, 'done');
    };
    for (const node of [...graph.keys()].sort()) visit(node, []);
    expect(circles).toEqual([]);
  });
});
