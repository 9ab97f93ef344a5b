/**
 * The benchmarks `npm run bench` runs, in order. Adding one is one entry in BENCHMARKS: its
 * script (writing bench/results-<name>.json), the arguments of its quick size, the shape of its
 * results and the figures the table shows from them, with baselines and the issues' aims.
 */
import { z } from 'zod';
import type { FigureInput } from './report.ts';

export interface Benchmark {
  readonly name: string;
  /** Script under bench/, run as its own process with tsx. */
  readonly script: string;
  /** Arguments for `--quick`: sizes small enough to smoke-run the whole suite in a few minutes. The full sizes are each script's defaults. */
  readonly quickArgs: readonly string[];
  /** Reads the results file's JSON into figures; throws when the file does not have the expected shape. */
  readonly figures: (results: unknown) => FigureInput[];
}

export const resultsFile = (name: string): string => `results-${name}.json`;

function benchmark<S extends z.ZodType>(definition: {
  name: string;
  script: string;
  quickArgs: readonly string[];
  results: S;
  figures: (results: z.infer<S>) => FigureInput[];
}): Benchmark {
  return {
    name: definition.name,
    script: definition.script,
    quickArgs: definition.quickArgs,
    figures: (json) => definition.figures(definition.results.parse(json)),
  };
}

const count = (n: number) => n.toLocaleString('en-US');
const MAX_RSS_MB = 512;

const phase = z.object({ rows: z.number(), seconds: z.number(), peakRssMb: z.number(), rowsPerSecond: z.number() });

const ingest = benchmark({
  name: 'ingest',
  script: 'ingest.ts',
  quickArgs: ['--replicas', '1', '--stack-rows', '5000'],
  results: z.object({
    parse: phase,
    pipeline: phase.extend({ writesPerOrder: z.number() }),
    parseStack: phase,
    stack: phase.extend({ dynamoItemsPerOrder: z.number() }),
  }),
  figures: (r) => [
    {
      name: `ingest logic, ${count(r.pipeline.rows)} rows`,
      value: r.pipeline.rowsPerSecond,
      unit: 'rows/s',
      baseline: { label: 'csv-parse alone', value: r.parse.rowsPerSecond },
      note: 'strata parsing, cleaning and refresh with a store that only counts',
    },
    {
      name: 'ingest logic, peak RSS',
      value: r.pipeline.peakRssMb,
      unit: 'MB',
      baseline: { label: 'csv-parse alone', value: r.parse.peakRssMb },
      aim: { on: 'value', op: '<', target: MAX_RSS_MB, text: '< 512 MB' },
    },
    {
      name: `embedded stack end to end, ${count(r.stack.rows)} rows`,
      value: r.stack.rowsPerSecond,
      unit: 'rows/s',
      baseline: { label: 'csv-parse, same rows', value: r.parseStack.rowsPerSecond },
      aim: { on: 'ratio', op: '>=', target: 1 / 3, text: '≥ 0.33× (within 3× parse time)' },
      note: 'S3 upload → event → handler → dynalite',
    },
    {
      name: 'embedded stack, peak RSS',
      value: r.stack.peakRssMb,
      unit: 'MB',
      baseline: { label: 'csv-parse, same rows', value: r.parseStack.peakRssMb },
      aim: { on: 'value', op: '<', target: MAX_RSS_MB, text: '< 512 MB' },
      note: 'the emulators run in the same process',
    },
    {
      name: 'DynamoDB items written per new order',
      value: r.stack.dynamoItemsPerOrder,
      unit: 'writes',
      note: `ingest logic alone: ${r.pipeline.writesPerOrder} store writes per order`,
    },
  ],
});

