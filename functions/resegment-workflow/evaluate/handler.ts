import type { Context } from 'aws-lambda';
import { evaluationTime, loadConfig } from '../../commons/config.ts';
import { createLogger, withObservability } from '../../commons/observability.ts';
import { resegmentEveryone, type ResegmentSummary } from '../../segmentation/resegment-everyone.ts';
import { loadSegmentDefinitions } from '../../segmentation/segment-definitions.ts';
import { loadModelScorer } from '../../segmentation/model-scorer.ts';
import { dynamoDocumentClient, s3Client } from '../../adapters/aws-clients.ts';
import { customerStateFromItems, dynamoCustomerStore } from '../../adapters/customer-store.ts';
import type { CustomerState, PopulationStore, ProfileStore } from '../../adapters/ports/customers.ts';
import { mapLimit } from '../../core/collections.ts';
import { s3ObjectStore } from '../../adapters/object-store.ts';
import { resegmentStore } from '../../adapters/resegment-store.ts';
import { workerStateSchema, workKeys, type PartResult, type WorkerResult } from '../../core/resegment/run.ts';
import { refreshWithPopulation, type PopulationStats } from '../population-io.ts';
import { workScanSegment } from '../scan-worker.ts';
import { InputError } from '../../core/errors.ts';

const config = loadConfig(process.env);
const logger = createLogger('resegment');
const populations = new Map<string, PopulationStats>();

/**
 * One scan segment's stretch when the workflow invokes it (the event carries the run); the whole
 * table in one process when invoked without one (the demo and one-off local runs).
 */
export const handler = withObservability(logger, async (event: unknown, context: Context): Promise<WorkerResult | Omit<ResegmentSummary, 'population'>> => {
  if (event !== null && typeof event === 'object' && 'run' in event) return evaluateStretch(event, context);
  const store = dynamoCustomerStore(dynamoDocumentClient(), config.tableName);
  const objects = s3ObjectStore(s3Client(), config.bucketName);
  const definitions = await loadSegmentDefinitions(objects);
  const scoreModel = await loadModelScorer(objects);
  const { population: _population, ...summary } = await resegmentEveryone(store, definitions, evaluationTime(config), scoreModel === undefined ? {} : { scoreModel });
  logger.info('re-segmentation done', { customers: summary.customers, writes: summary.writes });
  return summary;
});

/**
 * Re-evaluates the customers of one scan segment at the run's time and writes only what changed,
 * from where the previous invocation stopped; near its timeout it returns the position for the
 * workflow to loop it. Counts per invocation go to S3 under a key fixed by segment and stretch.
 * A stretch that was started before (a retry after a crash) counts the transitions as stored
 * instead of as diffed, because the crashed attempt may have written some of them already, and so
 * do the segment's later stretches (new items move page boundaries, so the crashed attempt may
 * have reached customers the retry leaves to the next stretch).
 */
