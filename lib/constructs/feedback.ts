import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as ses from 'aws-cdk-lib/aws-ses';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { acknowledge } from '../nag.ts';
import { StrataFunction } from './strata-function.ts';
import { FEEDBACK_BATCH_SIZE, SENDING_PAUSED_MESSAGE } from '../../functions/core/feedback/sending-guard.ts';

export interface FeedbackProps {
  readonly table: dynamodb.ITable;
  readonly environment: Readonly<Record<string, string>>;
  /** The configuration set campaigns are sent through; its events are the feedback. */
  readonly configurationSet: ses.ConfigurationSet;
  /** SES reputation levels at which the alarms fire. Default 5% bounces, 0.1% complaints. */
  readonly maxBounceRate?: number;
  readonly maxComplaintRate?: number;
}

/** The SES event types EventBridge names them by, for the configuration set's events. */
const SES_DETAIL_TYPES = [
  'Email Sent',
  'Email Delivered',
  'Email Bounced',
  'Email Complaint Received',
  'Email Opened',
  'Email Clicked',
  'Email Rendering Failed',
  'Email Rejected',
  'Email Delivery Delayed',
] as const;


/**
 * SES feedback: the configuration set publishes its events to the default EventBridge bus, a rule
 * puts them on a queue (a burst after a big campaign waits there), and the feedback Lambda takes
 * them in batches: it suppresses, records engagement and guards sending. Messages failing five
 * times go to a dead-letter queue. Alarms: SES reputation (bounce, complaint rate), the guard's
 * pause and the dead letters.
 */
export class Feedback extends Construct {
  readonly handler: StrataFunction;
  readonly queue: sqs.Queue;
  readonly deadLetterQueue: sqs.Queue;
  readonly alarms: readonly cloudwatch.Alarm[];

  constructor(scope: Construct, id: string, props: FeedbackProps) {
    super(scope, id);
    const bus = events.EventBus.fromEventBusName(this, 'DefaultBus', 'default');
    props.configurationSet.addEventDestination('ToEventBridge', {
      destination: ses.EventDestination.eventBus(bus),
      events: [
        ses.EmailSendingEvent.SEND,
        ses.EmailSendingEvent.DELIVERY,
        ses.EmailSendingEvent.BOUNCE,
        ses.EmailSendingEvent.COMPLAINT,
        ses.EmailSendingEvent.OPEN,
        ses.EmailSendingEvent.CLICK,
        ses.EmailSendingEvent.RENDERING_FAILURE,
        ses.EmailSendingEvent.REJECT,
        ses.EmailSendingEvent.DELIVERY_DELAY,
      ],
    });

    this.handler = new StrataFunction(this, 'Feedback', {
      entry: 'functions/feedback/handler.ts',
      description: 'Turns SES events into suppressions, engagement and the sending guard',
      environment: props.environment,
      timeout: Duration.seconds(30),
      memorySize: 256,
    });
    this.handler.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:BatchGetItem', 'dynamodb:Query'],
        resources: [props.table.tableArn],
      }),
    );

    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetters', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    acknowledge(this.deadLetterQueue, [
      { id: 'AwsSolutions-SQS3', reason: 'This queue is itself the dead-letter queue of the SES feedback queue.' },
      { id: 'Serverless-SQSRedrivePolicy', reason: 'This queue is the dead-letter queue of the feedback queue: nothing consumes it, so there is nothing to redrive to; its alarm calls a person (README, Operations).' },
    ]);
    this.queue = new sqs.Queue(this, 'Events', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // Six times the function timeout, as AWS advises for an SQS event source.
      visibilityTimeout: Duration.minutes(3),
      retentionPeriod: Duration.days(4),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: 5 },
    });
    new events.Rule(this, 'SesEvents', {
      description: 'SES events of the strata configuration set → feedback queue',
      eventBus: bus,
      eventPattern: {
        source: ['aws.ses'],
        detailType: [...SES_DETAIL_TYPES],
        detail: { mail: { tags: { 'ses:configuration-set': [props.configurationSet.configurationSetName] } } },
      },
      targets: [new targets.SqsQueue(this.queue, { retryAttempts: 8, maxEventAge: Duration.hours(24), deadLetterQueue: this.deadLetterQueue })],
    });
    // The handler names the records that failed (batchItemFailures): only they come back, not their batch.
    this.handler.function.addEventSource(
      new SqsEventSource(this.queue, { batchSize: FEEDBACK_BATCH_SIZE, maxBatchingWindow: Duration.seconds(10), reportBatchItemFailures: true }),
    );
    acknowledge(this.handler.function, [
      {
        id: 'Serverless-LambdaEventSourceMappingDestination',
        reason: 'Lambda supports on-failure destinations only for stream and Kafka sources; for this SQS source a batch that keeps failing goes to the dead-letter queue by the queue\'s redrive policy (maxReceiveCount 5).',
      },
    ]);

    const pausedMetric = new logs.MetricFilter(this, 'SendingPausedFilter', {
      logGroup: this.handler.logGroup,
      filterPattern: logs.FilterPattern.stringValue('$.message', '=', SENDING_PAUSED_MESSAGE),
      metricNamespace: 'strata',
      metricName: 'SendingPaused',
      metricValue: '1',
    }).metric({ statistic: 'Sum', period: Duration.minutes(5) });

    const reputation = (metricName: string) =>
      new cloudwatch.Metric({ namespace: 'AWS/SES', metricName, statistic: 'Maximum', period: Duration.hours(1) });
    const alarm = (alarmId: string, alarmDescription: string, metric: cloudwatch.IMetric, threshold: number, comparisonOperator: cloudwatch.ComparisonOperator) =>
      new cloudwatch.Alarm(this, alarmId, { alarmDescription, metric, threshold, evaluationPeriods: 1, comparisonOperator, treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING });
    const above = cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD;
    this.alarms = [
      alarm('SendingPausedAlarm', 'The sending guard paused campaigns: bounce or complaint rate over its window passed the limit.', pausedMetric, 1, cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD),
      alarm('BounceRateAlarm', 'SES account bounce rate passed the level strata tolerates (SES reviews accounts at 10%).', reputation('Reputation.BounceRate'), props.maxBounceRate ?? 0.05, above),
      alarm('ComplaintRateAlarm', 'SES account complaint rate passed the level strata tolerates (SES reviews accounts at 0.5%).', reputation('Reputation.ComplaintRate'), props.maxComplaintRate ?? 0.001, above),
      alarm('DeadLettersAlarm', 'An SES event failed the feedback Lambda after retries and waits in the dead-letter queue.', this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5) }), 1, cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD),
    ];
  }
}
