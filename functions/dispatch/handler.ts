import { z } from 'zod';
import { loadConfig, evaluationTime } from '../commons/config.ts';
import { createLogger, withObservability } from '../commons/observability.ts';
import { dynamoDocumentClient, sesClient } from '../adapters/aws-clients.ts';
import { dynamoCustomerStore } from '../adapters/customer-store.ts';
import { dynamoFeedbackStore } from '../adapters/feedback-store.ts';
import { sesMailer } from '../adapters/mailer.ts';
import { parseCampaign } from '../core/campaign.ts';
import { sendCampaign, type SendSummary } from './send-campaign.ts';

const config = loadConfig(process.env);
const logger = createLogger('dispatch');
const eventSchema = z.object({ campaigns: z.array(z.unknown()).min(1) });

/** Invoked by the re-segmentation workflow (or the local runner) with the campaigns to send. */
export const handler = withObservability(logger, async (event: unknown): Promise<SendSummary[]> => {
  const { campaigns } = eventSchema.parse(event);
  if (config.senderAddress === undefined) throw new Error('SENDER_ADDRESS is not configured; no campaign can be sent');
  const deps = {
    store: dynamoCustomerStore(dynamoDocumentClient(), config.tableName),
    mailer: sesMailer(sesClient()),
    guard: dynamoFeedbackStore(dynamoDocumentClient(), config.tableName),
    logger,
    from: config.senderAddress,
    configurationSet: config.configurationSet,
    now: evaluationTime(config),
  };
  const summaries: SendSummary[] = [];
  for (const [i, raw] of campaigns.entries()) summaries.push(await sendCampaign(deps, parseCampaign(raw, `campaigns[${i}]`)));
  return summaries;
});