async function evaluateStretch(event: unknown, context: Context): Promise<WorkerResult> {
  const started = Date.now();
  const state = workerStateSchema.parse(event);
  const { run, segment, part } = state;
  const now = new Date(run.now);
  const client = dynamoDocumentClient();
  const objects = s3ObjectStore(s3Client(), config.bucketName);
  const runStore = resegmentStore(client, config.tableName);
  const population = await loadPopulation(objects, state.populationKey);
  const definitions = await loadSegmentDefinitions(objects);
  const scoreModel = await loadModelScorer(objects);

  const startedKey = workKeys.started(run.runId, segment, part);
  const recount = state.recount || (await objects.readText(startedKey)) !== undefined;
  await objects.put(startedKey, '{}', 'application/json');

  const counts = { customers: 0, changedCustomers: 0, entered: {} as Record<string, number>, exited: {} as Record<string, number> };
  const add = (into: Record<string, number>, name: string, n = 1) => { into[name] = (into[name] ?? 0) + n; };
  const tableStore = dynamoCustomerStore(client, config.tableName);
  const progress = await workScanSegment(
    state,
    context,
    (startKey) => runStore.scanItems(segment, state.totalSegments, startKey, run.pageSize),
    async (items) => {
      const { ids, complete } = partitionsOfPage(items);
      const store = countingChanges(readingFrom(tableStore, complete), () => { if (!recount) counts.changedCustomers += 1; });
      const summary = await refreshWithPopulation(store, ids, definitions, now, population, scoreModel);
      counts.customers += ids.length;
      if (!recount) {
        for (const [name, n] of Object.entries(summary.entered)) add(counts.entered, name, n);
        for (const [name, n] of Object.entries(summary.exited)) add(counts.exited, name, n);
        return;
      }
      await mapLimit(ids, 16, async (id) => {
        const stored = await runStore.transitionsAt(id, run.now);
        if (stored.length > 0) counts.changedCustomers += 1;
        for (const t of stored) add(t.change === 'enter' ? counts.entered : counts.exited, t.segment);
      });
    },
  );
  const key = workKeys.evaluated(run.runId, segment, part);
  const result: PartResult = { segment, part, ...counts, durationMs: Date.now() - started, recounted: recount };
  await objects.put(key, JSON.stringify(result), 'application/json');
  logger.info('scan stretch evaluated', { runId: run.runId, segment, part, pages: progress.pages, customers: counts.customers, recount });
  const keys = [...state.keys, key];
  return progress.exhausted ? { done: true, segment, keys } : { ...state, part: part + 1, lastKey: progress.lastKey, keys, recount, done: false };
}

async function loadPopulation(objects: ReturnType<typeof s3ObjectStore>, key: string | undefined): Promise<PopulationStats> {
  if (key === undefined) throw new InputError('the worker was started without the population statistics of its run');
  const cached = populations.get(key);
  if (cached !== undefined) return cached;
  const text = await objects.readText(key);
  if (text === undefined) throw new Error(`population statistics ${key} are missing`);
  const population = JSON.parse(text) as PopulationStats;
  populations.set(key, population);
  return population;
}

/**
 * The customers of a scan page (those whose PROFILE item it holds) and, for the partitions the page
 * holds whole, their items. A scan returns a partition's items together and in key order, so only
 * the first and last partition of a page can be cut by the page boundary; those are read again.
 */
function partitionsOfPage(items: readonly Record<string, unknown>[]): { ids: string[]; complete: Map<string, CustomerState> } {
  const partitions: { pk: string; items: Record<string, unknown>[] }[] = [];
  for (const item of items) {
    const pk = String(item.pk);
    const last = partitions.at(-1);
    if (last?.pk === pk) last.items.push(item);
    else partitions.push({ pk, items: [item] });
  }
  const ids: string[] = [];
  const complete = new Map<string, CustomerState>();
  partitions.forEach((p, index) => {
    const profile = p.items.find((i) => i.sk === 'PROFILE');
    if (profile === undefined) return;
    const customerId = String(profile.customerId);
    ids.push(customerId);
    if (index > 0 && index < partitions.length - 1) complete.set(customerId, customerStateFromItems(customerId, p.items));
  });
  return { ids, complete };
}

/** The store, answering loadCustomer from items already read where it can. */
function readingFrom<S extends ProfileStore & PopulationStore>(store: S, loaded: ReadonlyMap<string, CustomerState>): S {
  return { ...store, loadCustomer: async (customerId) => loaded.get(customerId) ?? store.loadCustomer(customerId) };
}

/** The store, noting each customer whose memberships change as the refresh writes it. */
function countingChanges<S extends ProfileStore & PopulationStore>(store: S, onChangedCustomer: () => void): S {
  return {
    ...store,
    async applyRefresh(updates, now) {
      for (const u of updates) if ((u.changes?.transitions.length ?? 0) > 0) onChangedCustomer();
      return store.applyRefresh(updates, now);
    },
  };
}
