import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../lib/project-root.ts';

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith('.ts') ? [full] : [];
  });
}

const coreFiles = sourceFiles(path.join(PROJECT_ROOT, 'functions', 'core'));
const importsOf = (file: string): string[] =>
  [...fs.readFileSync(file, 'utf-8').matchAll(/(?:import|export)[^'"]*from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g)].map(
    (m) => m[1] ?? m[2] ?? '',
  );

describe('functions/core is pure', () => {
  it('has files to check', () => {
    expect(coreFiles.length).toBeGreaterThan(5);
  });

  it.each(coreFiles.map((f) => [path.relative(PROJECT_ROOT, f), f]))('%s imports no AWS SDK, adapter, local runtime or CDK', (_name, file) => {
    const forbidden = importsOf(file).filter((spec) => /^@aws-sdk\/|^aws-cdk-lib|^@aws-lambda-powertools\/|\/adapters\/|\/local\/|\/commons\/|^@middy\//.test(spec));
    expect(forbidden).toEqual([]);
  });

  it.each(coreFiles.map((f) => [path.relative(PROJECT_ROOT, f), f]))('%s reads no environment and no clock', (_name, file) => {
    const code = fs.readFileSync(file, 'utf-8');
    expect(code).not.toMatch(/process\.env|Date\.now\(|new Date\(\s*\)|performance\.now\(/);
  });
});

describe('layers', () => {
  const adapterFiles = sourceFiles(path.join(PROJECT_ROOT, 'functions', 'adapters'));
  it.each(adapterFiles.map((f) => [path.relative(PROJECT_ROOT, f), f]))('%s does not reach into handlers or the local runtime', (_name, file) => {
    expect(importsOf(file).filter((spec) => /\/local\/|\/(ingest|dispatch|resegment)\//.test(spec))).toEqual([]);
  });

  it('keeps infrastructure code free of runtime handlers and adapters other than the shared table schema', () => {
    const libImports = sourceFiles(path.join(PROJECT_ROOT, 'lib')).flatMap(importsOf);
    expect(libImports.filter((spec) => /\/functions\/(adapters|ingest|dispatch|resegment|local)\//.test(spec) && !spec.endsWith('table-schema.ts'))).toEqual([]);
  });
});
