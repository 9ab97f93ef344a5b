import { createInterface } from 'node:readline';
import { parse } from 'csv-parse';
import * as z from 'zod';
import type { RangedObjectStore } from '../adapters/ports/objects.ts';
import type { ChunkDispatcher } from '../adapters/chunk-dispatcher.ts';
import { absoluteLine, linesBeforeEach, planChunks, workKeys, type ChunkPhase, type ChunkTask } from '../core/chunks.ts';
import { InputError } from '../core/errors.ts';
import { mappingSchema, parseMapping, type Mapping } from '../core/mapping.ts';
import { classifyIncomingKey, mappingKeyFor, quarantineKeys, type IncomingObject } from '../core/object-key.ts';
import { RepeatFilter } from '../core/repeat-filter.ts';
import { refreshCustomers, refreshSummarySchema } from '../segmentation/refresh-customers.ts';
import { openJournal } from '../commons/batch-journal.ts';
import { openChunk, readHeaderLine } from './chunk-range.ts';
import { countsOccurrences, csvCell, rejectedRows, rowFingerprint, rowResult, scanRows } from './ingest-rows.ts';
import { createApplier } from './apply-rows.ts';
import { admitFile, reportRejectedWhole, wholeFileRejection } from './file-acceptance.ts';
import { ingestInOneRun, refreshOptions } from './one-run-ingest.ts';
import { pinnedTime } from './pinned-time.ts';
import type { IngestDeps, IngestOutcome, IngestReport } from './ingest-object.ts';
import { ERASED_CUSTOMER } from './resolve-identities.ts';
import { readRows } from './read-rows.ts';


export interface ChunkingDeps {
  readonly objects: RangedObjectStore;
  readonly dispatcher: ChunkDispatcher;
  /** Files larger than this are split into chunks of this size. */
  readonly chunkBytes: number;
}

type DataObject = Extract<IncomingObject, { type: 'data' }>;

const validated = z.object({
  chunk: z.number(),
  accepted: z.number(),
  rejected: z.number(),
  rejectedByReason: z.record(z.string(), z.number()),
  lines: z.number(),
  spansLines: z.boolean(),
  mapping: mappingSchema,
});
const applied = z.object({ chunk: z.number(), deferred: z.number(), erased: z.number().default(0) });
/** Rows of erased customers the deferred rows' join left out (one state per file). */
const deferredErased = z.object({ erased: z.number() });
const refreshed = z.object({
  chunk: z.number(),
  customers: z.number(),
  writes: z.number(),
  entered: z.record(z.string(), z.number()),
  exited: z.record(z.string(), z.number()),
});

/**
 * A file too large for one run goes through three phases, each fanned out over its chunks and
 * joined when the last chunk reports: validate (count and quarantine bad rows; the whole-file
 * threshold is then checked over all chunks), apply (write the ledger), refresh (re-evaluate the
 * customers touched, split by customer so each is refreshed once, after every write). Each
 * chunk's state is stored under the file's record, so a re-run skips what is done.
 */
export async function startChunkedIngest(deps: IngestDeps, chunking: ChunkingDeps, object: DataObject, etag: string, size: number): Promise<IngestOutcome> {
  const chunks = planChunks(size, chunking.chunkBytes).length;
  const task = { type: 'strata.ingest-chunk', key: object.key, etag, size, chunkBytes: chunking.chunkBytes, chunk: 0 } as const;
  await advance(deps, chunking, task);
  deps.logger.info('file split into chunks', { key: object.key, chunks });
  return { status: 'chunked', file: object.key, chunks };
}

/** Runs one chunk of one phase, then moves the file on if this was the last chunk of the phase. */
export async function runChunkTask(given: IngestDeps, chunking: ChunkingDeps, task: ChunkTask): Promise<void> {
  const { store } = given;
  if ((await store.getFile(task.key, task.etag)) !== undefined) return;
  // Every chunk, and every retry of one, evaluates as of the file's first attempt.
  const deps = { ...given, now: await pinnedTime(store, task.key, task.etag, given.now) };
  const done = await store.listChunkStates(task.key, task.etag, task.phase);
  if (!done.some((s) => s.chunk === task.chunk)) {
    const state = await CHUNK_WORK[task.phase](deps, chunking, task);
    await store.putChunkState(task.key, task.etag, task.phase, task.chunk, state);
  }
  const finished = await store.listChunkStates(task.key, task.etag, task.phase);
  if (finished.length === planChunks(task.size, task.chunkBytes).length && (await claimJoin(deps, task))) await advance(deps, chunking, task);
}

