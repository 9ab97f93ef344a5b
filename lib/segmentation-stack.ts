import { Aspects, CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';
import type { CompiledCampaign } from './campaigns.ts';
import { STRATA_OUTPUT_FORMAT, STRATA_VERSION_OUTPUT } from './stack-outputs.ts';
import { CampaignDispatch } from './constructs/campaign-dispatch.ts';
import { CustomerTable } from './constructs/customer-table.ts';
import { DataBucket } from './constructs/data-bucket.ts';
import { AlarmsNotify, Alerts } from './constructs/alerts.ts';
import { createDataKey, CustomerManagedEncryption } from './constructs/encryption.ts';
import { Feedback } from './constructs/feedback.ts';
import { IngestPipeline } from './constructs/ingest-pipeline.ts';
import { ModelRefit } from './constructs/model-refit.ts';
import { ResegmentWorkflow } from './constructs/resegment-workflow.ts';

export interface SegmentationStackProps extends StackProps {
  /** Verified SES address campaigns are sent from. */
  readonly senderAddress: string;
  /** The bundled campaigns, seeded into config/campaigns/ at deploy. */
  readonly campaigns: readonly CompiledCampaign[];
  /** Zone for customers without contact.timezone (send windows). Default UTC. */
  readonly defaultTimeZone?: string;
  /** "count/days" of marketing e-mails per customer. Default 3/7. */
  readonly frequencyCap?: string;
  /** Daily re-segmentation time and its IANA time zone. Default 06:00 UTC. */
  readonly scheduleHour?: number;
  readonly scheduleMinute?: number;
  readonly scheduleTimeZone?: string;
  /** Re-segmentation: scan segments evaluated at once, and the most a run uses. */
  readonly resegmentMaxConcurrency?: number;
  readonly resegmentMaxSegments?: number;
  /**
   * Encryption at rest: 'aws-managed' (default: SSE-S3, DynamoDB's and SQS's own keys), 'create'
   * (a customer-managed KMS key made by the stack) or the ARN of an existing key whose policy allows
   * the same uses as createDataKey's.
   */
  readonly encryptionKey?: string;
  /** Address subscribed to the alarm topic (strata:alarmEmail). Default none: subscribe to the AlarmTopicArn output yourself. */
  readonly alarmEmail?: string;
  /** Reserved concurrency of the public unsubscribe endpoint (strata:unsubscribeConcurrency). Default 5. */
  readonly unsubscribeConcurrency?: number;
}

/** strata on AWS: one construct per capability, wired together here and nowhere else. */
export class SegmentationStack extends Stack {
  constructor(scope: Construct, id: string, props: SegmentationStackProps) {
    super(scope, id, props);
    const data = new DataBucket(this, 'Data');
    const { bucket } = data;
    const { table } = new CustomerTable(this, 'Customers');
    const environment = { TABLE_NAME: table.tableName, BUCKET_NAME: bucket.bucketName };
    const key = props.encryptionKey === undefined || props.encryptionKey === 'aws-managed'
      ? undefined
      : props.encryptionKey === 'create'
        ? createDataKey(this)
        : kms.Key.fromKeyArn(this, 'DataKey', props.encryptionKey);
    const alerts = new Alerts(this, 'Alerts', {
      ...(key === undefined ? {} : { key }),
      ...(props.alarmEmail === undefined ? {} : { email: props.alarmEmail }),
    });
    const { scheduleDeadLetterQueue } = alerts;

    const ingest = new IngestPipeline(this, 'IngestPipeline', { bucket, table, environment });
    const modelRefit = new ModelRefit(this, 'ModelRefit', { table, bucket, environment });
    const dispatch = new CampaignDispatch(this, 'CampaignDispatch', {
      table,
      bucket,
      environment,
      senderAddress: props.senderAddress,
      campaigns: props.campaigns,
      scheduleDeadLetterQueue,
      ...(props.unsubscribeConcurrency === undefined ? {} : { unsubscribeConcurrency: props.unsubscribeConcurrency }),
      ...(props.defaultTimeZone === undefined ? {} : { defaultTimeZone: props.defaultTimeZone }),
      ...(props.frequencyCap === undefined ? {} : { frequencyCap: props.frequencyCap }),
    });
    new Feedback(this, 'Feedback', { table, environment, configurationSet: dispatch.configurationSet });
    const workflow = new ResegmentWorkflow(this, 'Resegment', {
      table,
      bucket,
      environment,
      dispatch: dispatch.handler.function,
      modelRefit: modelRefit.function,
      scheduleDeadLetterQueue,
      ...(props.scheduleHour === undefined ? {} : { scheduleHour: props.scheduleHour }),
      ...(props.scheduleMinute === undefined ? {} : { scheduleMinute: props.scheduleMinute }),
      ...(props.scheduleTimeZone === undefined ? {} : { timeZone: props.scheduleTimeZone }),
      ...(props.resegmentMaxConcurrency === undefined ? {} : { maxConcurrency: props.resegmentMaxConcurrency }),
      ...(props.resegmentMaxSegments === undefined ? {} : { maxSegments: props.resegmentMaxSegments }),
    });

    Aspects.of(this).add(new AlarmsNotify(alerts.topic));
    if (key !== undefined) {
      Aspects.of(this).add(new CustomerManagedEncryption(key, { keepS3Managed: [data.accessLogs] }));
      new CfnOutput(this, 'DataKeyArn', { value: key.keyArn, description: 'KMS key of the bucket, table, queues, logs and secret' });
    }

    new CfnOutput(this, 'BucketName', { value: bucket.bucketName, description: 'Drop files under incoming/{customers,orders,events}/' });
    new CfnOutput(this, 'TableName', { value: table.tableName });
    new CfnOutput(this, 'IngestDeadLetterQueue', { value: ingest.deadLetterQueue.queueUrl });
    new CfnOutput(this, 'ResegmentStateMachine', { value: workflow.stateMachine.stateMachineArn });
    new CfnOutput(this, 'ModelRefitFunction', { value: modelRefit.function.functionName, description: 'Refits the CLV models; writes models/latest.json' });
    new CfnOutput(this, 'AlarmTopicArn', { value: alerts.topic.topicArn, description: 'SNS topic every strata alarm notifies: subscribe on-call here' });
    new CfnOutput(this, 'ScheduleDeadLetterQueue', { value: scheduleDeadLetterQueue.queueUrl, description: 'Schedule invocations that failed their retries' });
    new CfnOutput(this, 'ConfigurationSet', { value: dispatch.configurationSet.configurationSetName });
    new CfnOutput(this, 'DispatchFunction', { value: dispatch.handler.function.functionName, description: 'Sends the campaigns: strata campaigns send invokes it' });
    // The CLI reaches a stack through its outputs and recognizes a strata stack by this one.
    new CfnOutput(this, 'SenderAddress', { value: props.senderAddress, description: 'The From address of the campaigns (strata:senderAddress); strata campaigns test sends from it' });
    new CfnOutput(this, STRATA_VERSION_OUTPUT, { value: STRATA_OUTPUT_FORMAT, description: 'Version of the outputs strata commands read from this stack' });
  }
}
