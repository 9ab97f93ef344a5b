import type { SQSEvent } from 'aws-lambda';
import * as z from 'zod';
import { loadConfig, evaluationTime } from '../commons/config.ts';
import { createLogger, withObservability } from '../commons/observability.ts';
import { dynamoDocumentClient } from '../adapters/aws-clients.ts';
import { dynamoCustomerStore } from '../adapters/customer-store.ts';
import { dynamoFeedbackStore } from '../adapters/feedback-store.ts';
import { DEFAULT_GUARD_SETTINGS } from '../core/feedback/sending-guard.ts';
import { processFeedbackBatch, type BatchOutcome } from './process-feedback.ts';

const config = loadConfig(process.env);
const logger = createLogger('feedback');
const sqsSchema = z.object({ Records: z.array(z.object({ messageId: z.string(), body: z.string() }).loose()).min(1) });

/**
 * Invoked with a batch from the queue that the configuration set's EventBridge rule fills: each
 * message body is one EventBridge event holding an SES event record. The answer's batchItemFailures
 * name the messages SQS must deliver again (the event source reports item failures).
 */
export const handler = withObservability(logger, async (event: SQSEvent): Promise<BatchOutcome> => {
  const { Records } = sqsSchema.parse(event);
  const client = dynamoDocumentClient();
  return processFeedbackBatch(
    {
      customers: dynamoCustomerStore(client, config.tableName),
      feedback: dynamoFeedbackStore(client, config.tableName),
      logger,
      guard: DEFAULT_GUARD_SETTINGS,
      now: evaluationTime(config),
    },
    Records,
  );
});