/**
 * Two chunks finishing together both see the phase complete; the first to record itself as the
 * phase's joiner moves the file on, so the next phase is dispatched once. A retry of the joiner's
 * own invocation (it failed while joining) finds its claim and joins again.
 */
async function claimJoin(deps: IngestDeps, task: ChunkTask): Promise<boolean> {
  const phase = `${task.phase}-join`;
  await deps.store.putChunkState(task.key, task.etag, phase, 0, { by: task.chunk });
  const [claim] = await deps.store.listChunkStates(task.key, task.etag, phase);
  return claim?.by === task.chunk;
}

/** Finds the first unfinished phase, runs the joins of the finished ones, and dispatches what is missing. */
async function advance(deps: IngestDeps, chunking: ChunkingDeps, task: Omit<ChunkTask, 'phase'>): Promise<void> {
  const { store } = deps;
  const chunks = planChunks(task.size, task.chunkBytes);
  for (const phase of ['validate', 'apply', 'refresh'] as const) {
    const done = new Set((await store.listChunkStates(task.key, task.etag, phase)).map((s) => Number(s.chunk)));
    if (done.size < chunks.length) {
      const missing = chunks.filter((c) => !done.has(c.index)).map((c) => ({ ...task, phase, chunk: c.index }));
      await chunking.dispatcher.dispatch(missing);
      return;
    }
    const next = await JOINS[phase](deps, chunking, task);
    if (next === 'stop') return;
  }
}

type Work = (deps: IngestDeps, chunking: ChunkingDeps, task: ChunkTask) => Promise<Record<string, unknown>>;
type Join = (deps: IngestDeps, chunking: ChunkingDeps, task: Omit<ChunkTask, 'phase'>) => Promise<'continue' | 'stop'>;

const CHUNK_WORK: Record<ChunkPhase, Work> = {
  async validate(deps, chunking, task) {
    const { object, declared } = await describe(deps, task.key);
    const keys = workKeys(task.key, task.etag);
    const source = await chunkSource(chunking, object, declared, task);
    const repeats = new RepeatFilter(filterBits(task.chunkBytes));
    const rejects = rejectedRows(chunking.objects, keys.rejected(task.chunk));
    let accepted = 0;
    const counting = countsOccurrences(object.kind, declared);
    const { mapping } = await scanRows(source.rows, object.kind, declared, deps.now, counting ? { pass: 'validate', repeats, counts: new Map() } : undefined, (row) => {
      if (row.ok === false) return rejects.add(row);
      accepted++;
      return undefined;
    });
    await rejects.close();
    if (counting) await chunking.objects.putBytes(keys.filter(task.chunk), repeats.toBytes());
    return {
      accepted,
      rejected: rejects.count(),
      rejectedByReason: rejects.rejectedByReason,
      lines: source.lines(),
      spansLines: source.rows.spansLines(),
      mapping,
    };
  },
  async apply(deps, chunking, task) {
    const { object, declared } = await describe(deps, task.key);
    const keys = workKeys(task.key, task.etag);
    const counting = countsOccurrences(object.kind, declared);
    const occurrences = counting
      ? { pass: 'apply' as const, repeats: await readFilter(chunking, keys.filter(task.chunk)), counts: new Map<string, number>(), acrossChunks: await readFilter(chunking, keys.cross) }
      : undefined;
    const source = await chunkSource(chunking, object, declared, task);
    let erased = 0;
    const applier = createApplier(deps.store, task.key, deps.now, { etag: task.etag, recordedAt: deps.recordedAt, onErased: async (rows) => void (erased += rows.length) });
    const deferred = chunking.objects.createWriter(keys.deferred(task.chunk), 'application/x-ndjson');
    let deferredRows = 0;
    await scanRows(source.rows, object.kind, declared, deps.now, occurrences, (row) => {
      if (row.ok === true) return applier.add(row.value);
      if (row.ok !== 'deferred') return undefined;
      deferredRows++;
      return deferred.write(`${JSON.stringify(row.values)}\n`);
    });
    await deferred.close();
    const { touched } = await applier.finish();
    await chunking.objects.put(keys.touched(task.chunk), [...touched].join('\n'), 'text/plain');
    return { deferred: deferredRows, erased };
  },
  async refresh(deps, chunking, task) {
    const keys = workKeys(task.key, task.etag);
    const chunks = planChunks(task.size, task.chunkBytes).length;
    // Each refresh task takes the customers whose id hashes to its chunk, from every chunk's list.
    const mine = new Set<string>();
    const lists = [...Array.from({ length: chunks }, (_, i) => keys.touched(i)), keys.deferredTouched];
    for (const list of lists) {
      for (const id of ((await chunking.objects.readText(list)) ?? '').split('\n')) {
        if (id !== '' && partitionOf(id, chunks) === task.chunk) mine.add(id);
      }
    }
    const journal = await openJournal(deps.store, task, `refresh-batch-${task.chunk}`, refreshSummarySchema);
    const summary = await refreshCustomers(deps.store, mine, deps.definitions, deps.now, { ...refreshOptions(deps), journal });
    return { ...summary };
  },
};

