import * as path from 'node:path';
import { DeleteObjectCommand } from '@aws-sdk/client-s3';
import { dynamoDocumentClient, s3Client } from '../../functions/adapters/aws-clients.ts';
import { dynamoCustomerStore } from '../../functions/adapters/customer-store.ts';
import { s3ObjectStore } from '../../functions/adapters/object-store.ts';
import { loadSegmentDefinitions } from '../../functions/segmentation/segment-definitions.ts';
import { InputError } from '../../functions/core/errors.ts';
import { aggregateEvents, aggregateOrders } from '../../functions/core/profile.ts';
import { BUILTIN_CONFIG_KEY, evaluateAll, orderDefinitions, references, SEGMENTS_PREFIX } from '../../functions/core/segments/catalog.ts';
import { builtinSegments, DEFAULT_BUILTIN_CONFIG } from '../../functions/core/segments/builtin.ts';
import { parseSegmentDefinition, type SegmentDefinition } from '../../functions/core/segments/definition.ts';
import type { Reason } from '../../functions/core/segments/evaluate.ts';
import { buildFacts } from '../../functions/core/segments/facts.ts';
import { EMPTY_POPULATION } from '../../functions/core/segments/population.ts';
import { describeHealth, type SegmentHealth } from '../../functions/core/segments/health.ts';
import { collectSegmentHealth } from '../../functions/segmentation/segment-health.ts';
import { readJsonFile } from './input-file.ts';
import type { StackNames, StackTarget } from './target.ts';

export interface SegmentListing {
  readonly name: string;
  readonly title: string;
  readonly kind: string;
  readonly description: string;
  readonly size: number;
  readonly condition: SegmentDefinition['condition'];
  /** Share, overlap with the other segments, revenue per member against the average, trend, warnings. */
  readonly health: SegmentHealth;
}

export interface SegmentList {
  readonly customers: number;
  readonly averageRevenue: number;
  readonly segments: SegmentListing[];
  readonly snapshots: { date: string; sizes: Record<string, number> }[];
}

/** `strata segments`: every definition in force with its current size and health (members read through the segment index). */
export async function listSegments(stack: StackNames): Promise<SegmentList> {
  const store = dynamoCustomerStore(dynamoDocumentClient(), stack.tableName);
  const definitions = await loadSegmentDefinitions(s3ObjectStore(s3Client(), stack.bucketName));
  const health = await collectSegmentHealth(store, definitions.map((d) => d.name));
  const segments = definitions.map((d, i) => {
    const h = health.segments[i] as SegmentHealth;
    return { name: d.name, title: d.title, kind: d.kind, description: d.description, size: h.size, condition: d.condition, health: h };
  });
  return { customers: health.customers, averageRevenue: health.averageRevenue, segments, snapshots: await store.listSegmentSnapshots() };
}

/** The listing as `strata segments` prints it: a line per segment, its health below, warnings flagged. */
export function formatSegmentList(list: SegmentList): string {
  const lines = [`${list.customers.toLocaleString('en-US')} customers, average revenue ${list.averageRevenue.toFixed(2)}`];
  for (const s of list.segments) {
    lines.push(`${s.name.padEnd(26)} ${s.kind.padEnd(13)} ${s.size.toLocaleString('en-US').padStart(9)}  ${s.title}`);
    lines.push(`${''.padEnd(28)}${describeHealth(s.health)}`);
    for (const w of s.health.warnings) lines.push(`${''.padEnd(28)}! ${w}`);
  }
  const last = list.snapshots.at(-1);
  lines.push(last === undefined ? 'no size snapshot yet (run npm start or strata resegment)' : `${list.snapshots.length} daily size snapshot(s), the last of ${last.date}`);
  return `${lines.join('\n')}\n`;
}

export interface Preview {
  readonly name: string;
  readonly size: number;
  readonly customers: number;
  readonly share: number;
  /** The health figures `strata segments` shows, for the definition as if saved now (no runs yet). */
  readonly health: SegmentHealth;
  readonly sample: readonly { customerId: string; why: readonly Reason[] }[];
}

/**
 * `strata segments preview FILE`: how many customers a definition would hold now, its health against
 * the segments in force, and a sample with the reasons, without saving anything. It may refer to
 * the segments in force.
 */
