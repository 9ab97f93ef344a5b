import * as path from 'node:path';
import { Arn, CfnOutput, Duration, RemovalPolicy, Stack, TimeZone } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as targets from 'aws-cdk-lib/aws-scheduler-targets';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as ses from 'aws-cdk-lib/aws-ses';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { acknowledge, logicalIdOf } from '../nag.ts';
import { Construct } from 'constructs';
import { templateName } from '../../functions/core/campaign.ts';
import type { CompiledCampaign } from '../campaigns.ts';
import { PROJECT_ROOT } from '../project-root.ts';
import { StrataFunction } from './strata-function.ts';
import { STACK_OUTPUTS } from '../stack-outputs.ts';

export interface CampaignDispatchProps {
  readonly table: dynamodb.ITable;
  readonly bucket: s3.IBucket;
  readonly environment: Readonly<Record<string, string>>;
  /** The verified address campaigns are sent from. */
  readonly senderAddress: string;
  readonly campaigns: readonly CompiledCampaign[];
  /** The folder the campaign definitions were read from; the dispatch bundle carries a copy. */
  readonly campaignDir: string;
  /** Zone for customers without one. Default UTC. */
  readonly defaultTimeZone?: string;
  /** "count/days". Default 3/7. */
  readonly frequencyCap?: string;
  /** Where a schedule's invocation goes when its retries are spent (lib/constructs/alerts.ts). */
  readonly scheduleDeadLetterQueue: sqs.IQueue;
  /**
   * Reserved concurrency of the public unsubscribe endpoint: a flood of requests is throttled
   * there instead of taking the account's concurrency and the table's capacity. Default 5.
   */
  readonly unsubscribeConcurrency?: number;
}

/**
 * Sending through SES v2: a configuration set (TLS required, reputation metrics, account-level
 * suppression of bounces and complaints), one SES template per e-mail campaign compiled from MJML,
 * the dispatch Lambda with one EventBridge Scheduler schedule per broadcast and an hourly sweep for
 * deferred sends, and the unsubscribe endpoint (a Function URL) with its signing key.
 */
export class CampaignDispatch extends Construct {
  readonly configurationSet: ses.ConfigurationSet;
  readonly handler: StrataFunction;
  readonly unsubscribe: StrataFunction;
  readonly unsubscribeUrl: lambda.FunctionUrl;
  readonly signingKey: secretsmanager.Secret;