const JOINS: Record<ChunkPhase, Join> = {
  /** Over all chunks: fall back to one run if a record spans lines, apply the threshold, build the cross-chunk filter. */
  async validate(deps, chunking, task) {
    const { logger } = deps;
    const { object, declared } = await describe(deps, task.key);
    const states = (await deps.store.listChunkStates(task.key, task.etag, 'validate')).map((s) => validated.parse(s)).sort((a, b) => a.chunk - b.chunk);
    if (states.some((s) => s.spansLines)) {
      // Quoted line breaks make line starts unreliable as record starts: the file is read as one.
      logger.warn('records span lines, ingesting the file in one run', { key: task.key });
      const admission = await admitFile(deps, task.key, task.etag);
      if ('file' in admission) await ingestInOneRun(deps, admission.file, task.etag);
      return 'stop';
    }
    const keys = workKeys(task.key, task.etag);
    const accepted = sum(states.map((s) => s.accepted));
    const rejected = sum(states.map((s) => s.rejected));
    if (rejected > 0) await mergeRejected(chunking, task, states, object.format === 'csv');
    const maxRejectedShare = declared?.maxRejectedShare ?? deps.maxRejectedShare;
    const reason = wholeFileRejection(accepted, rejected, maxRejectedShare);
    if (reason !== undefined) {
      const report: IngestReport = {
        ...reportBase(task.key, object, states, maxRejectedShare),
        etag: task.etag,
        status: 'rejected',
        customers: 0,
        segments: undefined,
      };
      await reportRejectedWhole(deps, report, reason);
      return 'stop';
    }
    if (countsOccurrences(object.kind, declared)) {
      // One chunk's filter in memory at a time besides the result.
      const across = new RepeatFilter(filterBits(task.chunkBytes));
      for (const s of states) across.addChunk(await readFilter(chunking, keys.filter(s.chunk)));
      await chunking.objects.putBytes(keys.cross, across.toBytes());
    }
    return 'continue';
  },
  /** Rows that may repeat across chunks get their occurrence here, counted in file order over every chunk. */
  async apply(deps, chunking, task) {
    const { object, declared } = await describe(deps, task.key);
    const keys = workKeys(task.key, task.etag);
    const states = (await deps.store.listChunkStates(task.key, task.etag, 'apply')).map((s) => applied.parse(s)).sort((a, b) => a.chunk - b.chunk);
    const validation = validated.parse((await deps.store.listChunkStates(task.key, task.etag, 'validate'))[0]);
    const mapping: Mapping = declared ?? validation.mapping;
    const counts = new Map<string, number>();
    let erased = 0;
    const applier = createApplier(deps.store, task.key, deps.now, { etag: task.etag, recordedAt: deps.recordedAt, onErased: async (rows) => void (erased += rows.length) });
    for (const s of states) {
      if (s.deferred === 0) continue;
      const lines = createInterface({ input: await chunking.objects.openStream(keys.deferred(s.chunk)), crlfDelay: Infinity });
      for await (const line of lines) {
        if (line === '') continue;
        const values = z.record(z.string(), z.string().optional()).parse(JSON.parse(line));
        const fingerprint = rowFingerprint(values);
        const occurrence = (counts.get(fingerprint) ?? 0) + 1;
        counts.set(fingerprint, occurrence);
        const result = rowResult(object.kind, mapping, values, occurrence, deps.now);
        // The validate pass accepted these rows; cleaning is deterministic, so they are accepted again.
        if (result.ok) {
          const pending = applier.add(result.value);
          if (pending !== undefined) await pending;
        }
      }
    }
    const { touched } = await applier.finish();
    await chunking.objects.put(keys.deferredTouched, [...touched].join('\n'), 'text/plain');
    await deps.store.putChunkState(task.key, task.etag, 'apply-deferred', 0, { erased });
    return 'continue';
  },
  /** The report and the file record, from every chunk's counts. */
  async refresh(deps, _chunking, task) {
    const { object, declared } = await describe(deps, task.key);
    const validation = (await deps.store.listChunkStates(task.key, task.etag, 'validate')).map((s) => validated.parse(s)).sort((a, b) => a.chunk - b.chunk);
    const refreshes = (await deps.store.listChunkStates(task.key, task.etag, 'refresh')).map((s) => refreshed.parse(s));
    const entered: Record<string, number> = {};
    const exited: Record<string, number> = {};
    for (const r of refreshes) {
      for (const [segment, n] of Object.entries(r.entered)) entered[segment] = (entered[segment] ?? 0) + n;
      for (const [segment, n] of Object.entries(r.exited)) exited[segment] = (exited[segment] ?? 0) + n;
    }
    const customers = sum(refreshes.map((r) => r.customers));
    // Rows of erased customers were accepted by validation and left out when applied: counted as
    // rejected with their reason (by count only; their cells are the erased person's data).
    const applies = (await deps.store.listChunkStates(task.key, task.etag, 'apply')).map((s) => applied.parse(s));
    const late = (await deps.store.listChunkStates(task.key, task.etag, 'apply-deferred')).map((s) => deferredErased.parse(s));
    const erased = sum([...applies.map((a) => a.erased), ...late.map((d) => d.erased)]);
    const base = reportBase(task.key, object, validation, declared?.maxRejectedShare ?? deps.maxRejectedShare);
    const report: IngestReport = {
      ...base,
      ...(erased === 0
        ? {}
        : {
            accepted: base.accepted - erased,
            rejected: base.rejected + erased,
            rejectedByReason: { ...base.rejectedByReason, [ERASED_CUSTOMER]: (base.rejectedByReason[ERASED_CUSTOMER] ?? 0) + erased },
          }),
      etag: task.etag,
      status: 'applied',
      customers,
      merges: [],
      segments: { customers, writes: sum(refreshes.map((r) => r.writes)), entered, exited },
      chunks: validation.length,
    };
    await deps.objects.put(quarantineKeys(task.key).report, JSON.stringify(report, null, 2), 'application/json');
    // Which upload of the mapping the chunks read, so a later version of the file cannot silently reuse it.
    const mappingVersion = (await deps.objects.readVersioned?.(mappingKeyFor(task.key)))?.version;
    await deps.store.putFile({ key: task.key, etag: task.etag, status: 'applied', report, appliedAt: deps.now.toISOString(), ...(mappingVersion === undefined ? {} : { mappingVersion }) });
    if (erased > 0) deps.logger.warn('rows of erased customers left out', { key: task.key, rows: erased });
    deps.logger.info('file applied', { key: task.key, chunks: validation.length, accepted: report.accepted, rejected: report.rejected, customers });
    return 'stop';
  },
};

