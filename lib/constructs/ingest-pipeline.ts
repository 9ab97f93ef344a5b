import { Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3n from 'aws-cdk-lib/aws-s3-notifications';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { acknowledge, logicalIdOf } from '../nag.ts';
import { Construct } from 'constructs';
import { PREFIXES } from '../../functions/core/object-key.ts';
import { StrataFunction } from './strata-function.ts';
import { grantReadLatestModel, grantReadSegmentDefinitions, segmentDefinitionsAcknowledgement } from './data-bucket.ts';

export interface IngestPipelineProps {
  readonly bucket: s3.IBucket;
  readonly table: dynamodb.ITable;
  readonly environment: Readonly<Record<string, string>>;
}

/**
 * S3 ObjectCreated under incoming/ → the ingest Lambda. Failed events are retried twice and then
 * kept in a dead-letter queue with an alarm, so no upload is lost silently.
 */
export class IngestPipeline extends Construct {
  readonly handler: StrataFunction;
  readonly deadLetterQueue: sqs.Queue;
  readonly deadLetterAlarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: IngestPipelineProps) {
    super(scope, id);
    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetters', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    acknowledge(this.deadLetterQueue, [
      { id: 'AwsSolutions-SQS3', reason: 'This queue is itself the dead-letter destination of the ingest Lambda.' },
      { id: 'Serverless-SQSRedrivePolicy', reason: 'This queue is the end of the line for failed ingest events: nothing consumes it, so there is nothing to redrive to; its alarm calls a person (README, Operations).' },
    ]);

    this.handler = new StrataFunction(this, 'Ingest', {
      entry: 'functions/ingest-pipeline/handler.ts',
      description: 'Parses, cleans and loads files dropped under incoming/',
      environment: props.environment,
      timeout: Duration.minutes(15),
      memorySize: 1024,
    });
    const fn = this.handler.function;
    fn.configureAsyncInvoke({
      retryAttempts: 2,
      maxEventAge: Duration.hours(6),
      onFailure: new SqsDestination(this.deadLetterQueue),
    });

    // Least privilege: read only incoming/, write only quarantine/, keep chunk state only under work/.
    this.handler.role.addToPolicy(
      new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [props.bucket.arnForObjects(`${PREFIXES.incoming}*`)] }),
    );
    this.handler.role.addToPolicy(
      new iam.PolicyStatement({ actions: ['s3:PutObject'], resources: [props.bucket.arnForObjects(`${PREFIXES.quarantine}*`)] }),
    );
    this.handler.role.addToPolicy(
      new iam.PolicyStatement({ actions: ['s3:GetObject', 's3:PutObject'], resources: [props.bucket.arnForObjects(`${PREFIXES.work}*`)] }),
    );
    // Large files fan out by invoking this same function asynchronously, once per chunk. A policy of
    // its own (not the role's default one, which the function depends on) avoids a dependency cycle.
    new iam.Policy(this, 'InvokeSelf', {
      roles: [this.handler.role],
      statements: [new iam.PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [fn.functionArn] })],
    });
    this.handler.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:BatchWriteItem', 'dynamodb:BatchGetItem', 'dynamodb:Query'],
        resources: [props.table.tableArn],
      }),
    );
    grantReadSegmentDefinitions(this.handler.role, props.bucket);
    grantReadLatestModel(this.handler.role, props.bucket);
    props.bucket.addEventNotification(s3.EventType.OBJECT_CREATED, new s3n.LambdaDestination(fn), { prefix: PREFIXES.incoming });

    this.deadLetterAlarm = new cloudwatch.Alarm(this, 'DeadLettersAlarm', {
      alarmDescription: 'An upload failed ingestion after retries and waits in the dead-letter queue.',
      metric: this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5) }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });

    const bucketId = logicalIdOf(props.bucket);
    acknowledge(this.handler.role, [
      ...[PREFIXES.incoming, PREFIXES.quarantine, PREFIXES.work].map((prefix) => ({
        id: `AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/${prefix}*]`,
        reason: 'Object keys under incoming/, quarantine/ and work/ derive from uploaders\' file names; the grant is limited to those prefixes.',
      })),
      segmentDefinitionsAcknowledgement(bucketId),
    ]);
    // CDK's singleton Lambda that configures the bucket notification at deploy time.
    const notificationsHandler = Stack.of(this).node.tryFindChild('BucketNotificationsHandler050a0587b7544547bf325f094a3db834');
    if (notificationsHandler !== undefined) {
      acknowledge(notificationsHandler, [
        {
          id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
          reason: "CDK's deploy-time bucket-notification handler is CDK's own singleton; it runs only during deployment and writes only its logs.",
        },
      ]);
    }
  }
}
