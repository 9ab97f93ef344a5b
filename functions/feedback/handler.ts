import { loadConfig, evaluationTime } from '../commons/config.ts';
import { createLogger, withObservability } from '../commons/observability.ts';
import { dynamoDocumentClient } from '../adapters/aws-clients.ts';
import { dynamoCustomerStore } from '../adapters/customer-store.ts';
import { dynamoFeedbackStore } from '../adapters/feedback-store.ts';
import { parseSesEvent } from '../core/feedback/ses-event.ts';
import { DEFAULT_GUARD_SETTINGS } from '../core/feedback/sending-guard.ts';
import { processFeedback, type FeedbackOutcome } from './process-feedback.ts';

const config = loadConfig(process.env);
const logger = createLogger('feedback');

/** Invoked by the EventBridge rule that matches the configuration set's SES events (one per call). */
export const handler = withObservability(logger, async (event: unknown): Promise<FeedbackOutcome> => {
  const parsed = parseSesEvent(event, 'from EventBridge');
  // EventBridge keeps an event's id across redeliveries: it makes storing the event idempotent.
  const eventId = parsed.id ?? `${parsed.detail.mail.messageId}:${parsed['detail-type']}`;
  const client = dynamoDocumentClient();
  return processFeedback(
    {
      customers: dynamoCustomerStore(client, config.tableName),
      feedback: dynamoFeedbackStore(client, config.tableName),
      logger,
      guard: DEFAULT_GUARD_SETTINGS,
      now: evaluationTime(config),
    },
    parsed,
    eventId,
  );
});
