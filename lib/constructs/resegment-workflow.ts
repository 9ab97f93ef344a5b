import { ArnFormat, Duration, RemovalPolicy, Stack, TimeZone } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as targets from 'aws-cdk-lib/aws-scheduler-targets';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { acknowledge, logicalIdOf } from '../nag.ts';
import { Construct } from 'constructs';
import { RESEGMENT_PREFIXES } from '../../functions/core/resegment/run.ts';
import { WORKFLOW_METADATA_KEY } from '../metadata-keys.ts';
import { StrataFunction } from './strata-function.ts';
import { grantReadLatestModel, grantReadSegmentDefinitions, segmentDefinitionsAcknowledgement } from './data-bucket.ts';

export interface ResegmentWorkflowProps {
  readonly table: dynamodb.ITable;
  readonly bucket: s3.IBucket;
  readonly environment: Readonly<Record<string, string>>;
  readonly dispatch: IFunction;
  /** When the daily run starts, as hour and minute in `timeZone`. Default 06:00. */
  readonly scheduleHour?: number;
  readonly scheduleMinute?: number;
  /** IANA time zone of the schedule. Default UTC. */
  readonly timeZone?: string;
  /** Scan segments evaluated at once (the Map's MaxConcurrency). Default 16. */
  readonly maxConcurrency?: number;
  /** Most parallel scan segments a run splits the table into. Default 64. */
  readonly maxSegments?: number;
  /** Table items per scan segment when planning. Default 200,000. */
  readonly itemsPerSegment?: number;
  /** The predictive models' refit function; when given, runs first unless the input says refit: false. */
  readonly modelRefit?: IFunction;
  /** Where the daily schedule's start goes when its retries are spent (lib/constructs/alerts.ts). */
  readonly scheduleDeadLetterQueue: sqs.IQueue;
}

/** Errors after which trying again can help: Lambda's own, a worker's crash or timeout, throttling. */
const RETRYABLE_ERRORS = [
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
  'Lambda.Unknown',
  'Sandbox.Timedout',
  'States.Timeout',
  'RetryableError',
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'InternalServerError',
  'SlowDown',
] as const;

/** The workflow's state machine carries this metadata, so the local runner finds it among others. */
const RESEGMENT_WORKFLOW_NAME = 'resegment';

/**
 * Time moves customers between segments even when no file arrives. A daily schedule starts a
 * Standard workflow: claim the run (one at a time, once per scheduled time) → optional model refit
 * → plan parallel scan segments → population statistics per segment (Map) → merge → evaluate per
 * segment (Map, each worker looping from its last key near its timeout) → aggregate → entry
 * campaigns → report → release. JSONPath and inline Map only, so the synthesized definition also
 * runs as-is on the local stack (aws-local-stepfunctions).
 */
