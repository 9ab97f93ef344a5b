import * as fs from 'node:fs';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { build, type BuildOptions } from 'esbuild';
import { OutputFormat, type BundlingOptions } from 'aws-cdk-lib/aws-lambda-nodejs';
import { STRATA_BUNDLING } from '../lib/constructs/strata-function.ts';
import { PROJECT_ROOT } from '../lib/project-root.ts';

/** Bundling options this translation knows; any other would make the measured bundle differ from the deployed one. */
const TRANSLATED = new Set(['format', 'minify', 'sourceMap', 'sourcesContent', 'target', 'mainFields', 'externalModules', 'banner', 'inject', 'esbuildArgs']);

/** esbuild CLI arguments, as NodejsFunction passes esbuildArgs, that this translation knows: --alias:<package>=<path>. */
function aliases(args: Readonly<Record<string, string | boolean | readonly string[]>>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(args).map(([arg, value]) => {
      const name = /^--alias:(.+)$/.exec(arg)?.[1];
      if (name === undefined || typeof value !== 'string') throw new Error(`bench/bundle-lambda.ts cannot translate the esbuild argument ${arg}; add it here`);
      return [name, value];
    }),
  );
}

/**
 * The esbuild build options equivalent to the CLI arguments NodejsFunction passes for these
 * bundling options (aws-cdk-lib/aws-lambda-nodejs/lib/bundling.js, buildEsbuildArgs).
 */
export function esbuildOptions(bundling: BundlingOptions): BuildOptions {
  const unknown = Object.keys(bundling).filter((key) => !TRANSLATED.has(key));
  if (unknown.length > 0) throw new Error(`bench/bundle-lambda.ts cannot translate the bundling option(s) ${unknown.join(', ')}; add them here`);
  return {
    bundle: true,
    platform: 'node',
    ...(bundling.target === undefined ? {} : { target: bundling.target }),
    ...(bundling.format === undefined ? {} : { format: bundling.format }),
    minify: bundling.minify ?? false,
    sourcemap: bundling.sourceMap ?? false,
    ...(bundling.sourcesContent === undefined ? {} : { sourcesContent: bundling.sourcesContent }),
    external: [...(bundling.externalModules ?? ['@aws-sdk/*'])],
    ...(bundling.banner === undefined ? {} : { banner: { js: bundling.banner } }),
    ...(bundling.mainFields === undefined ? {} : { mainFields: [...bundling.mainFields] }),
    ...(bundling.inject === undefined ? {} : { inject: [...bundling.inject] }),
    // A relative alias resolves from the working directory, the project root for NodejsFunction.
    ...(bundling.esbuildArgs === undefined ? {} : { alias: aliases(bundling.esbuildArgs) }),
    logLevel: 'warning',
  };
}

/** Every Lambda entry: each handler.ts under functions/, named by its folder (a workflow's steps as workflow/step). */
export function lambdaEntries(root: string = PROJECT_ROOT): { name: string; entry: string }[] {
  const functionsDir = path.join(root, 'functions');
  return fs
    .readdirSync(functionsDir, { recursive: true, encoding: 'utf-8' })
    .filter((file) => path.basename(file) === 'handler.ts')
    .map((file) => {
      const name = path.dirname(file).split(path.sep).join('/');
      return { name, entry: `functions/${name}/handler.ts` };
    })
    .sort((p, q) => p.name.localeCompare(q.name));
}

export interface BundleSize {
  readonly file: string;
  readonly bytes: number;
  readonly gzipBytes: number;
}

/** The file NodejsFunction writes the bundle to: index.mjs for ES module output, else index.js. */
export function bundleFileName(bundling: BundlingOptions): string {
  return bundling.format === OutputFormat.ESM ? 'index.mjs' : 'index.js';
}

/** Bundles one entry with strata's Lambda options into outDir (index.js or index.mjs, and its source map) and sizes the code. */
export async function bundleLambda(entry: string, outDir: string, root: string = PROJECT_ROOT): Promise<BundleSize> {
  const file = path.join(outDir, bundleFileName(STRATA_BUNDLING));
  await build({ ...esbuildOptions(STRATA_BUNDLING), entryPoints: [path.join(root, entry)], outfile: file, absWorkingDir: root });
  const code = fs.readFileSync(file);
  return { file, bytes: code.length, gzipBytes: gzipSync(code, { level: 9 }).length };
}
