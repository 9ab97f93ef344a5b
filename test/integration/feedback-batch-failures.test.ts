import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { dynamoDocumentClient } from '../../functions/adapters/aws-clients.ts';
import { dynamoFeedbackStore } from '../../functions/adapters/feedback-store.ts';
import type { BatchOutcome } from '../../functions/feedback/process-feedback.ts';
import { startLocalStack, type LocalStack } from '../../functions/local/local-stack.ts';
import { PROJECT_ROOT } from '../../lib/project-root.ts';


const delivery = JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, 'test/fixtures/ses-events/delivery.json'), 'utf-8')) as {
  id: string;
  detail: { mail: { messageId: string } };
};

/** An SQS record as the feedback queue delivers it: the body is the EventBridge event of one SES event. */
function record(messageId: string, body: string) {
  return { messageId, receiptHandle: 'local', body, attributes: {}, messageAttributes: {}, md5OfBody: '', eventSource: 'aws:sqs', eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:feedback', awsRegion: 'us-east-1' };
}
const deliveryOf = (customerId: string) =>
  record(`sqs-${customerId}`, JSON.stringify({ ...delivery, id: `event-${customerId}`, detail: { ...delivery.detail, mail: { ...delivery.detail.mail, messageId: `ses-${customerId}` } } }));

describe('the feedback handler reports only the records that failed (SQS ReportBatchItemFailures)', () => {
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-feedback-batch-'));
  let stack: LocalStack;
  const client = () => dynamoDocumentClient();
  const stored = async (customerId: string) => (await dynamoFeedbackStore(client(), stack.tableName).listFeedback(customerId)).length;
  const invoke = (Records: unknown[]) => stack.invoke<BatchOutcome>('functions/feedback/handler.ts', { Records });

  beforeAll(async () => {
    // The feedback function's DynamoDB calls pass a proxy where a test refuses one of them.
    stack = await startLocalStack({ stateDir, dynamoDbFaults: true });
    // The send ledger's message items, as dispatch writes them, so each delivery finds its customer.
    for (const id of ['a', 'b', 'c', 'd', 'e', 'f']) {
      await client().send(new PutCommand({ TableName: stack.tableName, Item: { pk: `MSG#ses-${id}`, sk: 'MSG', customerId: id, campaign: 'win-back' } }));
    }
  }, 120_000);
  afterEach(() => {
    stack.interceptDynamoDb(undefined);
  });
  afterAll(async () => {
    await stack?.stop();
    fs.rmSync(stateDir, { recursive: true, force: true });
  });

  it('applies the good records of a batch once and reports only the poison ones', async () => {
    // Prepare: three deliveries around a body that is not JSON and an SES event type nobody knows.
    const teleport = JSON.stringify({ ...delivery, id: 'event-teleport', detail: { ...delivery.detail, eventType: 'Teleport' } });
    const batch = [deliveryOf('a'), record('sqs-garbage', '{not json'), deliveryOf('b'), record('sqs-teleport', teleport), deliveryOf('c')];

    // Act
    const first = await invoke(batch);
    const again = await invoke(batch);

    // Assess
    expect(first.batchItemFailures).toEqual([{ itemIdentifier: 'sqs-garbage' }, { itemIdentifier: 'sqs-teleport' }]);
    expect(first.byStatus).toEqual({ stored: 3 });
    expect(again.batchItemFailures).toEqual(first.batchItemFailures);
    expect(again.byStatus).toEqual({ duplicate: 3 });
    for (const id of ['a', 'b', 'c']) expect(await stored(id)).toBe(1);
  });

  it('reports a record whose write DynamoDB refused, and applies it when it comes back', async () => {
    // Prepare: the store of customer e's event fails as under a throttling burst once the SDK's own
    // retries ran out: an error it does not retry (its backoff over 8 attempts outlasts the function's 30 s timeout).
    stack.interceptDynamoDb(async (call, forward) => {
      if ((call.input.Item as { sk?: { S?: string } } | undefined)?.sk?.S === 'FB#event-e') throw new Error('Throughput exceeds the current capacity');
      return forward(call.input);
    });
    const batch = [deliveryOf('d'), deliveryOf('e'), deliveryOf('f')];

    // Act
    const first = await invoke(batch);
    stack.interceptDynamoDb(undefined);
    const retried = await invoke(first.batchItemFailures.map((f) => batch.find((r) => r.messageId === f.itemIdentifier)));

    // Assess
    expect(first.batchItemFailures).toEqual([{ itemIdentifier: 'sqs-e' }]);
    expect(first.byStatus).toEqual({ stored: 2 });
    expect(retried).toMatchObject({ batchItemFailures: [], byStatus: { stored: 1 } });
    for (const id of ['d', 'e', 'f']) expect(await stored(id)).toBe(1);
  });
});
