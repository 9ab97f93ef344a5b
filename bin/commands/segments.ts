import * as fs from 'node:fs';
import * as path from 'node:path';
import { dynamoDocumentClient, s3Client } from '../../functions/adapters/aws-clients.ts';
import { dynamoCustomerStore } from '../../functions/adapters/customer-store.ts';
import { s3ObjectStore } from '../../functions/adapters/object-store.ts';
import { loadSegmentDefinitions } from '../../functions/segmentation/segment-definitions.ts';
import { InputError } from '../../functions/core/errors.ts';
import { aggregateEvents, aggregateOrders } from '../../functions/core/profile.ts';
import { evaluateAll, orderDefinitions, SEGMENTS_PREFIX } from '../../functions/core/segments/catalog.ts';
import { parseSegmentDefinition, type SegmentDefinition } from '../../functions/core/segments/definition.ts';
import type { Reason } from '../../functions/core/segments/evaluate.ts';
import { buildFacts } from '../../functions/core/segments/facts.ts';
import { EMPTY_POPULATION } from '../../functions/core/segments/population.ts';
import { describeHealth, type SegmentHealth } from '../../functions/core/segments/health.ts';
import { collectSegmentHealth } from '../../functions/segmentation/segment-health.ts';
import { requireFile } from './input-file.ts';
import type { LocalStack } from '../../functions/local/local-stack.ts';

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
export async function listSegments(stack: LocalStack): Promise<SegmentList> {
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
export async function previewSegment(stack: LocalStack, definition: SegmentDefinition, now: Date, sampleSize = 10): Promise<Preview> {
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
export async function addSegment(stack: LocalStack, definition: SegmentDefinition): Promise<{ name: string; key: string }> {
  const objects = s3ObjectStore(s3Client(), stack.bucketName);
  const inForce = (await loadSegmentDefinitions(objects)).filter((d) => d.name !== definition.name);
  orderDefinitions([...inForce, definition]);
  const key = `${SEGMENTS_PREFIX}${definition.name}.json`;
  await objects.put(key, `${JSON.stringify(definition, null, 2)}\n`, 'application/json');
  return { name: definition.name, key };
}

/** A segment definition file, read and validated; the CLI calls it before starting the stack so a bad file fails fast. */
export function readDefinitionFile(file: string): SegmentDefinition {
  requireFile(file);
  let json: unknown;
  try {
    json = JSON.parse(fs.readFileSync(file, 'utf-8'));
  } catch (error) {
    throw new InputError(`${file} is not valid JSON: ${(error as Error).message}`);
  }
  return parseSegmentDefinition(json, path.basename(file));
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
