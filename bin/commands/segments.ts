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
import { requireFile } from './input-file.ts';
import type { StackNames } from './target.ts';

export interface SegmentListing {
  readonly name: string;
  readonly title: string;
  readonly kind: string;
  readonly description: string;
  readonly size: number;
  readonly condition: SegmentDefinition['condition'];
}

/** `strata segments`: every definition in force with its current size (counted through the segment index). */
export async function listSegments(stack: StackNames): Promise<{ segments: SegmentListing[]; snapshots: { date: string; sizes: Record<string, number> }[] }> {
  const store = dynamoCustomerStore(dynamoDocumentClient(), stack.tableName);
  const definitions = await loadSegmentDefinitions(s3ObjectStore(s3Client(), stack.bucketName));
  const segments = await Promise.all(
    definitions.map(async (d) => ({ name: d.name, title: d.title, kind: d.kind, description: d.description, size: await store.countSegmentMembers(d.name), condition: d.condition })),
  );
  return { segments, snapshots: await store.listSegmentSnapshots() };
}

export interface Preview {
  readonly name: string;
  readonly size: number;
  readonly customers: number;
  readonly share: number;
  readonly sample: readonly { customerId: string; why: readonly Reason[] }[];
}

/**
 * `strata segments preview FILE`: how many customers a definition would hold now, and a sample with
 * the reasons, without saving anything. It may refer to the segments in force.
 */
export async function previewSegment(stack: StackNames, definition: SegmentDefinition, now: Date, sampleSize = 10): Promise<Preview> {
  const store = dynamoCustomerStore(dynamoDocumentClient(), stack.tableName);
  const inForce = (await loadSegmentDefinitions(s3ObjectStore(s3Client(), stack.bucketName))).filter((d) => d.name !== definition.name);
  const ordered = orderDefinitions([...inForce, definition]);
  const population = (await store.getPopulation()) ?? EMPTY_POPULATION;
  let customers = 0;
  let size = 0;
  const sample: { customerId: string; why: readonly Reason[] }[] = [];
  for await (const page of store.scanProfiles()) {
    for (const { customerId } of page) {
      customers++;
      const { profile, orders, events } = await store.loadCustomer(customerId);
      const facts = buildFacts({ customerId, contact: profile?.contact, orders: aggregateOrders(orders), events: aggregateEvents(events) }, now, population);
      const result = evaluateAll(ordered, facts, { now, population, ledgers: { events, orderLines: orders } }).get(definition.name);
      if (result?.matched) {
        size++;
        if (sample.length < sampleSize) sample.push({ customerId, why: result.why });
      }
    }
  }
  return { name: definition.name, size, customers, share: customers === 0 ? 0 : Math.round((size / customers) * 10_000) / 10_000, sample };
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