const segments = benchmark({
  name: 'segments',
  script: 'segments.ts',
  quickArgs: ['--profiles', '50000'],
  results: z.object({
    profiles: z.number(),
    segments: z.number(),
    duckdbRfmSeconds: z.number(),
    strataAllSegmentsSeconds: z.number(),
    rfmScoresDifferingFromDuckdb: z.number(),
    // Since issue 5 point 8: strata timed from loaded columns, as DuckDB from its loaded table.
    strataIncludingLoadSeconds: z.number().optional(),
    membershipsDifferingFromPerCustomerPath: z.number().optional(),
    // Since the product decides in columns: the workflow's parallel workers, and one thread.
    workers: z.number().optional(),
    strataOneThreadSeconds: z.number().optional(),
    rerunCustomers: z.number(),
    rerunWrites: z.number(),
  }),
  figures: (r) => [
    {
      name: `all ${r.segments} built-in segments, ${count(r.profiles)} profiles${r.workers === undefined ? '' : `, ${r.workers} workers`}`,
      value: r.strataAllSegmentsSeconds,
      unit: 's',
      baseline: { label: 'DuckDB RFM scores', value: r.duckdbRfmSeconds },
      aim: { on: 'ratio', op: '<=', target: 1.5, text: '≤ 1.5× DuckDB' },
      note: [
        `${count(r.rfmScoresDifferingFromDuckdb)} RFM scores differ from DuckDB's`,
        ...(r.strataOneThreadSeconds === undefined ? [] : [`on one thread ${r.strataOneThreadSeconds} s`]),
        ...(r.strataIncludingLoadSeconds === undefined ? [] : [`both timed from loaded columns; with strata's load ${r.strataIncludingLoadSeconds} s (one thread)`]),
        ...(r.membershipsDifferingFromPerCustomerPath === undefined ? [] : [`${count(r.membershipsDifferingFromPerCustomerPath)} memberships differ from the per-customer path`]),
      ].join('; '),
    },
    {
      name: 'DynamoDB writes, re-run with nothing changed',
      value: r.rerunWrites,
      unit: 'writes',
      aim: { on: 'value', op: '=', target: 0, text: '= 0' },
      note: `${count(r.rerunCustomers)} customers re-evaluated`,
    },
  ],
});

const dispatch = benchmark({
  name: 'dispatch',
  script: 'dispatch.ts',
  quickArgs: ['--recipients', '2000', '--store-recipients', '200', '--baseline', '1000'],
  results: z.object({
    configuredRate: z.number(),
    baseline: z.object({ perSecond: z.number() }),
    dispatch: z.object({
      recipients: z.number(),
      sesCalls: z.number(),
      expectedCalls: z.object({ value: z.number() }),
      throttledCallsRetried: z.number(),
      perSecond: z.number(),
    }),
    withDynamoDB: z.object({ recipients: z.number(), perSecond: z.number() }),
  }),
  figures: (r) => {
    const perThousand = (calls: number) => (calls * 1000) / r.dispatch.recipients;
    return [
      {
        name: 'SES calls per 1,000 recipients',
        value: perThousand(r.dispatch.sesCalls),
        unit: 'calls',
        baseline: { label: 'ceil(n/50)', value: perThousand(Math.ceil(r.dispatch.recipients / 50)) },
        aim: { on: 'value', op: '=', target: perThousand(r.dispatch.expectedCalls.value), text: 'ceil(n/50) + retries' },
        note: `${count(r.dispatch.sesCalls)} calls for ${count(r.dispatch.recipients)}, ${r.dispatch.throttledCallsRetried} retried after throttling`,
      },
      {
        name: `throughput, ${count(r.dispatch.recipients)} recipients`,
        value: r.dispatch.perSecond,
        unit: 'per s',
        baseline: { label: 'configured rate', value: r.configuredRate },
        note: `bare SendBulkEmail: ${count(r.baseline.perSecond)}/s`,
      },
      {
        name: `throughput with the DynamoDB ledger, ${count(r.withDynamoDB.recipients)}`,
        value: r.withDynamoDB.perSecond,
        unit: 'per s',
        baseline: { label: 'configured rate', value: r.configuredRate },
      },
    ];
  },
});

const fit = z.object({ customers: z.number(), fitSeconds: z.number(), logLikelihoodSeconds: z.number() });

