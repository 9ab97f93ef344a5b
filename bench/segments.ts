/**
 * npm run bench:segments [-- --profiles 1000000]
 *
 * Segment evaluation against DuckDB, measured in the same run on the same data:
 *   data      1,000,000 profiles: CDNOW master's 23,570 customers' order aggregates (computed by
 *             strata's own ingest) replicated with shifted ids and dates
 *   duckdb    the RFM scores of DESIGN.md in SQL (window functions) over those profiles, loaded into
 *             an in-memory DuckDB table beforehand (the baseline; load time not counted)
 *   strata    what re-segmentation and ingest run (refreshCustomers), with the product's own
 *             functions in its batches of REFRESH_BATCH (200) customers: the profiles loaded into
 *             columns batch by batch beforehand (loadProfiles: order aggregates as typed arrays,
 *             dates as day numbers), as DuckDB's table is loaded beforehand (neither load counted,
 *             both reported). Timed: the statistics pass (addBatchToStats per batch, merged and
 *             finalized: RFM quintiles, percentile thresholds of everyone), then evaluateBatch for
 *             every batch against them: facts at the evaluation time, RFM scores and every built-in
 *             segment (lifecycle, value, RFM map, demographics, ...) → a member bitset per segment.
 *             Headline: the workflow's shape, a worker thread per core each holding its share of
 *             the batches (statistics, merged by the main thread, then decisions), as DuckDB uses
 *             every core; also on one thread. Each side runs once untimed first (warm-up).
 *   check     the per-customer path (buildFacts → histograms → the interpreter that explains
 *             memberships, independent of the column evaluator) over the same profiles: its time,
 *             and every membership compared with the batches' (must be 0 differing)
 *   rerun     DynamoDB items written when the CDNOW master customers are re-evaluated with nothing
 *             changed (must be 0), through the same refresh code that writes to DynamoDB
 * Results: bench/results-segments.json.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import { DuckDBInstance } from '@duckdb/node-api';
import { aggregateOrders, type OrderAggregates } from '../functions/core/profile.ts';
import { builtinSegments } from '../functions/core/segments/builtin.ts';
import { evaluateAll, orderDefinitions } from '../functions/core/segments/catalog.ts';
import { factColumns, valueAt, type Column } from '../functions/core/segments/columns.ts';
import { isMember, type Members } from '../functions/core/segments/evaluate-columns.ts';
import { buildFacts } from '../functions/core/segments/facts.ts';
import { addToStats, emptyStats, finalizeStats, mergeStats, statsFields, EMPTY_POPULATION, type PartialStats } from '../functions/core/segments/population.ts';
import { linesByCustomer, readOrderFile } from '../bin/commands/order-file.ts';
import { memoryCustomerStore } from '../functions/adapters/memory-stores.ts';
import { refreshCustomers, REFRESH_BATCH } from '../functions/segmentation/refresh-customers.ts';
import { decide, loadBatches, memberCount, replicate, statsOf } from './segment-profiles.ts';
import type { WorkerRequest } from './segments-worker.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const { values: args } = parseArgs({ options: { profiles: { type: 'string', default: '1000000' } } });
const PROFILES = Number(args.profiles);
/** Parallel workers of the workflow's Map steps: one per core of this machine. */
const WORKERS = os.availableParallelism();
const NOW = new Date('1998-07-01T00:00:00Z');
const master = path.join(here, '..', '..', 'shared', 'data', 'cdnow', 'cdnow_master.csv');

const time = async <T>(fn: () => Promise<T> | T): Promise<{ value: T; seconds: number }> => {
  const started = performance.now();
  const value = await fn();
  return { value, seconds: (performance.now() - started) / 1000 };
};

process.stderr.write(`reading ${master} through strata's ingest …\n`);
const lines = linesByCustomer((await readOrderFile(master, { now: NOW })).lines);
const base = [...lines].map(([customerId, orderLines]) => ({ customerId, orders: aggregateOrders(orderLines) as OrderAggregates }));
process.stderr.write(`${base.length} customers; replicating to ${PROFILES.toLocaleString('en-US')} profiles …\n`);
const profiles = replicate(base, 0, PROFILES);

