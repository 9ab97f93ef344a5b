import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, ServerlessChecks } from './nag.ts';
import { DEFAULT_CAMPAIGN_DIR, loadCampaigns } from './campaigns.ts';
import { SegmentationStack } from './segmentation-stack.ts';

const STACK_NAME = 'Strata';

/** Builds the CDK app with cdk-nag on every synth. Shared by bin/app.ts, the local stack and the tests. */
export function buildApp(app: App = new App()): { app: App; stack: SegmentationStack } {
  const context = (key: string): string | undefined => {
    const value: unknown = app.node.tryGetContext(key);
    return value === undefined ? undefined : String(value);
  };
  const hour = context('strata:scheduleHour');
  const minute = context('strata:scheduleMinute');
  const timeZone = context('strata:scheduleTimeZone');
  const maxConcurrency = context('strata:resegmentMaxConcurrency');
  const maxSegments = context('strata:resegmentMaxSegments');
  const campaignDir = context('strata:campaignDir') ?? DEFAULT_CAMPAIGN_DIR;
  const defaultTimeZone = context('strata:defaultTimeZone');
  const frequencyCap = context('strata:frequencyCap');
  const encryptionKey = context('strata:encryptionKey');
  const alarmEmail = context('strata:alarmEmail');
  const unsubscribeConcurrency = context('strata:unsubscribeConcurrency');
  const stack = new SegmentationStack(app, context('strata:stackName') ?? STACK_NAME, {
    description: 'strata: customer segmentation and lifecycle e-mail',
    senderAddress: context('strata:senderAddress') ?? 'marketing@example.com',
    campaigns: loadCampaigns(campaignDir),
    ...(defaultTimeZone === undefined ? {} : { defaultTimeZone }),
    ...(frequencyCap === undefined ? {} : { frequencyCap }),
    ...(encryptionKey === undefined ? {} : { encryptionKey }),
    ...(alarmEmail === undefined ? {} : { alarmEmail }),
    ...(unsubscribeConcurrency === undefined ? {} : { unsubscribeConcurrency: Number(unsubscribeConcurrency) }),
    ...(hour === undefined ? {} : { scheduleHour: Number(hour) }),
    ...(minute === undefined ? {} : { scheduleMinute: Number(minute) }),
    ...(timeZone === undefined ? {} : { scheduleTimeZone: timeZone }),
    ...(maxConcurrency === undefined ? {} : { resegmentMaxConcurrency: Number(maxConcurrency) }),
    ...(maxSegments === undefined ? {} : { resegmentMaxSegments: Number(maxSegments) }),
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }), new ServerlessChecks(app, { verbose: true }));
  return { app, stack };
}
