import type { AddressInfo, Server } from 'node:net';
import dynalite from 'dynalite';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { TABLE_KEYS } from '../../functions/adapters/table-schema.ts';

/** An in-process dynalite server and a document client for it, with a fresh copy of the single table on demand. */
export interface DynaliteTables {
  readonly client: DynamoDBDocumentClient;
  /** Another client of the same server, for middleware that must not reach the shared one. */
  newClient(): DynamoDBDocumentClient;
  /** Creates a new table shaped like the stack's (keys and segment index, keys projected); returns its name. */
  table(prefix: string): Promise<string>;
  stop(): Promise<void>;
}

export async function startDynaliteTables(): Promise<DynaliteTables> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0 }) as Server;
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', () => resolve()));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const newClient = () =>
    DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } }), {
      marshallOptions: { removeUndefinedValues: true },
    });
  const client = newClient();
  let tables = 0;
  const { partitionKey, sortKey, segmentIndex } = TABLE_KEYS;
  return {
    client,
    newClient,
    async table(prefix) {
      const name = `${prefix}-${++tables}`;
      await client.send(
        new CreateTableCommand({
          TableName: name,
          KeySchema: [{ AttributeName: partitionKey, KeyType: 'HASH' }, { AttributeName: sortKey, KeyType: 'RANGE' }],
          AttributeDefinitions: [partitionKey, sortKey, segmentIndex.partitionKey, segmentIndex.sortKey].map((AttributeName) => ({ AttributeName, AttributeType: 'S' as const })),
          GlobalSecondaryIndexes: [
            {
              IndexName: segmentIndex.name,
              KeySchema: [{ AttributeName: segmentIndex.partitionKey, KeyType: 'HASH' }, { AttributeName: segmentIndex.sortKey, KeyType: 'RANGE' }],
              Projection: { ProjectionType: 'KEYS_ONLY' },
            },
          ],
          BillingMode: 'PAY_PER_REQUEST',
        }),
      );
      return name;
    },
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
