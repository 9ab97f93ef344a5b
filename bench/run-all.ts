/**
 * npm run bench [-- --quick] [-- --only ingest,models] [-- --markdown] [-- --print]
 *
 * Runs every benchmark of bench/suite.ts as its own process (so each one's peak RSS is its own),
 * then writes bench/results.json and prints one table: each figure with its baseline from the
 * same run, the ratio and the issues' aim. A benchmark that fails is shown as FAILED and makes
 * the command exit 1; the others still run. --quick (or STRATA_BENCH_QUICK=1) runs small sizes
 * as a smoke test; the full sizes are the default. --markdown prints the table for the README;
 * --print prints the table of the last run from bench/results.json without running anything.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { figure, formatTable, markdownTable, suiteExitCode, tableRows, type BenchmarkOutcome } from './report.ts';
import { BENCHMARKS, resultsFile, type Benchmark } from './suite.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    markdown: { type: 'boolean', default: false },
    print: { type: 'boolean', default: false },
  },
});
const quick = args.quick || process.env.STRATA_BENCH_QUICK === '1';
const only = args.only?.split(',').map((name) => name.trim());
const unknown = (only ?? []).filter((name) => !BENCHMARKS.some((b) => b.name === name));
if (unknown.length > 0) throw new Error(`--only names unknown benchmark(s) ${unknown.join(', ')}; known: ${BENCHMARKS.map((b) => b.name).join(', ')}`);
const selected = BENCHMARKS.filter((b) => only === undefined || only.includes(b.name));

function run(bench: Benchmark): BenchmarkOutcome {
  const file = path.join(here, resultsFile(bench.name));
  const started = Date.now();
  process.stderr.write(`\n── ${bench.name}${quick ? ' (quick)' : ''} ──\n`);
  const child = spawnSync(process.execPath, ['--import', 'tsx', path.join(here, bench.script), ...(quick ? bench.quickArgs : [])], {
    cwd: path.resolve(here, '..'),
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    // The benchmark's own progress and table stay visible; its results are read from its file.
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const seconds = (Date.now() - started) / 1000;
  const failed = (error: string): BenchmarkOutcome => ({ name: bench.name, status: 'failed', seconds, error, figures: [] });
  if (child.error !== undefined) return failed(child.error.message);
  if (child.status !== 0) return failed(child.signal === null ? `exit code ${child.status}` : `killed by ${child.signal}`);
  // A results file older than this run would report stale figures as today's.
  if (!fs.existsSync(file) || fs.statSync(file).mtimeMs < started) return failed(`${resultsFile(bench.name)} was not written`);
  try {
    const figures = bench.figures(JSON.parse(fs.readFileSync(file, 'utf-8')) as unknown).map((f) => figure(bench.name, f));
    return { name: bench.name, status: 'ok', seconds, figures };
  } catch (error) {
    return failed(`unreadable ${resultsFile(bench.name)}: ${error instanceof Error ? error.message.replace(/\s+/g, ' ').slice(0, 200) : String(error)}`);
  }
}

interface SuiteResults {
  readonly measuredAt: string;
  readonly size: 'quick' | 'full';
  readonly machine: { readonly node: string; readonly cpus: number; readonly cpu: string };
  readonly benchmarks: readonly BenchmarkOutcome[];
}

function runSuite(): SuiteResults {
  const started = new Date();
  const outcomes = selected.map(run);
  const results: SuiteResults = {
    measuredAt: started.toISOString(),
    size: quick ? 'quick' : 'full',
    machine: { node: process.version, cpus: os.cpus().length, cpu: os.cpus()[0]?.model ?? 'unknown' },
    benchmarks: outcomes,
  };
  fs.writeFileSync(path.join(here, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  return results;
}

// Figures in results.json already carry their ratio and verdict, so --print only formats them.
const results = args.print ? (JSON.parse(fs.readFileSync(path.join(here, 'results.json'), 'utf-8')) as SuiteResults) : runSuite();
const rows = tableRows(results.benchmarks);
process.stdout.write(
  `\n${args.markdown ? markdownTable(rows) : formatTable(rows)}\n\n` +
    `${results.size === 'quick' ? 'quick sizes (smoke run); ' : ''}measured ${results.measuredAt} on ${results.machine.cpus} cpus (${results.machine.cpu}), Node ${results.machine.node}; results in bench/results.json\n`,
);
process.exitCode = suiteExitCode(results.benchmarks);