const models = benchmark({
  name: 'models',
  script: 'models.ts',
  quickArgs: ['--customers', '50000', '--runs', '1'],
  results: z.object({
    fitSample: fit,
    fitMaster: fit,
    score: z.object({ customers: z.number(), scoreSeconds: z.number(), readSeconds: z.number() }),
  }),
  figures: (r) => {
    // The aim is 10 s for 1,000,000 customers; a quick run scores fewer, so the aim scales with them.
    const scoreAim = (10 * r.score.customers) / 1_000_000;
    return [
      {
        name: `fit BG/NBD + Gamma-Gamma, CDNOW sample (${count(r.fitSample.customers)})`,
        value: r.fitSample.fitSeconds,
        unit: 's',
        baseline: { label: 'one log-likelihood', value: r.fitSample.logLikelihoodSeconds },
        aim: { on: 'value', op: '<', target: 1, text: '< 1 s' },
      },
      {
        name: `fit BG/NBD + Gamma-Gamma, CDNOW master (${count(r.fitMaster.customers)})`,
        value: r.fitMaster.fitSeconds,
        unit: 's',
        baseline: { label: 'one log-likelihood', value: r.fitMaster.logLikelihoodSeconds },
        aim: { on: 'value', op: '<', target: 3, text: '< 3 s' },
      },
      {
        name: `score ${count(r.score.customers)} customers`,
        value: r.score.scoreSeconds,
        unit: 's',
        baseline: { label: 'reading every summary', value: r.score.readSeconds },
        aim: { on: 'value', op: '<', target: scoreAim, text: r.score.customers === 1_000_000 ? '< 10 s' : `< ${scoreAim} s (10 s per 1M)` },
        note: 'one core',
      },
    ];
  },
});

const bundles = benchmark({
  name: 'bundles',
  script: 'bundles.ts',
  quickArgs: ['--runs', '3'],
  results: z.object({
    baseline: z.object({ cold: z.object({ wallMs: z.number() }) }),
    handlers: z.array(
      z.object({
        name: z.string(),
        bytes: z.number(),
        gzipBytes: z.number(),
        cold: z.object({ wallMs: z.number(), importMs: z.number(), rssMb: z.number() }),
        /** The empty module's cold starts run in turn with this bundle's (absent from older results). */
        emptyBeside: z.object({ wallMs: z.number() }).optional(),
      }),
    ),
  }),
  figures: (r) =>
    r.handlers.flatMap((h): FigureInput[] => [
      { name: `${h.name} bundle, minified`, value: h.bytes / 1024, unit: 'KB', note: `gzip ${count(Math.round(h.gzipBytes / 1024))} KB` },
      {
        name: `${h.name} cold start (fresh node + import)`,
        value: h.cold.wallMs,
        unit: 'ms',
        baseline: { label: 'empty module', value: h.emptyBeside?.wallMs ?? r.baseline.cold.wallMs },
        note: `import alone ${h.cold.importMs} ms, peak RSS ${Math.round(h.cold.rssMb)} MB`,
      },
    ]),
});

const resegment = benchmark({
  name: 'resegment',
  script: 'resegment.ts',
  quickArgs: ['--profiles', '5000', '--baseline', '1000'],
  results: z.object({
    profiles: z.number(),
    first: z.object({ seconds: z.number(), changed: z.number(), customersPerSecond: z.number(), historyEvents: z.number() }),
    second: z.object({ seconds: z.number(), changed: z.number(), customersPerSecond: z.number(), historyEvents: z.number() }),
    baseline: z.object({ customers: z.number(), customersPerSecond: z.number() }),
  }),
  figures: (r) => [
    {
      name: `re-segmentation workflow, ${count(r.profiles)} profiles, first run`,
      value: r.first.customersPerSecond,
      unit: 'customers/s',
      baseline: { label: 'sequential refresh', value: r.baseline.customersPerSecond },
      note: `${count(r.first.changed)} changed in ${Math.round(r.first.seconds)} s, ${r.first.historyEvents} history events`,
    },
    {
      name: `re-segmentation workflow, ${count(r.profiles)} profiles, nothing changed`,
      value: r.second.customersPerSecond,
      unit: 'customers/s',
      baseline: { label: 'sequential refresh', value: r.baseline.customersPerSecond },
      note: `${count(r.second.changed)} changed in ${Math.round(r.second.seconds)} s`,
    },
  ],
});

export const BENCHMARKS: readonly Benchmark[] = [ingest, segments, dispatch, models, resegment, bundles];