// DuckDB: the same profiles as a table; the query computes DESIGN.md's RFM scores.
const duck = await (await DuckDBInstance.create(':memory:')).connect();
await duck.run('create table profiles (customer_id varchar, last_order date, frequency integer, monetary double)');
const duckLoad = performance.now();
const appender = await duck.createAppender('profiles');
for (const p of profiles) {
  appender.appendVarchar(p.customerId);
  appender.appendVarchar(p.orders.lastOrderAt.slice(0, 10));
  appender.appendInteger(p.orders.orders);
  appender.appendDouble(p.orders.revenue);
  appender.endRow();
}
appender.closeSync();
const duckLoadSeconds = (performance.now() - duckLoad) / 1000;
const rfmSql = `create or replace table scores as select customer_id,
  date_diff('day', last_order, DATE '1998-07-01') recency_days, frequency, monetary,
  1 + floor(5 * (rank() over (order by last_order) - 1) / count(*) over ()) r,
  1 + floor(5 * (rank() over (order by frequency) - 1) / count(*) over ()) f,
  1 + floor(5 * (rank() over (order by monetary) - 1) / count(*) over ()) m from profiles`;
await duck.run(rfmSql); // warm-up
const duckdb = await time(() => duck.run(rfmSql));
const duckScores = new Map((await duck.runAndReadAll('select customer_id, r, f, m from scores')).getRowObjectsJson().map((r) => [String(r.customer_id), `${r.r}${r.f}${r.m}`]));

// strata: what re-segmentation runs, with the product's own functions and batch size. The
// profiles are loaded into columns batch by batch beforehand, as DuckDB's table is loaded (timed
// apart, not counted; both load times are reported). Timed: the statistics pass (addBatchToStats
// per batch, merged, finalized: the RFM quintiles and percentile thresholds of everyone), then
// every built-in segment for every profile through evaluateBatch, batch by batch against those
// statistics (refreshCustomers's call) → a member bitset per segment and batch.
const definitions = orderDefinitions(builtinSegments());
const batches = await time(() => loadBatches(profiles, definitions));
const evaluate = () => {
  const population = finalizeStats(statsOf(batches.value, definitions, NOW));
  return { population, members: decide(batches.value, definitions, NOW, population) };
};
evaluate(); // warm-up, as DuckDB's query has
const strata = await time(evaluate);

// The same on both cores, as the workflow runs it: WORKERS workers each hold a share of the
// profiles in batches; each gathers its statistics, the main thread merges and finalizes them (the
// merge step), then each decides its batches against them. Timed from the first request to the
// last part's sizes.
const workers = await Promise.all(
  Array.from({ length: WORKERS }, (_, w) => {
    const share = Math.ceil(PROFILES / WORKERS / REFRESH_BATCH) * REFRESH_BATCH;
    const workerData = { base, from: Math.min(PROFILES, w * share), to: Math.min(PROFILES, (w + 1) * share), now: NOW.toISOString() };
    const entry = new URL('./segments-worker.ts', import.meta.url).href;
    // Worker threads do not inherit tsx's loader: the worker registers it before importing its entry.
    const worker = new Worker(`import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(entry)}); })`, { eval: true, workerData });
    return new Promise<Worker>((resolve, reject) => worker.once('message', () => resolve(worker)).once('error', reject));
  }),
);
const ask = <T>(request: WorkerRequest) => Promise.all(workers.map((worker) => new Promise<T>((resolve, reject) => worker.once('message', resolve).once('error', reject).postMessage(request))));
const inParallel = async () => {
  const partials = await ask<PartialStats>({ step: 'stats' });
  const population = finalizeStats(partials.reduce(mergeStats));
  const parts = await ask<number[]>({ step: 'evaluate', population });
  return definitions.map((_, s) => parts.reduce((n, part) => n + (part[s] ?? 0), 0));
};
await inParallel(); // warm-up
const parallel = await time(inParallel);
await Promise.all(workers.map((worker) => worker.terminate()));

// Customer i is member b·REFRESH_BATCH + j of batch b.
const memberOf = (segment: number, i: number) => isMember(strata.value.members[Math.floor(i / REFRESH_BATCH)]?.[segment] as Members, i % REFRESH_BATCH);
const sizes = Object.fromEntries(definitions.map((d, s) => [d.name, strata.value.members.reduce((n, batch) => n + memberCount(batch[s] as Members), 0)]));
const scores = batches.value.flatMap((batch) => {
  const columns = factColumns(batch, NOW, strata.value.population);
  const [r, f, m] = ['rfm.r', 'rfm.f', 'rfm.m'].map((field) => columns.column(field)) as [Column, Column, Column];
  return Array.from({ length: batch.size }, (_, j) => `${String(valueAt(r, j))}${String(valueAt(f, j))}${String(valueAt(m, j))}`);
});
const mismatches = profiles.filter((p, i) => duckScores.get(p.customerId) !== scores[i]).length;

