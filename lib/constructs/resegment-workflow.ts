import { Duration, RemovalPolicy, TimeZone } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as targets from 'aws-cdk-lib/aws-scheduler-targets';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { acknowledge, logicalIdOf } from '../nag.ts';
import { Construct } from 'constructs';
import type { Campaign } from '../../functions/core/campaign.ts';
import { StrataFunction } from './strata-function.ts';
import { grantReadLatestModel, grantReadSegmentDefinitions, segmentDefinitionsAcknowledgement } from './data-bucket.ts';

export interface ResegmentWorkflowProps {
  readonly table: dynamodb.ITable;
  /** The data bucket: segment definitions are read from config/segments/. */
  readonly bucket: s3.IBucket;
  readonly environment: Readonly<Record<string, string>>;
  readonly dispatch: IFunction;
  readonly campaigns: readonly Campaign[];
  /** When the daily run starts, as hour and minute in `timeZone`. Default 06:00. */
  readonly scheduleHour?: number;
  readonly scheduleMinute?: number;
  /** IANA time zone of the schedule. Default UTC. */
  readonly timeZone?: string;
}

/**
 * Time moves customers between segments even when no file arrives. A daily schedule starts a
 * Standard workflow: re-evaluate every profile, then send the campaigns of the segments entered.
 * Minimal for now: one evaluate task; the parallel scan Map replaces it as the table grows.
 */
export class ResegmentWorkflow extends Construct {
  readonly stateMachine: sfn.StateMachine;
  readonly evaluator: StrataFunction;
  readonly failureAlarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: ResegmentWorkflowProps) {
    super(scope, id);
    this.evaluator = new StrataFunction(this, 'Evaluate', {
      entry: 'functions/resegment/handler.ts',
      description: 'Re-evaluates every profile\'s segments and writes only the changes',
      environment: props.environment,
      timeout: Duration.minutes(15),
      memorySize: 1024,
    });
    // Scan profiles, Query a customer, BatchWrite changes, Get/Put population statistics and the
    // day's size snapshot; count members through the segment index.
    this.evaluator.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:Scan', 'dynamodb:Query', 'dynamodb:BatchWriteItem', 'dynamodb:GetItem', 'dynamodb:PutItem'],
        resources: [props.table.tableArn],
      }),
    );
    this.evaluator.role.addToPolicy(new iam.PolicyStatement({ actions: ['dynamodb:Query'], resources: [`${props.table.tableArn}/index/*`] }));
    grantReadSegmentDefinitions(this.evaluator.role, props.bucket);
    grantReadLatestModel(this.evaluator.role, props.bucket);
    acknowledge(this.evaluator.role, [
      segmentDefinitionsAcknowledgement(logicalIdOf(props.bucket)),
      { id: `AwsSolutions-IAM5[Resource::<${logicalIdOf(props.table)}.Arn>/index/*]`, reason: "Counting segment members queries the table's own indexes (the segment index) only." },
    ]);

    const retryable = { errors: ['Lambda.TooManyRequestsException', 'Lambda.ServiceException', 'Lambda.SdkClientException', 'RetryableError'], interval: Duration.seconds(5), backoffRate: 2, maxAttempts: 4, jitterStrategy: sfn.JitterType.FULL };
    const failed = new sfn.Fail(this, 'ResegmentFailed', { error: 'ResegmentFailed', cause: 'A step failed after its retries; see the execution history.' });
    const evaluate = new tasks.LambdaInvoke(this, 'EvaluateSegments', {
      lambdaFunction: this.evaluator.function,
      payloadResponseOnly: true,
      retryOnServiceExceptions: false,
      resultPath: '$.evaluation',
    })
      .addRetry(retryable)
      .addCatch(failed, { resultPath: '$.error' });
    const send = new tasks.LambdaInvoke(this, 'SendCampaigns', {
      lambdaFunction: props.dispatch,
      payload: sfn.TaskInput.fromObject({ campaigns: props.campaigns }),
      payloadResponseOnly: true,
      retryOnServiceExceptions: false,
      resultPath: '$.campaigns',
    })
      .addRetry(retryable)
      .addCatch(failed, { resultPath: '$.error' });

    const logGroup = new logs.LogGroup(this, 'Logs', { retention: logs.RetentionDays.THREE_MONTHS, removalPolicy: RemovalPolicy.DESTROY });
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      stateMachineType: sfn.StateMachineType.STANDARD,
      definitionBody: sfn.DefinitionBody.fromChainable(evaluate.next(send).next(new sfn.Succeed(this, 'Done'))),
      timeout: Duration.hours(6),
      tracingEnabled: true,
      // Execution data would carry customer ids and campaign content: log events, not payloads.
      logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: false },
    });

    new scheduler.Schedule(this, 'Daily', {
      description: 'Daily re-segmentation of every customer',
      schedule: scheduler.ScheduleExpression.cron({
        hour: String(props.scheduleHour ?? 6),
        minute: String(props.scheduleMinute ?? 0),
        timeZone: TimeZone.of(props.timeZone ?? 'UTC'),
      }),
      target: new targets.StepFunctionsStartExecution(this.stateMachine, {
        input: scheduler.ScheduleTargetInput.fromObject({ trigger: 'schedule', scheduledTime: scheduler.ContextAttribute.scheduledTime }),
        retryAttempts: 3,
      }),
    });

    this.failureAlarm = new cloudwatch.Alarm(this, 'FailedRunsAlarm', {
      alarmDescription: 'A re-segmentation run failed.',
      metric: this.stateMachine.metricFailed({ period: Duration.minutes(5) }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });

    acknowledge(this.stateMachine, [
      {
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason: 'X-Ray tracing and CloudWatch log delivery actions have no resource-level permissions (CDK grants them for tracing and logging).',
      },
      ...[this.evaluator.function, props.dispatch].map((fn) => ({
        id: `AwsSolutions-IAM5[Resource::<${logicalIdOf(fn)}.Arn>:*]`,
        reason: "lambda:InvokeFunction on the task function's own versions and aliases (ARN:*), as CDK grants for LambdaInvoke.",
      })),
    ]);
  }
}
