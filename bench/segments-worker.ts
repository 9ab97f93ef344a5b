/**
 * One worker thread of bench:segments: a scan segment's share of the profiles, held in the product's
 * batches, running the workflow's two steps when the main thread asks (the statistics of its part,
 * then its decisions against everyone's statistics), as the workflow's parallel Map runs its workers.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { builtinSegments } from '../functions/core/segments/builtin.ts';
import { orderDefinitions } from '../functions/core/segments/catalog.ts';
import type { PopulationStats } from '../functions/core/segments/population.ts';
import { decide, loadBatches, memberCount, replicate, statsOf, type BaseProfile } from './segment-profiles.ts';

export type WorkerRequest = { readonly step: 'stats' } | { readonly step: 'evaluate'; readonly population: PopulationStats };

const { base, from, to, now } = workerData as { base: BaseProfile[]; from: number; to: number; now: string };
const NOW = new Date(now);
const definitions = orderDefinitions(builtinSegments());
const started = performance.now();
const batches = loadBatches(replicate(base, from, to), definitions);
parentPort?.postMessage({ loadedSeconds: (performance.now() - started) / 1000 });
parentPort?.on('message', (request: WorkerRequest) => {
  if (request.step === 'stats') {
    parentPort?.postMessage(statsOf(batches, definitions, NOW));
  } else {
    const members = decide(batches, definitions, NOW, request.population);
    // The sizes of the part, per segment: what the aggregate step adds up.
    parentPort?.postMessage(definitions.map((_, s) => members.reduce((n, batch) => n + memberCount(batch[s] as Uint32Array), 0)));
  }
});