// The per-customer path (buildFacts → histograms → the interpreter that explains memberships),
// independent of the column evaluator: timed for comparison, and every decision checked against.
const rowPath = await time(() => {
  const partial = emptyStats(statsFields(definitions));
  for (const p of profiles) addToStats(partial, buildFacts(p, NOW, EMPTY_POPULATION));
  const population = finalizeStats(partial);
  const context = { now: NOW, population, ledgers: { events: [], orderLines: [] } };
  let differing = 0;
  profiles.forEach((p, i) => {
    let s = 0;
    for (const { matched } of evaluateAll(definitions, buildFacts(p, NOW, population), context).values()) if (matched !== memberOf(s++, i)) differing++;
  });
  return differing;
});

// Re-run with nothing changed: the items the refresh would write to DynamoDB.
const store = memoryCustomerStore();
await store.putOrders([...lines.values()].flat(), 'bench');
const ids = [...lines.keys()];
await refreshCustomers(store, ids, definitions, NOW);
const rerun = await refreshCustomers(store, ids, definitions, NOW);

const result = {
  measuredAt: new Date().toISOString(),
  profiles: PROFILES,
  segments: definitions.length,
  duckdbRfmSeconds: round(duckdb.seconds),
  duckdbLoadSecondsNotCounted: round(duckLoadSeconds),
  // The workflow's shape on this machine's cores: WORKERS parallel workers, as DuckDB uses them all.
  strataAllSegmentsSeconds: round(parallel.seconds),
  workers: WORKERS,
  strataOneThreadSeconds: round(strata.seconds),
  strataLoadSecondsNotCounted: round(batches.seconds),
  strataIncludingLoadSeconds: round(batches.seconds + strata.seconds),
  batchSize: REFRESH_BATCH,
  sizesDifferingBetweenThreadAndWorkers: definitions.filter((d) => sizes[d.name] !== parallel.value[definitions.indexOf(d)]).length,
  strataPerCustomerPathSeconds: round(rowPath.seconds),
  membershipsDifferingFromPerCustomerPath: rowPath.value,
  ratioToDuckdb: round(parallel.seconds / duckdb.seconds),
  oneThreadRatioToDuckdb: round(strata.seconds / duckdb.seconds),
  profilesPerSecond: Math.round(PROFILES / parallel.seconds),
  rfmScoresDifferingFromDuckdb: mismatches,
  rerunCustomers: rerun.customers,
  rerunWrites: rerun.writes,
  aim: 'strata ≤ 1.5 × DuckDB; re-run writes = 0; memberships differing from the per-customer path = 0',
  sizes,
};
fs.writeFileSync(path.join(here, 'results-segments.json'), `${JSON.stringify(result, null, 2)}\n`);
process.stdout.write(
  [
    `profiles                      ${PROFILES.toLocaleString('en-US')} (${definitions.length} built-in segments)`,
    `DuckDB RFM scores (baseline)  ${result.duckdbRfmSeconds.toFixed(2)} s`,
    `strata, all segments          ${result.strataAllSegmentsSeconds.toFixed(2)} s on ${WORKERS} workers, batches of ${REFRESH_BATCH}  = ${result.ratioToDuckdb}× DuckDB  (${result.profilesPerSecond.toLocaleString('en-US')} profiles/s)`,
    `  on one thread               ${result.strataOneThreadSeconds.toFixed(2)} s  = ${result.oneThreadRatioToDuckdb}× DuckDB  (segment sizes differing from the workers': ${result.sizesDifferingBetweenThreadAndWorkers})`,
    `  with loading the columns    ${result.strataIncludingLoadSeconds.toFixed(2)} s on one thread  (DuckDB's load, not counted: ${result.duckdbLoadSecondsNotCounted.toFixed(2)} s)`,
    `  per-customer path           ${result.strataPerCustomerPathSeconds.toFixed(2)} s  (memberships differing: ${result.membershipsDifferingFromPerCustomerPath})`,
    `RFM scores differing          ${result.rfmScoresDifferingFromDuckdb}`,
    `re-run writes                 ${result.rerunWrites} for ${result.rerunCustomers.toLocaleString('en-US')} unchanged customers`,
    '',
  ].join('\n'),
);

function round(n: number): number {
  return Math.round(n * 1000) / 1000;
}
