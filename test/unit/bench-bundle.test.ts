import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { build } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import { bundleLambda, esbuildOptions, lambdaEntries } from '../../bench/bundle-lambda.ts';
import { STRATA_BUNDLING } from '../../lib/constructs/strata-function.ts';
import { PROJECT_ROOT } from '../../lib/project-root.ts';

const FIXTURES = path.resolve(import.meta.dirname, '../fixtures/stacks');

describe('the bundle-size measurement', () => {
  const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-bundle-'));
  afterAll(() => fs.rmSync(outDir, { recursive: true, force: true }));

  it('finds every Lambda entry', () => {
    expect(lambdaEntries().map((e) => e.entry)).toEqual(expect.arrayContaining(['functions/ingest-pipeline/handler.ts', 'functions/campaign-dispatch/send/handler.ts', 'functions/campaign-dispatch/unsubscribe/handler.ts']));
  });

  it('bundles a handler as deployed: minified CommonJS in index.js, the SDK inside, a source map', async () => {
    const size = await bundleLambda('functions/campaign-dispatch/unsubscribe/handler.ts', outDir);
    const code = fs.readFileSync(size.file, 'utf-8');
    expect(path.basename(size.file)).toBe('index.js');
    expect(size.bytes).toBe(Buffer.byteLength(code));
    expect(size.bytes).toBeGreaterThan(10_000);
    expect(size.gzipBytes).toBeGreaterThan(0);
    expect(size.gzipBytes).toBeLessThan(size.bytes);
    expect(code.startsWith('"use strict";')).toBe(true);
    expect(code).not.toMatch(/^import\s|\bimport\.meta\b/m);
    // Self-contained: the only modules it still loads are Node's own (the SDK's messages quote a
    // require() of its optional CRT signer inside brackets, which this leaves out).
    const loaded = [...code.matchAll(/(?<![\w$.[])(?:require|import)\s*\(\s*["']([^"']+)["']\s*\)/g)].map((m) => m[1] ?? '');
    expect(loaded).toContain('node:http');
    expect(loaded.filter((specifier) => !specifier.startsWith('node:'))).toEqual([]);
    expect(code).toContain('DynamoDB');
    // The SDK's credential chain is the environment alone (functions/adapters/lambda-credentials.ts):
    // none of the STS client the other links bring.
    expect(code).toContain('Unable to find environment variable credentials (AWS_ACCESS_KEY_ID');
    expect(code).not.toContain('AssumeRoleWithWebIdentity');
    // Minified: long lines (template literals keep a few line breaks).
    expect(size.bytes / code.split('\n').length).toBeGreaterThan(2000);
    // The map gives files and lines, not the sources' text, which would make it three times the size.
    const map = JSON.parse(fs.readFileSync(`${size.file}.map`, 'utf-8')) as { sources: string[]; sourcesContent?: unknown };
    expect(map.sources.some((source) => source.endsWith('functions/campaign-dispatch/unsubscribe/handler.ts'))).toBe(true);
    expect(map.sourcesContent).toBeUndefined();
  });

  it("maps a bundle's stack traces to the TypeScript files and lines as Node's --enable-source-maps does, without it", async () => {
    const file = path.join(outDir, 'failing', 'index.js');
    await build({ ...esbuildOptions(STRATA_BUNDLING), entryPoints: [path.join(FIXTURES, 'failing-handler.ts')], outfile: file, absWorkingDir: PROJECT_ROOT, logLevel: 'silent' });
    const probe = "require(process.argv[1]).handler({ amount: 'twelve' }).catch((e) => process.stdout.write(e.stack))";
    const stackOf = (...flags: string[]) => {
      const run = spawnSync(process.execPath, [...flags, '-e', probe, file], { encoding: 'utf-8', env: { PATH: process.env.PATH ?? '' } });
      expect(run.stderr).toBe('');
      return run.stdout.split('\n');
    };
    const lazily = stackOf();
    const byNode = stackOf('--enable-source-maps');
    const source = path.join(FIXTURES, 'failing-handler.ts');
    expect(lazily[0]).toBe('ParseFailure: not an amount: twelve');
    expect(lazily[1]).toBe(`    at parseAmount (${source}:8:35)`);
    expect(lazily[2]).toContain(` (${source}:14:10)`);
    expect(lazily.slice(0, 3)).toEqual(byNode.slice(0, 3));
  });

  it('refuses a bundling option it does not translate, so the measured bundle cannot drift from the deployed one', () => {
    expect(() => esbuildOptions({ ...STRATA_BUNDLING, keepNames: true })).toThrow(/keepNames/);
  });
});
