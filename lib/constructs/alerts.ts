import { Duration, RemovalPolicy, type IAspect } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct, type IConstruct } from 'constructs';
import { acknowledge } from '../nag.ts';

export interface AlertsProps {
  /** The stack's customer-managed key; without one the topic gets a key of its own (see below). */
  readonly key?: kms.IKey;
  /** Who is told of alarms: an e-mail subscription (strata:alarmEmail). Default none. */
  readonly email?: string;
}

/**
 * Where alarms go and where the schedules' undelivered invocations wait: one SNS topic that every
 * alarm of the stack notifies (TLS only, encrypted) and a dead-letter queue shared by the
 * EventBridge Scheduler schedules, with an alarm as soon as a message waits in it.
 */
export class Alerts extends Construct {
  readonly topic: sns.Topic;
  readonly scheduleDeadLetterQueue: sqs.Queue;
  readonly scheduleDeadLetterAlarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: AlertsProps = {}) {
    super(scope, id);
    // CloudWatch cannot publish to a topic under SNS's AWS-managed key (its key policy cannot be
    // changed to let CloudWatch in), so without a stack key the topic gets a small key of its own.
    const key = props.key ?? new kms.Key(this, 'TopicKey', {
      description: 'strata: alarm notifications (SNS topic)',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.DESTROY,
      pendingWindow: Duration.days(7),
    });
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarmsPublishToTheAlarmTopic',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
      }),
    );
    this.topic = new sns.Topic(this, 'AlarmTopic', { displayName: 'strata alarms', masterKey: key, enforceSSL: true });
    if (props.email !== undefined) {
      this.topic.addSubscription(new subscriptions.EmailSubscription(props.email));
      acknowledge(this.topic, [
        {
          id: 'Serverless-SNSRedrivePolicy',
          reason: 'The only subscription is the operator\'s e-mail; SNS retries e-mail delivery itself, and an alarm that was not delivered stays visible in CloudWatch in the ALARM state.',
        },
      ]);
    }

    this.scheduleDeadLetterQueue = new sqs.Queue(this, 'ScheduleDeadLetters', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    acknowledge(this.scheduleDeadLetterQueue, [
      { id: 'AwsSolutions-SQS3', reason: 'This queue is itself the dead-letter queue of the EventBridge Scheduler schedules.' },
      {
        id: 'Serverless-SQSRedrivePolicy',
        reason: 'This queue is the end of the line for schedule invocations that failed their retries: nothing consumes it; its alarm calls a person (README, Operations).',
      },
    ]);
    this.scheduleDeadLetterAlarm = new cloudwatch.Alarm(this, 'ScheduleDeadLettersAlarm', {
      alarmDescription: 'A scheduled broadcast, deferred-send sweep or re-segmentation could not be started after its retries; it waits in the schedules\' dead-letter queue.',
      metric: this.scheduleDeadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: 'Maximum' }),
      threshold: 0,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
  }
}

/** Makes every CloudWatch alarm below a scope notify the topic: an aspect, so an alarm added later cannot be forgotten. */
export class AlarmsNotify implements IAspect {
  private readonly action: SnsAction;

  constructor(topic: sns.ITopic) {
    this.action = new SnsAction(topic);
  }

  visit(node: IConstruct): void {
    if (node instanceof cloudwatch.Alarm) node.addAlarmAction(this.action);
  }
}