export async function previewSegment(stack: StackNames, definition: SegmentDefinition, now: Date, sampleSize = 10): Promise<Preview> {
  const store = dynamoCustomerStore(dynamoDocumentClient(), stack.tableName);
  const inForce = (await loadSegmentDefinitions(s3ObjectStore(s3Client(), stack.bucketName))).filter((d) => d.name !== definition.name);
  const ordered = orderDefinitions([...inForce, definition]);
  const population = (await store.getPopulation()) ?? EMPTY_POPULATION;
  let customers = 0;
  const members: string[] = [];
  const sample: { customerId: string; why: readonly Reason[] }[] = [];
  for await (const page of store.scanProfiles()) {
    for (const { customerId } of page) {
      customers++;
      const { profile, orders, events } = await store.loadCustomer(customerId);
      const facts = buildFacts({ customerId, contact: profile?.contact, orders: aggregateOrders(orders), events: aggregateEvents(events) }, now, population);
      const result = evaluateAll(ordered, facts, { now, population, ledgers: { events, orderLines: orders } }).get(definition.name);
      if (result?.matched) {
        members.push(customerId);
        if (sample.length < sampleSize) sample.push({ customerId, why: result.why });
      }
    }
  }
  // The snapshots know nothing of a definition not yet saved: its trend is empty, even under an existing name.
  const names = [definition.name, ...inForce.map((d) => d.name)];
  const report = await collectSegmentHealth(
    { ...store, listSegmentSnapshots: async () => [] },
    names,
    { extra: new Map([[definition.name, members]]) },
  );
  const health = report.segments[0] as SegmentHealth;
  const size = members.length;
  return { name: definition.name, size, customers, share: customers === 0 ? 0 : Math.round((size / customers) * 10_000) / 10_000, health, sample };
}

/** The preview as `strata segments preview` prints it: size, the health figures and warnings, then the sample with reasons. */
export function formatPreview(preview: Preview): string {
  const lines = [
    `${preview.name}: ${preview.size.toLocaleString('en-US')} of ${preview.customers.toLocaleString('en-US')} customers (${(preview.share * 100).toFixed(1)}%)`,
    `  ${describeHealth(preview.health)}`,
    ...preview.health.warnings.map((w) => `  ! ${w}`),
    ...preview.sample.map((m) => `  ${m.customerId}: ${m.why.map(describeReason).join('; ')}`),
  ];
  return `${lines.join('\n')}\n`;
}

/** `strata segments add FILE`: validates a definition against the ones in force and stores it under config/segments/. */
export async function addSegment(stack: StackNames, definition: SegmentDefinition): Promise<{ name: string; key: string }> {
  const objects = s3ObjectStore(s3Client(), stack.bucketName);
  const inForce = (await loadSegmentDefinitions(objects)).filter((d) => d.name !== definition.name);
  orderDefinitions([...inForce, definition]);
  const key = `${SEGMENTS_PREFIX}${definition.name}.json`;
  await objects.put(key, `${JSON.stringify(definition, null, 2)}\n`, 'application/json');
  return { name: definition.name, key };
}

/**
 * `strata segments members NAME`: the ids of a segment's members, a page at a time, read through the
 * segment index (a Query of its partition, no table scan), so a segment of millions never sits in
 * memory. Stops after `limit` ids. A name not in force is refused (`segments list` shows them).
 */
export async function* segmentMembers(stack: Pick<StackTarget, 'tableName' | 'bucketName' | 'stackName'>, name: string, limit = Number.POSITIVE_INFINITY): AsyncGenerator<readonly string[]> {
  const inForce = await loadSegmentDefinitions(s3ObjectStore(s3Client(), stack.bucketName));
  if (!inForce.some((d) => d.name === name)) throw new InputError(`no segment ${name} in stack ${stack.stackName} (strata segments list shows those in force)`);
  let left = limit;
  for await (const page of dynamoCustomerStore(dynamoDocumentClient(), stack.tableName).listSegmentMembers(name)) {
    if (left <= 0) return;
    const ids = page.length > left ? page.slice(0, left) : page;
    left -= ids.length;
    if (ids.length > 0) yield ids;
  }
}

export interface Removal {
  readonly name: string;
  /** The definition file deleted; undefined when only memberships left by an earlier removal were retired. */
  readonly key: string | undefined;
  /** Members whose membership was retired (an exit transition each); 0 when a built-in of the name is back in force. */
  readonly retired: number;
  /** The user definition replaced a built-in of the same name, which is in force again. */
  readonly builtinRestored: boolean;
}

/**
 * `strata segments remove NAME`: deletes a user definition from config/segments/ and retires its
 * memberships (re-segmentation leaves memberships of segments no longer defined alone, so removing
 * one is this explicit operation). A built-in is refused: its thresholds are tuned in builtin.json.
 * A definition another one refers to is refused, naming it. Run again after an interruption, it
 * retires what the first run left.
 */