async function describe(deps: IngestDeps, key: string): Promise<{ object: DataObject; declared: Mapping | undefined }> {
  const object = classifyIncomingKey(key);
  if (object.type !== 'data') throw new InputError(`${key} is not a data file`);
  const text = await deps.objects.readText(mappingKeyFor(key));
  let json: unknown;
  try {
    json = text === undefined ? undefined : JSON.parse(text);
  } catch (error) {
    throw new InputError(`${mappingKeyFor(key)} is not valid JSON: ${(error as Error).message}`);
  }
  return { object, declared: json === undefined ? undefined : parseMapping(json, mappingKeyFor(key)) };
}

async function chunkSource(chunking: ChunkingDeps, object: DataObject, declared: Mapping | undefined, task: ChunkTask) {
  const range = planChunks(task.size, task.chunkBytes)[task.chunk];
  if (range === undefined) throw new InputError(`${task.key} has no chunk ${task.chunk}`);
  const header = object.format === 'csv' && range.start > 0 ? await readHeaderLine(chunking.objects, task.key, task.size) : undefined;
  const body = await openChunk(chunking.objects, task.key, range, header);
  return { rows: readRows(body.body, object.format, false, declared?.encoding), lines: body.lines };
}

async function readFilter(chunking: ChunkingDeps, key: string): Promise<RepeatFilter> {
  const bytes = await chunking.objects.readBytes(key);
  if (bytes === undefined) throw new Error(`chunk state ${key} is missing; the file's chunks must be validated again`);
  return RepeatFilter.fromBytes(bytes);
}

