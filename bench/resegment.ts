/**
 * npm run bench:resegment [-- --profiles 100000 --scan-segments 4 --baseline 5000]
 *
 * The re-segmentation workflow (the synthesized Step Functions definition on the embedded stack)
 * over --profiles generated customers, against a baseline measured in the same run:
 *   load      customers, orders and PROFILE items written straight to the local table
 *   first     the first run: every customer evaluated, aggregates and memberships written
 *   second    a second run at the same as-of: everything evaluated, nothing changes
 *   baseline  the pre-workflow way (one process, sequential refreshCustomers reading each customer
 *             with its own Query) over the first --baseline customers, nothing changing either
 * The figure to watch is second-run customers/s against baseline customers/s. Results:
 * bench/results-resegment.json.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { BatchWriteCommand } from '@aws-sdk/lib-dynamodb';
import { dynamoDocumentClient } from '../functions/adapters/aws-clients.ts';
import { dynamoCustomerStore } from '../functions/adapters/customer-store.ts';
import { refreshCustomers } from '../functions/segmentation/refresh-customers.ts';
import { BUILTIN_SEGMENTS } from '../functions/core/segments/builtin.ts';
import { chunk } from '../functions/core/collections.ts';
import { aggregateOrders } from '../functions/core/profile.ts';
import { startLocalStack } from '../functions/local/local-stack.ts';
import { runResegment } from '../bin/commands/resegment.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const { values: args } = parseArgs({
  options: {
    profiles: { type: 'string', default: '100000' },
    'scan-segments': { type: 'string', default: '4' },
    baseline: { type: 'string', default: '5000' },
  },
});
const profiles = Number(args.profiles);
const scanSegments = Number(args['scan-segments']);
const baselineCustomers = Math.min(profiles, Number(args.baseline));
const AS_OF = '1998-07-01';

/** A small deterministic generator, so every run of the bench sees the same customers. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

async function load(tableName: string): Promise<number> {
  const client = dynamoDocumentClient();
  const next = random(42);
  const start = Date.parse('1997-01-01');
  const span = Date.parse(AS_OF) - start;
  let written = 0;
  for (const ids of chunk(Array.from({ length: profiles }, (_, i) => `bench-${i}`), 500)) {
    const items: Record<string, unknown>[] = [];
    for (const customerId of ids) {
      const pk = `C#${customerId}`;
      // No address: the bench measures evaluation, not the entry campaign's mail.
      items.push({ pk, sk: 'CONTACT', customerId, contact: { country: 'US', consent: false }, updatedAt: AS_OF });
      const orders = 1 + Math.floor(next() * 4);
      const lines = Array.from({ length: orders }, (_, o) => ({
        customerId,
        orderId: `${customerId}-${o}`,
        lineId: '1',
        orderedAt: new Date(start + Math.floor(next() * span)).toISOString(),
        amount: Math.round(next() * 20_000) / 100,
      }));
      // The aggregates ingest would have left: the statistics pass reads them, so without them the
      // first run would score everyone against empty statistics and the second would move them all.
      items.push({ pk, sk: 'PROFILE', customerId, orders: aggregateOrders(lines), updatedAt: AS_OF });
      for (const line of lines) items.push({ pk, sk: `O#${line.orderId}#1`, ...line, source: 'bench' });
    }
    for (const batch of chunk(items, 25)) {
      let pending: Record<string, unknown>[] | undefined = batch.map((Item) => ({ PutRequest: { Item } }));
      while (pending !== undefined && pending.length > 0) {
        const response = await client.send(new BatchWriteCommand({ RequestItems: { [tableName]: pending } }));
        pending = response.UnprocessedItems?.[tableName] as Record<string, unknown>[] | undefined;
      }
    }
    written += items.length;
  }
  return written;
}

const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-bench-resegment-'));
const stack = await startLocalStack({ stateDir, asOf: AS_OF });
try {
  let t = performance.now();
  const items = await load(stack.tableName);
  const loadSeconds = (performance.now() - t) / 1000;
  process.stderr.write(`loaded ${profiles} customers (${items} items) in ${loadSeconds.toFixed(1)} s\n`);

  const runOnce = async (label: string) => {
    // Evaluation only, like the baseline: no model refit, no campaigns (bench:models and bench:dispatch measure those).
    const outcome = await runResegment(stack, { asOf: AS_OF, scanSegments, refit: false, campaigns: false });
    if (outcome.status !== 'SUCCEEDED') throw new Error(`${label} run did not succeed: ${JSON.stringify(outcome)}`);
    const { totals } = outcome.report;
    const seconds = outcome.durationMs / 1000;
    process.stderr.write(`${label} run: ${totals.customers} customers, ${totals.changed} changed, ${totals.transitions} transitions in ${seconds.toFixed(1)} s\n`);
    return {
      seconds,
      customers: totals.customers,
      changed: totals.changed,
      transitions: totals.transitions,
      customersPerSecond: Math.round(totals.customers / seconds),
      historyEvents: outcome.historyEvents,
      scanSegments: outcome.report.scanSegments.length,
    };
  };
  const first = await runOnce('first');
  const second = await runOnce('second');

  t = performance.now();
  const store = dynamoCustomerStore(dynamoDocumentClient(), stack.tableName);
  const baselineSummary = await refreshCustomers(store, Array.from({ length: baselineCustomers }, (_, i) => `bench-${i}`), BUILTIN_SEGMENTS, new Date(AS_OF));
  const baselineSeconds = (performance.now() - t) / 1000;
  if (baselineSummary.writes !== 0) throw new Error(`the baseline found changes after two runs: ${baselineSummary.writes} writes`);
  const baseline = { customers: baselineCustomers, seconds: baselineSeconds, customersPerSecond: Math.round(baselineCustomers / baselineSeconds) };

  const results = {
    measuredAt: new Date().toISOString(),
    node: process.version,
    cpus: os.cpus().length,
    profiles,
    asOf: AS_OF,
    load: { items, seconds: loadSeconds },
    first,
    second,
    baseline,
    secondRunVsBaseline: Math.round((second.customersPerSecond / baseline.customersPerSecond) * 100) / 100,
  };
  fs.writeFileSync(path.join(here, 'results-resegment.json'), `${JSON.stringify(results, null, 2)}\n`);
  process.stdout.write(
    [
      `re-segmentation of ${profiles.toLocaleString('en-US')} profiles on the embedded stack (${scanSegments} scan segments, ${os.cpus().length} cpus)`,
      `  first run   ${first.seconds.toFixed(1)} s  ${first.customersPerSecond} customers/s  ${first.transitions} transitions`,
      `  second run  ${second.seconds.toFixed(1)} s  ${second.customersPerSecond} customers/s  ${second.transitions} transitions`,
      `  baseline    ${baseline.seconds.toFixed(1)} s  ${baseline.customersPerSecond} customers/s (sequential refresh, ${baselineCustomers} customers)`,
      `  second run = ${results.secondRunVsBaseline}× baseline throughput`,
      '',
    ].join('\n'),
  );
} finally {
  await stack.stop();
  fs.rmSync(stateDir, { recursive: true, force: true });
}
