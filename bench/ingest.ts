/**
 * npm run bench:ingest [-- --replicas 43 --stack-rows 200000]
 *
 * Ingest throughput and memory against a baseline measured in the same run:
 *   parse     csv-parse alone over the generated file (the baseline)
 *   pipeline  strata's ingest logic (two streaming passes, mapping, cleaning, validation,
 *             profile refresh) with a store that only counts writes: what strata itself costs
 *   stack     the embedded local stack end to end (S3 upload → event → handler → dynalite) on the
 *             first --stack-rows rows, with DynamoDB items written per new order
 * Each phase runs in its own process so its peak RSS is its own. Results: bench/results-ingest.json.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
const { values: args } = parseArgs({
  options: {
    phase: { type: 'string' },
    file: { type: 'string' },
    replicas: { type: 'string', default: '43' },
    'stack-rows': { type: 'string', default: '100000' },
  },
});

interface PhaseResult {
  readonly rows: number;
  readonly seconds: number;
  readonly peakRssMb: number;
  readonly writes?: number;
  readonly orders?: number;
}

async function runPhase(phase: string, file: string): Promise<PhaseResult> {
  const started = performance.now();
  let rows = 0;
  let writes: number | undefined;
  let orders: number | undefined;
  if (phase === 'parse') {
    const { parse } = await import('csv-parse');
    for await (const record of fs.createReadStream(file).pipe(parse({ columns: true }))) {
      if (record) rows++;
    }
  } else if (phase === 'pipeline') {
    const { Logger } = await import('@aws-lambda-powertools/logger');
    const { ingestObject } = await import('../functions/ingest-pipeline/ingest-object.ts');
    const { BUILTIN_SEGMENTS } = await import('../functions/core/segments/builtin.ts');
    const { countingStore, fileStore } = await import('./null-stores.ts');
    const store = countingStore();
    const outcome = await ingestObject(
      { objects: fileStore(file), store, logger: new Logger({ logLevel: 'SILENT' }), definitions: BUILTIN_SEGMENTS, now: new Date('1998-07-01'), maxRejectedShare: 0.2 },
      'incoming/orders/bench.csv',
      'bench',
    );
    if (outcome.status !== 'applied') throw new Error(`bench file not applied: ${JSON.stringify(outcome)}`);
    rows = outcome.report.accepted;
    writes = store.writes();
    orders = rows;
  } else if (phase === 'stack') {
    const { startLocalStack } = await import('../functions/local/local-stack.ts');
    const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-bench-'));
    // The ingest function runs in processes of its own: its writes are counted between it and DynamoDB.
    const stack = await startLocalStack({ stateDir, asOf: '1998-07-01', dynamoDbFaults: true });
    let items = 0;
    stack.interceptDynamoDb(async (call, forward) => {
      if (call.operation === 'BatchWriteItem') {
        items += Object.values(call.input.RequestItems as Record<string, unknown[]>).reduce((n, r) => n + r.length, 0);
      } else if (['PutItem', 'UpdateItem', 'DeleteItem'].includes(call.operation)) {
        items++;
      }
      return forward(call.input);
    });
    const t0 = performance.now();
    await stack.upload('incoming/orders/bench.csv', fs.readFileSync(file));
    await stack.settled();
    rows = fs.readFileSync(file, 'utf-8').trim().split('\n').length - 1;
    const seconds = (performance.now() - t0) / 1000;
    await stack.stop();
    fs.rmSync(stateDir, { recursive: true, force: true });
    if (stack.deadLetters.length > 0) throw new Error(`ingest failed: ${stack.deadLetters[0]?.error}`);
    return { rows, seconds, peakRssMb: process.resourceUsage().maxRSS / 1024, writes: items, orders: rows };
  }
  return { rows, seconds: (performance.now() - started) / 1000, peakRssMb: process.resourceUsage().maxRSS / 1024, ...(writes === undefined ? {} : { writes, orders }) };
}

function generate(replicas: number, dir: string): string {
  const source = fs.readFileSync(path.join(root, '..', 'shared', 'data', 'cdnow', 'cdnow_master.csv'), 'utf-8').trim().split('\n');
  const [header, ...rows] = source;
  const file = path.join(dir, `cdnow_x${replicas}.csv`);
  const out = fs.openSync(file, 'w');
  fs.writeSync(out, `${header}\n`);
  for (let r = 0; r < replicas; r++) {
    const shift = r * 100_000;
    fs.writeSync(out, rows.map((line) => {
      const comma = line.indexOf(',');
      return `${Number(line.slice(0, comma)) + shift}${line.slice(comma)}`;
    }).join('\n') + '\n');
  }
  fs.closeSync(out);
  return file;
}

function child(phase: string, file: string): PhaseResult {
  const output = execFileSync(process.execPath, ['--import', 'tsx', path.join(here, 'ingest.ts'), '--phase', phase, '--file', file], {
    cwd: root,
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    maxBuffer: 64 * 1024 * 1024,
    stdio: ['ignore', 'pipe', 'inherit'],
  }).toString();
  return JSON.parse(output.trim().split('\n').pop() ?? '{}') as PhaseResult;
}

async function main(): Promise<void> {
  if (args.phase !== undefined) {
    process.stdout.write(`${JSON.stringify(await runPhase(args.phase, String(args.file)))}\n`);
    return;
  }
  const replicas = Number(args.replicas);
  const stackRows = Number(args['stack-rows']);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-bench-ingest-'));
  try {
    process.stderr.write(`generating CDNOW master × ${replicas} …\n`);
    const big = generate(replicas, dir);
    const small = path.join(dir, 'stack.csv');
    fs.writeFileSync(small, fs.readFileSync(big, 'utf-8').split('\n').slice(0, stackRows + 1).join('\n') + '\n');
    const parseBig = child('parse', big);
    process.stderr.write(`parse     ${parseBig.rows} rows\n`);
    const pipeline = child('pipeline', big);
    process.stderr.write(`pipeline  ${pipeline.rows} rows\n`);
    const parseSmall = child('parse', small);
    const stack = child('stack', small);
    process.stderr.write(`stack     ${stack.rows} rows\n`);
    const rate = (p: PhaseResult) => Math.round(p.rows / p.seconds);
    const results = {
      measuredAt: new Date().toISOString(),
      node: process.version,
      cpus: os.cpus().length,
      rows: parseBig.rows,
      parse: { ...parseBig, rowsPerSecond: rate(parseBig) },
      // The baseline of the stack phase: bench/suite.ts reads it for the table.
      parseStack: { ...parseSmall, rowsPerSecond: rate(parseSmall) },
      pipeline: { ...pipeline, rowsPerSecond: rate(pipeline), timeVsParse: +(pipeline.seconds / parseBig.seconds).toFixed(2), writesPerOrder: +((pipeline.writes ?? 0) / (pipeline.orders ?? 1)).toFixed(3) },
      stack: {
        ...stack,
        rowsPerSecond: rate(stack),
        timeVsParse: +(stack.seconds / parseSmall.seconds).toFixed(2),
        dynamoItemsPerOrder: +((stack.writes ?? 0) / (stack.orders ?? 1)).toFixed(3),
      },
      aims: { timeVsParse: 3, peakRssMb: 512 },
    };
    fs.writeFileSync(path.join(here, 'results-ingest.json'), `${JSON.stringify(results, null, 2)}\n`);
    const line = (name: string, p: PhaseResult & { rowsPerSecond: number }, extra: string) =>
      `${name.padEnd(10)}${String(p.rows).padStart(10)}${p.seconds.toFixed(1).padStart(9)}s${String(p.rowsPerSecond).padStart(11)}${p.peakRssMb.toFixed(0).padStart(9)} MB  ${extra}`;
    process.stdout.write(
      [
        `phase           rows     time     rows/s  peak RSS`,
        line('parse', results.parse, 'baseline'),
        line('pipeline', results.pipeline, `${results.pipeline.timeVsParse}× parse, ${results.pipeline.writesPerOrder} store writes per order`),
        line('stack', results.stack, `${results.stack.timeVsParse}× parse of the same rows, ${results.stack.dynamoItemsPerOrder} DynamoDB items per new order`),
        '',
      ].join('\n'),
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

await main();