/** Bits per filter set: about 8 per byte of the chunk's rows at 16 bytes or more each, at most 2^25. */
function filterBits(chunkBytes: number): number {
  return 2 ** Math.min(25, Math.max(13, Math.ceil(Math.log2(chunkBytes / 2))));
}

/** The chunks' rejected rows, in file order, with absolute line numbers, as the file's one quarantine object. */
async function mergeRejected(chunking: ChunkingDeps, task: Omit<ChunkTask, 'phase'>, states: readonly z.infer<typeof validated>[], hasHeader: boolean): Promise<void> {
  const keys = workKeys(task.key, task.etag);
  const before = linesBeforeEach(states.map((s) => s.lines));
  const writer = chunking.objects.createWriter(quarantineKeys(task.key).rejected, 'text/csv');
  let wroteHeader = false;
  for (const s of states) {
    if (s.rejected === 0) continue;
    const records = (await chunking.objects.openStream(keys.rejected(s.chunk))).pipe(parse({ relax_column_count: true }));
    let first = true;
    for await (const record of records as AsyncIterable<string[]>) {
      if (first) {
        first = false;
        if (wroteHeader) continue;
        wroteHeader = true;
        await writer.write(`${record.map(csvCell).join(',')}\n`);
        continue;
      }
      const [line = '0', ...rest] = record;
      const absolute = absoluteLine(Number(line), s.chunk, before[s.chunk] ?? 0, hasHeader);
      await writer.write(`${[String(absolute), ...rest].map(csvCell).join(',')}\n`);
    }
  }
  await writer.close();
}

function reportBase(key: string, object: DataObject, states: readonly z.infer<typeof validated>[], maxRejectedShare: number) {
  const rejectedByReason: Record<string, number> = {};
  for (const s of states) for (const [reason, n] of Object.entries(s.rejectedByReason)) rejectedByReason[reason] = (rejectedByReason[reason] ?? 0) + n;
  const rejected = sum(states.map((s) => s.rejected));
  const mapping = states[0]?.mapping;
  if (mapping === undefined) throw new Error(`${key}: no validated chunk`);
  return {
    file: key,
    kind: object.kind,
    mapping,
    accepted: sum(states.map((s) => s.accepted)),
    rejected,
    rejectedByReason,
    maxRejectedShare,
    quarantine: rejected > 0 ? quarantineKeys(key).rejected : undefined,
  };
}

/** A stable spread of customer ids over the refresh tasks. */
function partitionOf(id: string, partitions: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193);
  return (h >>> 0) % partitions;
}

function sum(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0);
}