  constructor(scope: Construct, id: string, props: CampaignDispatchProps) {
    super(scope, id);
    this.configurationSet = new ses.ConfigurationSet(this, 'ConfigurationSet', {
      reputationMetrics: true,
      sendingEnabled: true,
      tlsPolicy: ses.ConfigurationSetTlsPolicy.REQUIRE,
      suppressionReasons: ses.SuppressionReasons.BOUNCES_AND_COMPLAINTS,
    });
    const emailCampaigns = props.campaigns.filter((c) => c.campaign.content !== undefined);
    for (const { campaign, html } of emailCampaigns) {
      if (campaign.content === undefined) continue;
      new ses.CfnTemplate(this, `Template-${campaign.name}`, {
        template: { templateName: templateName(campaign), subjectPart: campaign.content.subject, htmlPart: html, textPart: campaign.content.text },
      });
    }

    this.signingKey = new secretsmanager.Secret(this, 'UnsubscribeSigningKey', {
      description: 'HMAC key that signs the unsubscribe links of strata e-mails',
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
      // Retained like the table and bucket: a deleted and recreated stack still verifies the links already sent.
      removalPolicy: RemovalPolicy.RETAIN,
    });
    acknowledge(this.signingKey, [
      {
        id: 'AwsSolutions-SMG4',
        reason: 'Rotating the key would void the unsubscribe links of every e-mail already sent (RFC 8058 clients use them for weeks); links expire after 60 days instead.',
      },
    ]);

    const shared = { ...props.environment, UNSUBSCRIBE_SECRET_ARN: this.signingKey.secretArn };
    this.unsubscribe = new StrataFunction(this, 'Unsubscribe', {
      entry: 'functions/campaign-dispatch/unsubscribe/handler.ts',
      description: 'One-click unsubscribe endpoint behind the List-Unsubscribe header',
      environment: shared,
      timeout: Duration.seconds(10),
      memorySize: 256,
      reservedConcurrentExecutions: props.unsubscribeConcurrency ?? 5,
    });
    // Public on purpose: mail providers POST here without credentials (RFC 8058); the signed token is the authorization.
    this.unsubscribeUrl = this.unsubscribe.function.addFunctionUrl({ authType: lambda.FunctionUrlAuthType.NONE });
    this.signingKey.grantRead(this.unsubscribe.role);
    // Anyone can call it, so it may only add suppression entries: the token carries what it needs, it reads nothing.
    this.unsubscribe.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:PutItem'],
        resources: [props.table.tableArn],
        conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['SUPPRESS#*'] } },
      }),
    );

    const campaignDir = path.relative(PROJECT_ROOT, props.campaignDir);
    this.handler = new StrataFunction(this, 'Dispatch', {
      entry: 'functions/campaign-dispatch/send/handler.ts',
      description: 'Sends each segment its campaigns through SES SendBulkEmail',
      environment: {
        ...shared,
        SENDER_ADDRESS: props.senderAddress,
        CONFIGURATION_SET: this.configurationSet.configurationSetName,
        CAMPAIGN_DIR: campaignDir,
        UNSUBSCRIBE_URL: this.unsubscribeUrl.url,
        DEFAULT_TIMEZONE: props.defaultTimeZone ?? 'UTC',
        FREQUENCY_CAP: props.frequencyCap ?? '3/7',
      },
      timeout: Duration.minutes(15),
      copyFolders: [campaignDir],
    });
    const stack = Stack.of(this);
    const sesArn = (resource: string, resourceName: string) => Arn.format({ service: 'ses', resource, resourceName }, stack);
    const senderDomain = props.senderAddress.split('@')[1] ?? props.senderAddress;
    this.handler.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['ses:SendBulkEmail'],
        resources: [
          sesArn('identity', senderDomain),
          sesArn('identity', props.senderAddress),
          sesArn('configuration-set', this.configurationSet.configurationSetName),
          ...emailCampaigns.map((c) => sesArn('template', templateName(c.campaign))),
        ],
      }),
    );
    this.handler.role.addToPolicy(new iam.PolicyStatement({ actions: ['ses:GetAccount'], resources: ['*'] }));
    this.handler.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:Query', 'dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:BatchWriteItem'],
        resources: [props.table.tableArn, `${props.table.tableArn}/index/*`],
      }),
    );
    this.handler.role.addToPolicy(new iam.PolicyStatement({ actions: ['s3:PutObject'], resources: [props.bucket.arnForObjects('exports/*')] }));
    this.signingKey.grantRead(this.handler.role);
    acknowledge(this.handler.role, [
      {
        id: `AwsSolutions-IAM5[Resource::<${logicalIdOf(props.table)}.Arn>/index/*]`,
        reason: "Members and queued sends are listed through the table's segment index; the wildcard covers only that table's indexes.",
      },
      { id: 'AwsSolutions-IAM5[Resource::*]', reason: 'ses:GetAccount (the account\'s MaxSendRate) has no resource-level permission.' },
      {
        id: `AwsSolutions-IAM5[Resource::<${logicalIdOf(props.bucket)}.Arn>/exports/*]`,
        reason: 'Audience campaigns write their export files under exports/ and nowhere else.',
      },
    ]);

    for (const { campaign } of props.campaigns) {
      if (campaign.trigger.type !== 'broadcast') continue;
      new scheduler.Schedule(this, `Broadcast-${campaign.name}`, {
        description: `Broadcast of campaign ${campaign.name}`,
        schedule: scheduler.ScheduleExpression.expression(`cron(${campaign.trigger.cron})`, TimeZone.of(campaign.trigger.timeZone)),
        // The ledger makes a re-delivered invocation harmless.
        target: new targets.LambdaInvoke(this.handler.function, {
          input: scheduler.ScheduleTargetInput.fromObject({ trigger: 'schedule', campaigns: [campaign.name] }),
          retryAttempts: 2,
          maxEventAge: Duration.hours(2),
          deadLetterQueue: props.scheduleDeadLetterQueue,
        }),
      });
    }
    new scheduler.Schedule(this, 'DeferredSweep', {
      description: 'Hourly: sends deferred e-mails whose local send window has come',
      schedule: scheduler.ScheduleExpression.rate(Duration.hours(1)),
      target: new targets.LambdaInvoke(this.handler.function, {
        input: scheduler.ScheduleTargetInput.fromObject({ trigger: 'schedule' }),
        retryAttempts: 2,
        // The next hourly sweep does the same work: an older invocation is not worth delivering.
        maxEventAge: Duration.hours(1),
        deadLetterQueue: props.scheduleDeadLetterQueue,
      }),
    });
    // The schedules share the stack's scheduler role, which CDK lets invoke the function and its versions.
    acknowledge(stack, [
      {
        id: `AwsSolutions-IAM5[Resource::<${logicalIdOf(this.handler.function)}.Arn>:*]`,
        reason: "lambda:InvokeFunction on the dispatch function's own versions and aliases (ARN:*), as CDK grants for a scheduler target.",
      },
    ]);
    // Keyed exactly as the CLI reads it, not under this construct's path with a hash.
    new CfnOutput(this, 'UnsubscribeUrl', { value: this.unsubscribeUrl.url, description: 'One-click unsubscribe endpoint' }).overrideLogicalId(STACK_OUTPUTS.unsubscribeUrl);
  }
}