export class ResegmentWorkflow extends Construct {
  readonly stateMachine: sfn.StateMachine;
  readonly evaluator: StrataFunction;
  readonly failureAlarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: ResegmentWorkflowProps) {
    super(scope, id);
    const tableArn = props.table.tableArn;
    const workObjects = props.bucket.arnForObjects(`${RESEGMENT_PREFIXES.work}*`);
    const reportObjects = props.bucket.arnForObjects(`${RESEGMENT_PREFIXES.reports}*`);
    const settings = {
      RESEGMENT_MAX_SEGMENTS: String(props.maxSegments ?? 64),
      RESEGMENT_ITEMS_PER_SEGMENT: String(props.itemsPerSegment ?? 200_000),
    };
    const workerTimeout = Duration.minutes(15);
    const stepTimeout = Duration.minutes(5);
    const fn = (name: string, entry: string, description: string, timeout: Duration, grants: iam.PolicyStatementProps[], memorySize = 512) => {
      const f = new StrataFunction(this, name, { entry, description, environment: { ...props.environment, ...settings }, timeout, memorySize });
      for (const g of grants) f.role.addToPolicy(new iam.PolicyStatement(g));
      return f;
    };
    const lock = fn('RunLock', 'functions/resegment-workflow/lock/handler.ts', 'Claims and releases the single re-segmentation run slot', stepTimeout, [
      { actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'], resources: [tableArn] },
    ]);
    const plan = fn('Plan', 'functions/resegment-workflow/plan/handler.ts', 'Sizes the parallel scan of a re-segmentation run', stepTimeout, [
      { actions: ['dynamodb:DescribeTable'], resources: [tableArn] },
    ]);
    const stats = fn('Stats', 'functions/resegment-workflow/stats/handler.ts', 'Partial population statistics of one scan segment', workerTimeout, [
      { actions: ['dynamodb:Scan'], resources: [tableArn] },
      { actions: ['s3:PutObject'], resources: [workObjects] },
    ], 1024);
    const merge = fn('Merge', 'functions/resegment-workflow/merge/handler.ts', 'Merges partial population statistics', stepTimeout, [
      { actions: ['s3:GetObject', 's3:PutObject'], resources: [workObjects] },
      { actions: ['dynamodb:PutItem'], resources: [tableArn] },
    ], 1024);
    this.evaluator = fn('Evaluate', 'functions/resegment-workflow/evaluate/handler.ts', "Re-evaluates one scan segment's customers and writes only the changes", workerTimeout, [
      // Invoked without a run (the demo), it also reads and stores the population and the day's sizes.
      { actions: ['dynamodb:Scan', 'dynamodb:Query', 'dynamodb:BatchWriteItem', 'dynamodb:GetItem', 'dynamodb:PutItem'], resources: [tableArn] },
      { actions: ['dynamodb:Query'], resources: [`${tableArn}/index/*`] },
      { actions: ['s3:GetObject', 's3:PutObject'], resources: [workObjects] },
    ], 1024);
    const aggregate = fn('Aggregate', 'functions/resegment-workflow/aggregate/handler.ts', 'Segment sizes, daily snapshots and the run summary', workerTimeout, [
      { actions: ['dynamodb:Query'], resources: [`${tableArn}/index/*`] },
      { actions: ['dynamodb:PutItem'], resources: [tableArn] },
      { actions: ['s3:GetObject', 's3:PutObject'], resources: [workObjects] },
    ]);
    for (const f of [stats, this.evaluator, aggregate]) grantReadSegmentDefinitions(f.role, props.bucket);
    // Model facts (model.*) come from the latest refit: statistics and evaluation score each customer with it.
    for (const f of [stats, this.evaluator]) grantReadLatestModel(f.role, props.bucket);
    const report = fn('Report', 'functions/resegment-workflow/report/handler.ts', "Writes a re-segmentation run's report", stepTimeout, [
      { actions: ['s3:GetObject'], resources: [workObjects] },
      { actions: ['s3:PutObject'], resources: [reportObjects] },
    ]);

    const retry: sfn.RetryProps = {
      errors: [...RETRYABLE_ERRORS],
      interval: Duration.seconds(2),
      backoffRate: 2,
      maxAttempts: 5,
      maxDelay: Duration.minutes(1),
      jitterStrategy: sfn.JitterType.FULL,
    };
    const invoke = (stateId: string, target: IFunction, timeout: Duration, options: { payload?: Record<string, unknown>; resultPath?: string }) =>
      new tasks.LambdaInvoke(this, stateId, {
        lambdaFunction: target,
        ...(options.payload === undefined ? {} : { payload: sfn.TaskInput.fromObject(options.payload) }),
        payloadResponseOnly: true,
        retryOnServiceExceptions: false,
        taskTimeout: sfn.Timeout.duration(timeout.plus(Duration.seconds(30))),
        ...(options.resultPath === undefined ? {} : { resultPath: options.resultPath }),
      }).addRetry(retry);

    const failed = new sfn.Fail(this, 'ResegmentFailed', { error: 'ResegmentFailed', cause: 'A step failed after its retries; see the execution history.' });
    const markFailed = invoke('MarkRunFailed', lock.function, stepTimeout, {
      payload: { action: 'release', status: 'failed', run: sfn.JsonPath.objectAt('$.run'), error: sfn.JsonPath.objectAt('$.error') },
      resultPath: sfn.JsonPath.DISCARD,
    })
      .addCatch(failed, { resultPath: '$.releaseError' })
      .next(failed);
    const onFailure = { resultPath: '$.error' };
    const run = sfn.JsonPath.objectAt('$.run');

    const acquire = invoke('AcquireRunLock', lock.function, stepTimeout, {
      payload: {
        action: 'acquire',
        input: sfn.JsonPath.entirePayload,
        execution: { name: sfn.JsonPath.executionName, id: sfn.JsonPath.executionId, startTime: sfn.JsonPath.executionStartTime },
      },
      // No ResultPath: the result replaces the input (aws-local-stepfunctions mishandles an explicit "$").
    }).addCatch(failed, onFailure);
    const skipped = new sfn.Succeed(this, 'SkippedRun', { comment: 'This scheduled time already ran, or another run holds the lock.' });

    const planScan = invoke('PlanScan', plan.function, stepTimeout, { payload: { run }, resultPath: '$.plan' }).addCatch(markFailed, onFailure);

    const scanMap = (mapId: string, worker: IFunction, workerId: string, extra: Record<string, unknown>, resultPath: string, maxConcurrency: number) => {
      const work = invoke(workerId, worker, workerTimeout, {})
        .addCatch(new sfn.Fail(this, `${workerId}Failed`, { error: 'ScanSegmentFailed', cause: 'A scan segment worker failed after its retries.' }));
      const loop = new sfn.Choice(this, `${workerId}Done?`)
        .when(sfn.Condition.booleanEquals('$.done', true), new sfn.Succeed(this, `${workerId}Finished`))
        .otherwise(work);
      const map = new sfn.Map(this, mapId, {
        itemsPath: '$.plan.segments',
        itemSelector: { run, segment: sfn.JsonPath.numberAt('$$.Map.Item.Value'), totalSegments: sfn.JsonPath.numberAt('$.plan.totalSegments'), ...extra },
        maxConcurrency,
        resultPath,
      });
      map.itemProcessor(work.next(loop));
      return map.addCatch(markFailed, onFailure);
    };
    const statsMap = scanMap('ComputeStats', stats.function, 'ScanSegmentStats', {}, '$.stats', props.maxConcurrency ?? 16);
    const mergeStats = invoke('MergeStats', merge.function, stepTimeout, {
      payload: { run, stats: sfn.JsonPath.listAt('$.stats') },
      resultPath: '$.population',
    }).addCatch(markFailed, onFailure);
    const evaluateMap = scanMap(
      'EvaluateSegments',
      this.evaluator.function,
      'EvaluateScanSegment',
      { populationKey: sfn.JsonPath.stringAt('$.population.key') },
      '$.evaluated',
      props.maxConcurrency ?? 16,
    );
    const aggregateStep = invoke('AggregateRun', aggregate.function, workerTimeout, {
      payload: { run, evaluated: sfn.JsonPath.listAt('$.evaluated') },
      resultPath: '$.aggregate',
    }).addCatch(markFailed, onFailure);
    const writeReport = invoke('WriteReport', report.function, stepTimeout, {
      payload: {
        run,
        aggregate: sfn.JsonPath.objectAt('$.aggregate'),
        campaigns: sfn.JsonPath.listAt('$.campaigns'),
        startedAt: sfn.JsonPath.executionStartTime,
      },
      resultPath: '$.report',
    }).addCatch(markFailed, onFailure);
    const release = invoke('ReleaseRunLock', lock.function, stepTimeout, {
      payload: { action: 'release', status: 'succeeded', run },
      resultPath: sfn.JsonPath.DISCARD,
    }).addCatch(markFailed, onFailure);
    // Enter / exit campaigns, started exactly as dispatch expects after a re-segmentation
    // (functions/campaign-dispatch/run-campaigns.ts): trigger "transitions" at the run's time, no customer
    // list (it could not fit in the state at scale), so dispatch takes the members whose membership
    // began since each campaign's previous run, and a series step whose delay fell due today. It
    // runs even when nobody entered in this run: series steps and deferrals fall due with time.
    // No campaign names: campaigns are data in the bucket, and dispatch runs those in force then.
    const noCampaigns = new sfn.Pass(this, 'NoEntryCampaigns', { result: sfn.Result.fromArray([]), resultPath: '$.campaigns' });
    const campaignsStep = new sfn.Choice(this, 'CampaignsRequested?')
      .when(
        sfn.Condition.booleanEquals('$.run.campaigns', true),
        invoke('StartEntryCampaigns', props.dispatch, workerTimeout, {
          payload: { trigger: 'transitions', asOf: sfn.JsonPath.stringAt('$.run.now') },
          resultPath: '$.campaigns',
        }).addCatch(markFailed, onFailure),
      )
      .otherwise(noCampaigns)
      .afterwards();

    let afterLock: sfn.IChainable = planScan;
    if (props.modelRefit !== undefined) {
      // The refit Lambda (lib/constructs/model-refit.ts) fits as of the run's time, so a repeat writes the same model.
      const refit = invoke('RefitModels', props.modelRefit, workerTimeout, {
        payload: { asOf: sfn.JsonPath.stringAt('$.run.now') },
        resultPath: '$.refit',
      })
        .addCatch(markFailed, onFailure)
        .next(planScan);
      afterLock = new sfn.Choice(this, 'RefitRequested?').when(sfn.Condition.booleanEquals('$.run.refit', true), refit).otherwise(planScan);
    }
    planScan.next(statsMap).next(mergeStats).next(evaluateMap).next(aggregateStep).next(campaignsStep).next(writeReport).next(release).next(new sfn.Succeed(this, 'Done'));

    const definition = acquire.next(
      new sfn.Choice(this, 'RunLockAcquired?').when(sfn.Condition.booleanEquals('$.acquired', true), afterLock).otherwise(skipped),
    );

    const logGroup = new logs.LogGroup(this, 'Logs', { retention: logs.RetentionDays.THREE_MONTHS, removalPolicy: RemovalPolicy.DESTROY });
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      stateMachineType: sfn.StateMachineType.STANDARD,
      definitionBody: sfn.DefinitionBody.fromChainable(definition),
      timeout: Duration.hours(6),
      tracingEnabled: true,
      // Execution data would carry customer ids and campaign content: log events, not payloads.
      logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: false },
    });
    (this.stateMachine.node.defaultChild as sfn.CfnStateMachine).addMetadata(WORKFLOW_METADATA_KEY, RESEGMENT_WORKFLOW_NAME);

    // The lock asks whether the run holding it still runs. A policy of its own, not the role's default
    // one: the function would otherwise depend on the state machine that invokes it (a cycle).
    const describeOwner = new iam.Policy(this, 'RunLockDescribeExecution', {
      roles: [lock.role],
      statements: [
        new iam.PolicyStatement({
          actions: ['states:DescribeExecution'],
          resources: [Stack.of(this).formatArn({ service: 'states', resource: 'execution', resourceName: `${this.stateMachine.stateMachineName}:*`, arnFormat: ArnFormat.COLON_RESOURCE_NAME })],
        }),
      ],
    });
    acknowledge(describeOwner, [
      {
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:<${logicalIdOf(this.stateMachine)}.Name>:*]`,
        reason: "The lock's owner is any execution of this one state machine; execution names are not known in advance.",
      },
    ]);

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
        maxEventAge: Duration.hours(6),
        deadLetterQueue: props.scheduleDeadLetterQueue,
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

    const invoked = [lock, plan, stats, merge, this.evaluator, aggregate, report].map((f) => f.function);
    acknowledge(this.stateMachine, [
      {
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason: 'X-Ray tracing and CloudWatch log delivery actions have no resource-level permissions (CDK grants them for tracing and logging).',
      },
      ...[...invoked, props.dispatch, ...(props.modelRefit === undefined ? [] : [props.modelRefit])].map((f) => ({
        id: `AwsSolutions-IAM5[Resource::<${logicalIdOf(f)}.Arn>:*]`,
        reason: "lambda:InvokeFunction on the task function's own versions and aliases (ARN:*), as CDK grants for LambdaInvoke.",
      })),
    ]);
    const bucketId = logicalIdOf(props.bucket);
    const tableId = logicalIdOf(props.table);
    for (const f of [stats, merge, this.evaluator, aggregate, report]) {
      acknowledge(f.role, [
        {
          id: `AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/${RESEGMENT_PREFIXES.work}*]`,
          reason: "A run's intermediate files are keyed by run id and scan segment; the grant covers only work/resegment/.",
        },
        {
          id: `AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/${RESEGMENT_PREFIXES.reports}*]`,
          reason: 'Run reports are keyed by run id; the grant covers only reports/resegment/.',
        },
        {
          id: `AwsSolutions-IAM5[Resource::<${tableId}.Arn>/index/*]`,
          reason: "Segment sizes are counted through the table's segment index; the wildcard covers only that table's indexes.",
        },
        segmentDefinitionsAcknowledgement(bucketId),
      ]);
    }
  }
}
