/**
 * npm run bench:bundles [-- --runs 7]
 *
 * Lambda bundle sizes and cold-start import times, against a baseline measured in the same run:
 *   size      each functions/<name>/handler.ts bundled by esbuild with the options the CDK
 *             constructs use (STRATA_BUNDLING): minified bytes and gzip bytes of the bundle
 *             (index.js; index.mjs for ES module output)
 *   cold      a fresh `node` process (with the functions' NODE_OPTIONS) that loads the bundle as
 *             the Lambda runtime does (require() for index.js, import() for index.mjs) and exits:
 *             wall time from spawn to exit, median of --runs; also the time of the load alone
 *             inside the process and the process's peak RSS
 *   baseline  the same fresh process loading an empty module of the same kind, run in turn with
 *             each bundle's runs so that both see the same machine load (a busy shared machine moves a fresh
 *             process's start by tens of milliseconds within a minute); each ratio compares the
 *             two medians taken side by side
 * The bundles hold everything they import, the AWS SDK included, as deployed; one that left a
 * module external would resolve it from node_modules, which is why they are written under
 * node_modules/.cache (where, as in a Lambda's task root, no package.json of "type": "module"
 * makes index.js an ES module).
 * Results: bench/results-bundles.json.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { STRATA_BUNDLING, STRATA_FUNCTION_ENVIRONMENT } from '../lib/constructs/strata-function.ts';
import { PROJECT_ROOT } from '../lib/project-root.ts';
import { bundleFileName, bundleLambda, lambdaEntries } from './bundle-lambda.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const { values: args } = parseArgs({ options: { runs: { type: 'string', default: '7' } } });
const runs = Number(args.runs);
const outRoot = path.join(PROJECT_ROOT, 'node_modules', '.cache', 'strata-bench', 'bundles');

// Handlers parse their configuration at import; these stand-ins satisfy it without reaching AWS.
const lambdaEnv = {
  PATH: process.env.PATH ?? '',
  ...STRATA_FUNCTION_ENVIRONMENT,
  AWS_REGION: 'us-east-1',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  TABLE_NAME: 'strata-bench',
  BUCKET_NAME: 'strata-bench',
  SENDER_ADDRESS: 'bench@example.com',
  UNSUBSCRIBE_URL: 'https://example.com/unsubscribe',
  UNSUBSCRIBE_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:bench',
  POWERTOOLS_LOG_LEVEL: 'SILENT',
};

// Runs inside the fresh process: load the module as the Lambda runtime loads a handler (a .js file
// outside any "type": "module" package by require(), a .mjs file by import()), then report the
// load's own time and the peak RSS.
const probe = `import { createRequire } from 'node:module'; import { pathToFileURL } from 'node:url';
const file = process.argv[1]; const t = performance.now();
if (file.endsWith('.mjs')) await import(pathToFileURL(file).href); else createRequire(file)(file);
process.stdout.write(JSON.stringify({ importMs: performance.now() - t, rssMb: process.resourceUsage().maxRSS / 1024 }));`;

interface ColdStart {
  readonly wallMs: number;
  readonly importMs: number;
  readonly rssMb: number;
}

function coldOnce(file: string): ColdStart {
  const started = performance.now();
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', probe, file], {
    cwd: PROJECT_ROOT,
    env: lambdaEnv,
    encoding: 'utf-8',
  });
  const wallMs = performance.now() - started;
  if (child.status !== 0) throw new Error(`importing ${path.relative(PROJECT_ROOT, file)} failed: ${child.stderr.trim().split('\n').slice(-3).join(' | ')}`);
  const { importMs, rssMb } = JSON.parse(child.stdout) as { importMs: number; rssMb: number };
  return { wallMs, importMs, rssMb };
}

const median = (values: number[]): number => [...values].sort((p, q) => p - q)[Math.floor(values.length / 2)] ?? Number.NaN;
const round = (v: number, digits = 1) => Number(v.toFixed(digits));

const summary = (samples: ColdStart[]): ColdStart => ({
  wallMs: round(median(samples.map((s) => s.wallMs))),
  importMs: round(median(samples.map((s) => s.importMs))),
  rssMb: round(median(samples.map((s) => s.rssMb))),
});

/** --runs cold starts of the file, each beside one of the empty module; the OS file cache is warmed first, as a Lambda's code is by the time it imports. */
function coldBesideEmpty(file: string): { cold: ColdStart; empty: ColdStart[] } {
  coldOnce(file);
  const samples: ColdStart[] = [];
  const empties: ColdStart[] = [];
  for (let run = 0; run < runs; run++) {
    empties.push(coldOnce(empty));
    samples.push(coldOnce(file));
  }
  return { cold: summary(samples), empty: empties };
}

fs.rmSync(outRoot, { recursive: true, force: true });
fs.mkdirSync(outRoot, { recursive: true });
// The empty module has the bundles' file name, so that it loads the same way.
const emptyFile = bundleFileName(STRATA_BUNDLING);
const empty = path.join(outRoot, 'empty', emptyFile);
fs.mkdirSync(path.dirname(empty));
fs.writeFileSync(empty, emptyFile.endsWith('.mjs') ? 'export {};\n' : 'module.exports = {};\n');
coldOnce(empty);

const handlers = [];
const allEmpty: ColdStart[] = [];
for (const { name, entry } of lambdaEntries()) {
  const size = await bundleLambda(entry, path.join(outRoot, name));
  const { cold: start, empty: empties } = coldBesideEmpty(size.file);
  allEmpty.push(...empties);
  const beside = summary(empties);
  const ratio = round(start.wallMs / beside.wallMs, 2);
  process.stderr.write(`${name.padEnd(30)} ${(size.bytes / 1024).toFixed(0).padStart(6)} KB  ${(size.gzipBytes / 1024).toFixed(0).padStart(5)} KB gzip  ${start.wallMs} ms  empty ${beside.wallMs} ms  ${ratio}×\n`);
  handlers.push({ name, entry, bytes: size.bytes, gzipBytes: size.gzipBytes, cold: start, emptyBeside: beside, coldVsEmpty: ratio });
}
const baseline = summary(allEmpty);
process.stderr.write(`empty module, all runs   ${baseline.wallMs} ms\n`);

const results = {
  measuredAt: new Date().toISOString(),
  node: process.version,
  cpus: os.cpus().length,
  runs,
  baseline: { module: fs.readFileSync(empty, 'utf-8').trim(), cold: baseline },
  handlers,
};
fs.writeFileSync(path.join(here, 'results-bundles.json'), `${JSON.stringify(results, null, 2)}\n`);
process.stdout.write('results in bench/results-bundles.json\n');
