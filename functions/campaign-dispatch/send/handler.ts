import { loadConfig, evaluationTime } from '../../commons/config.ts';
import { loadDispatchConfig } from '../../commons/dispatch-config.ts';
import { loadCampaignCatalog, syncTemplate, templateContent } from '../../commons/campaign-catalog.ts';
import { createLogger, withObservability } from '../../commons/observability.ts';
import { dynamoDocumentClient, s3Client, sesClient } from '../../adapters/aws-clients.ts';
import { dynamoCampaignStore } from '../../adapters/campaign-store.ts';
import { dynamoCustomerStore } from '../../adapters/customer-store.ts';
import { sesEmailTemplates } from '../../adapters/email-templates.ts';
import { dynamoFeedbackStore } from '../../adapters/feedback-store.ts';
import { sesMailer } from '../../adapters/mailer.ts';
import { s3ObjectStore } from '../../adapters/object-store.ts';
import { loadSigningKey } from '../../adapters/signing-key.ts';
import { InputError } from '../../core/errors.ts';
import { createRateLimiter, realClock } from '../rate-limiter.ts';
import { exportAudience } from '../export-audience.ts';
import { dispatchEventSchema, runCampaigns, type CampaignRunSummary } from '../run-campaigns.ts';

const config = loadConfig(process.env);
const dispatch = loadDispatchConfig(process.env);
const logger = createLogger('dispatch');
let signingKey: Promise<string> | undefined;

/** Invoked by broadcast schedules, the hourly sweep and the re-segmentation workflow (see run-campaigns.ts). */
export const handler = withObservability(logger, async (raw: unknown): Promise<CampaignRunSummary[]> => {
  const parsed = dispatchEventSchema.safeParse(raw);
  if (!parsed.success) throw new InputError(`invalid dispatch event: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
  const event = parsed.data;
  if (config.senderAddress === undefined) throw new InputError('SENDER_ADDRESS is not configured; no campaign can be sent');
  if (dispatch.unsubscribeUrl === undefined) throw new InputError('UNSUBSCRIBE_URL is not configured; marketing e-mail needs an unsubscribe link');
  signingKey ??= loadSigningKey(dispatch);
  const client = dynamoDocumentClient();
  const customers = dynamoCustomerStore(client, config.tableName);
  const store = dynamoCampaignStore(client, config.tableName);
  const mailer = sesMailer(sesClient());
  const rate = (await mailer.maxSendRate()) ?? dispatch.fallbackSendRate;
  const objects = s3ObjectStore(s3Client(), config.bucketName);
  // Read at every run, not at import: a campaign added, edited, paused or resumed applies to the next run.
  const { entries, refused } = await loadCampaignCatalog(objects);
  const held = new Map([
    ...entries.filter((e) => e.paused).map((e) => [e.campaign.name, 'paused'] as const),
    ...refused.map((r) => [r.name, `definition refused: ${r.reason}`] as const),
  ]);
  const templates = sesEmailTemplates(sesClient());
  const members = (segment: string) => customers.listSegmentMembers(segment);
  const now = evaluationTime(config, event.asOf);
  return runCampaigns(
    {
      catalog: entries.filter((e) => !e.paused).map((e) => e.campaign),
      held,
      // The SES template follows the stored definition: created or updated when its content changed.
      prepare: async (campaign) => {
        const content = await templateContent(objects, campaign);
        if (typeof content === 'string') return content;
        const sync = await syncTemplate(templates, campaign, content);
        if (sync !== 'unchanged') logger.info('campaign template synchronized', { campaign: campaign.name, sync });
        return undefined;
      },
      store, members, mailer, logger,
      guard: dynamoFeedbackStore(client, config.tableName),
      limiter: createRateLimiter(rate),
      clock: realClock,
      from: config.senderAddress,
      configurationSet: config.configurationSet,
      policy: dispatch.policy,
      staleClaimMinutes: dispatch.staleClaimMinutes,
      unsubscribe: { baseUrl: dispatch.unsubscribeUrl, key: await signingKey },
      issuedAt: new Date(),
      exportAudience: async (campaign, at) => {
        let exported = 0;
        for (const segment of campaign.segments) exported += (await exportAudience({ members, store, objects }, segment, at)).members;
        return exported;
      },
    },
    event,
    now,
  );
});