export async function removeSegment(stack: Pick<StackTarget, 'tableName' | 'bucketName' | 'stackName'>, name: string, now: Date): Promise<Removal> {
  const objects = s3ObjectStore(s3Client(), stack.bucketName);
  const all = await objects.list(SEGMENTS_PREFIX);
  const keys = all.filter((k) => k.endsWith('.json') && k !== BUILTIN_CONFIG_KEY);
  const own = await Promise.all(keys.map(async (key) => ({ source: key, json: parseJson(key, await objects.readText(key)) })));
  const mine = own.filter(({ source, json }) => parseSegmentDefinition(json, source).name === name);
  const builtin = builtinSegments(DEFAULT_BUILTIN_CONFIG).some((d) => d.name === name);
  const store = dynamoCustomerStore(dynamoDocumentClient(), stack.tableName);
  if (mine.length === 0) {
    if (builtin) throw new InputError(`${name} is a built-in segment and cannot be removed: tune its thresholds in ${BUILTIN_CONFIG_KEY}, or replace it with a definition of the same name`);
    const leftover = await store.countSegmentMembers(name);
    if (leftover === 0) throw new InputError(`no segment ${name} in stack ${stack.stackName} (strata segments list shows those in force)`);
    return { name, key: undefined, retired: await retireMemberships(stack.tableName, name, now), builtinRestored: false };
  }
  // No definition left may refer to the one removed, unless a built-in of its name comes back
  // (built-ins refer only to built-ins).
  if (!builtin) {
    const dependents = own.filter((o) => !mine.includes(o)).map(({ source, json }) => parseSegmentDefinition(json, source)).filter((d) => references(d.condition).includes(name)).map((d) => d.name);
    if (dependents.length > 0) throw new InputError(`cannot remove segment ${name}: ${dependents.join(', ')} ${dependents.length === 1 ? 'refers' : 'refer'} to it; remove or change ${dependents.length === 1 ? 'that definition' : 'those definitions'} first`);
  }
  for (const { source } of mine) await s3Client().send(new DeleteObjectCommand({ Bucket: stack.bucketName, Key: source }));
  const key = mine.map((m) => m.source).join(', ');
  if (builtin) return { name, key, retired: 0, builtinRestored: true };
  return { name, key, retired: await retireMemberships(stack.tableName, name, now), builtinRestored: false };
}

/** Ends every membership of a segment, page by page through the segment index: an exit transition each, then the SEG# item deleted. */
async function retireMemberships(tableName: string, name: string, now: Date): Promise<number> {
  const store = dynamoCustomerStore(dynamoDocumentClient(), tableName);
  const at = now.toISOString();
  let retired = 0;
  for await (const page of store.listSegmentMembers(name)) {
    await store.applyRefresh(
      page.map((customerId) => ({
        customerId,
        changes: { enter: [], exit: [{ segment: name, since: at, why: [] }], transitions: [{ customerId, segment: name, change: 'exit', at, why: [] }] },
      })),
      now,
    );
    retired += page.length;
  }
  return retired;
}

function parseJson(key: string, text: string | undefined): unknown {
  try {
    return text === undefined ? undefined : (JSON.parse(text) as unknown);
  } catch (error) {
    throw new InputError(`${key} is not valid JSON: ${(error as Error).message}`);
  }
}

/** A segment definition file, read and validated; the CLI calls it before starting the stack so a bad file fails fast. */
export function readDefinitionFile(file: string): SegmentDefinition {
  return parseSegmentDefinition(readJsonFile(file), path.basename(file));
}

/** A reason as a reader would say it: "orders.revenue ≥ 431.2 (p90) — is 512.4". */
export function describeReason(r: Reason): string {
  if (r.field.startsWith('segment:')) return `${r.actual === true ? 'in' : 'not in'} ${r.field.slice('segment:'.length)}`;
  const ops: Record<string, string> = { eq: '=', neq: '≠', gt: '>', gte: '≥', lt: '<', lte: '≤', in: 'in', contains: 'contains', exists: 'is known', missing: 'is unknown' };
  const expected = r.expected !== null && typeof r.expected === 'object' && !Array.isArray(r.expected) && 'value' in r.expected
    ? `${JSON.stringify((r.expected as { value: unknown }).value)} (${Object.entries(r.expected).filter(([k]) => k !== 'value').map(([k, v]) => `${k} ${JSON.stringify(v)}`).join(', ')})`
    : r.expected === undefined ? '' : JSON.stringify(r.expected);
  const text = `${r.field} ${ops[r.op] ?? r.op}${expected === '' ? '' : ` ${expected}`} — is ${JSON.stringify(r.actual)}`;
  return r.negated ? `not (${text})` : text;
}
