import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { Campaign } from '../functions/core/campaign.ts';
import { CampaignDispatch } from './constructs/campaign-dispatch.ts';
import { CustomerTable } from './constructs/customer-table.ts';
import { DataBucket } from './constructs/data-bucket.ts';
import { IngestPipeline } from './constructs/ingest-pipeline.ts';
import { ResegmentWorkflow } from './constructs/resegment-workflow.ts';

export interface SegmentationStackProps extends StackProps {
  /** Verified SES address campaigns are sent from. */
  readonly senderAddress: string;
  readonly campaigns: readonly Campaign[];
  /** Daily re-segmentation time and its IANA time zone. Default 06:00 UTC. */
  readonly scheduleHour?: number;
  readonly scheduleMinute?: number;
  readonly scheduleTimeZone?: string;
  /** Re-segmentation: scan segments evaluated at once, and the most a run uses. */
  readonly resegmentMaxConcurrency?: number;
  readonly resegmentMaxSegments?: number;
}

/** strata on AWS: one construct per capability, wired together here and nowhere else. */
export class SegmentationStack extends Stack {
  constructor(scope: Construct, id: string, props: SegmentationStackProps) {
    super(scope, id, props);
    const { bucket } = new DataBucket(this, 'Data');
    const { table } = new CustomerTable(this, 'Customers');
    const environment = { TABLE_NAME: table.tableName, BUCKET_NAME: bucket.bucketName };

    const ingest = new IngestPipeline(this, 'IngestPipeline', { bucket, table, environment });
    const dispatch = new CampaignDispatch(this, 'CampaignDispatch', {
      table,
      environment,
      senderAddress: props.senderAddress,
      campaigns: props.campaigns,
    });
    const workflow = new ResegmentWorkflow(this, 'Resegment', {
      table,
      bucket,
      environment,
      dispatch: dispatch.handler.function,
      campaigns: props.campaigns,
      ...(props.scheduleHour === undefined ? {} : { scheduleHour: props.scheduleHour }),
      ...(props.scheduleMinute === undefined ? {} : { scheduleMinute: props.scheduleMinute }),
      ...(props.scheduleTimeZone === undefined ? {} : { timeZone: props.scheduleTimeZone }),
      ...(props.resegmentMaxConcurrency === undefined ? {} : { maxConcurrency: props.resegmentMaxConcurrency }),
      ...(props.resegmentMaxSegments === undefined ? {} : { maxSegments: props.resegmentMaxSegments }),
    });

    new CfnOutput(this, 'BucketName', { value: bucket.bucketName, description: 'Drop files under incoming/{customers,orders,events}/' });
    new CfnOutput(this, 'TableName', { value: table.tableName });
    new CfnOutput(this, 'IngestDeadLetterQueue', { value: ingest.deadLetterQueue.queueUrl });
    new CfnOutput(this, 'ResegmentStateMachine', { value: workflow.stateMachine.stateMachineArn });
    new CfnOutput(this, 'ConfigurationSet', { value: dispatch.configurationSet.configurationSetName });
  }
}
