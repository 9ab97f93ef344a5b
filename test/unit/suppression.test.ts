import { Readable } from 'node:stream';
import { Logger } from '@aws-lambda-powertools/logger';
import { describe, expect, it } from 'vitest';
import { blockingSuppression, type SuppressionEntry } from '../../functions/core/suppression.ts';
import { rowMentions } from '../../functions/core/mentions.ts';
import { emailHash } from '../../functions/core/privacy.ts';
import { memoryCustomerStore, memoryWriter } from '../../functions/adapters/memory-stores.ts';
import type { ObjectStore } from '../../functions/adapters/ports/objects.ts';
import { ingestObject } from '../../functions/ingest-pipeline/ingest-object.ts';
import { forgetIn } from '../../bin/commands/privacy.ts';
import { BUILTIN_SEGMENTS } from '../../functions/core/segments/builtin.ts';

const entry = (scope: SuppressionEntry['scope'], reason: string, current?: boolean): SuppressionEntry => ({ scope, hash: 'h', reason, at: '2024-01-01T00:00:00.000Z', ...(current === undefined ? {} : { current }) });

describe('blockingSuppression: which entry keeps a customer from being mailed', () => {
  it.each([
    { name: 'nothing on file', entries: [], blocks: false },
    { name: 'id unsubscribed', entries: [entry('id', 'unsubscribed')], blocks: true },
    { name: 'id erased', entries: [entry('id', 'erased')], blocks: true },
    { name: 'current address bounced', entries: [entry('address', 'bounced', true)], blocks: true },
    { name: 'former address bounced (it is dead, the new one is not)', entries: [entry('address', 'bounced', false)], blocks: false },
    { name: 'former address unsubscribed', entries: [entry('address', 'unsubscribed', false)], blocks: true },
    { name: 'former address complained', entries: [entry('address', 'complained', false)], blocks: true },
    { name: 'former address erased', entries: [entry('address', 'erased', false)], blocks: true },
  ])('$name → blocks: $blocks', ({ entries, blocks }) => {
    expect(blockingSuppression(entries) !== undefined).toBe(blocks);
  });

  it('names the id entry first', () => {
    expect(blockingSuppression([entry('address', 'unsubscribed', true), entry('id', 'erased')])?.scope).toBe('id');
  });
});

describe('rowMentions: is an upload row about the erased customer', () => {
  const target = { ids: new Set(['42']), addressHashes: new Set([emailHash('old@example.com')]) };
  it.each([
    { name: 'their id in the id column', cells: ['42', '1998-01-01', '1'], id: '42', mentions: true },
    { name: 'their id elsewhere only', cells: ['7', '1998-01-01', '42'], id: '7', mentions: false },
    { name: 'a former address, other case and spacing', cells: ['7', '  OLD@Example.com '], id: '7', mentions: true },
    { name: 'a former address inside text', cells: ['note: Rita <old@example.com>, forwarded'], id: undefined, mentions: true },
    { name: 'a former address as a mailto link', cells: ['mailto:old@example.com'], id: undefined, mentions: true },
    { name: 'a former address in another cell than the id', cells: ['x', 'old\u0040example.com'], id: '9', mentions: true },
    { name: 'someone else', cells: ['7', 'new@example.com'], id: '7', mentions: false },
  ])('$name → $mentions', ({ cells, id, mentions }) => {
    expect(rowMentions(cells, id, target)).toBe(mentions);
  });
});

describe('forget on the in-memory store behaves as on DynamoDB', () => {
  const logger = new Logger({ serviceName: 'test', logLevel: 'SILENT' });
  const NOW = new Date('2024-06-01T00:00:00Z');
  const objects = (files: Record<string, string>): ObjectStore => ({
    openStream: async (key) => Readable.from([Buffer.from(files[key] ?? '')]),
    readText: async () => undefined,
    put: async () => undefined,
    createWriter: () => memoryWriter(() => undefined),
    list: async () => [],
  });
  const files = {
    'incoming/customers/1.csv': 'customer_id,email\n1,old@example.com\n',
    'incoming/customers/2.csv': 'customer_id,email\n1,new@example.com\n2,NEW@example.com\n',
    'incoming/orders/3.csv': 'customer_id,date,amount\n2,2024-01-01,5.00\n1,2024-01-02,6.00\n',
  };

  it('by a former address: erases the owner and every id merged into it, suppresses every address, and ingest refuses the ids after', async () => {
    // Prepare
    const store = memoryCustomerStore();
    const deps = { objects: objects(files), store, logger, definitions: BUILTIN_SEGMENTS, now: NOW, maxRejectedShare: 0.5 };
    for (const key of Object.keys(files)) await ingestObject(deps, key, 'e');

    // Act
    const { result } = await forgetIn(store, 'old@example.com', NOW);

    // Assess
    expect(result).toMatchObject({ erased: '1', customers: ['1', '2'], addressesSuppressed: 2, idsSuppressed: 2 });
    expect(await store.suppressedHashes([emailHash('old@example.com'), emailHash('new@example.com')])).toEqual(new Set([emailHash('old@example.com'), emailHash('new@example.com')]));
    expect(await store.erasedIds(['1', '2', '3'])).toEqual(new Set(['1', '2']));
    const again = await ingestObject(deps, 'incoming/orders/3.csv', 'again');
    expect(again).toMatchObject({ status: 'applied', report: { accepted: 0, rejected: 2, rejectedByReason: { 'erased customer': 2 } } });
    expect(store.customerIds()).toEqual([]);
  });
});
