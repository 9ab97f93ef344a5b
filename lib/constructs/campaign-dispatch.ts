import { Arn, CfnOutput, CustomResource, Duration, RemovalPolicy, Stack, TimeZone } from 'aws-cdk-lib';
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
import { CAMPAIGNS_PREFIX, TEMPLATE_PREFIX } from '../../functions/core/campaign.ts';
import { stageCampaignSeed, type CompiledCampaign } from '../campaigns.ts';
import { StrataFunction } from './strata-function.ts';
import { CAMPAIGN_SEED_TYPE } from '../metadata-keys.ts';
import { campaignDefinitionsAcknowledgement, grantReadCampaignDefinitions } from './data-bucket.ts';
import { STACK_OUTPUTS } from '../stack-outputs.ts';

export interface CampaignDispatchProps {
  readonly table: dynamodb.ITable;
  readonly bucket: s3.IBucket;
  readonly environment: Readonly<Record<string, string>>;
  /** The verified address campaigns are sent from. */
  readonly senderAddress: string;
  /** The bundled campaigns: seeded into config/campaigns/ at deploy where absent (their broadcasts get schedules). */
  readonly campaigns: readonly CompiledCampaign[];
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
 * suppression of bounces and complaints), the bundled campaigns seeded into config/campaigns/ (SES
 * templates are made from the definitions there at run time), the dispatch Lambda with one EventBridge Scheduler schedule per broadcast and an hourly sweep for
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

    this.handler = new StrataFunction(this, 'Dispatch', {
      entry: 'functions/campaign-dispatch/send/handler.ts',
      description: 'Sends each segment its campaigns through SES SendBulkEmail',
      environment: {
        ...shared,
        SENDER_ADDRESS: props.senderAddress,
        CONFIGURATION_SET: this.configurationSet.configurationSetName,
        UNSUBSCRIBE_URL: this.unsubscribeUrl.url,
        DEFAULT_TIMEZONE: props.defaultTimeZone ?? 'UTC',
        FREQUENCY_CAP: props.frequencyCap ?? '3/7',
      },
      timeout: Duration.minutes(15),
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
          sesArn('template', `${TEMPLATE_PREFIX}*`),
        ],
      }),
    );
    // Templates follow the definitions in the bucket: made and updated at run time, strata's own names only.
    this.handler.role.addToPolicy(
      new iam.PolicyStatement({ actions: ['ses:GetEmailTemplate', 'ses:CreateEmailTemplate', 'ses:UpdateEmailTemplate'], resources: [sesArn('template', `${TEMPLATE_PREFIX}*`)] }),
    );
    grantReadCampaignDefinitions(this.handler.role, props.bucket);
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
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ses:<AWS::Region>:<AWS::AccountId>:template/${TEMPLATE_PREFIX}*]`,
        reason: `Campaigns are added at run time, each with its SES template named ${TEMPLATE_PREFIX}<campaign>; the grant covers strata's templates only.`,
      },
      campaignDefinitionsAcknowledgement(logicalIdOf(props.bucket)),
      {
        id: `AwsSolutions-IAM5[Resource::<${logicalIdOf(props.bucket)}.Arn>/exports/*]`,
        reason: 'Audience campaigns write their export files under exports/ and nowhere else.',
      },
    ]);

    this.seedCampaigns(props, props.environment);

    // Schedules exist for the bundled broadcasts; a broadcast added at run time is sent with `strata campaigns send`.
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

  /**
   * The bundled campaigns, compiled at synth, travel in the seed function's bundle; the custom
   * resource runs it on create and whenever the bundled set changes (its hash), and it writes only
   * the campaigns the bucket lacks, so a deploy never undoes what operators changed at run time.
   */
  private seedCampaigns(props: CampaignDispatchProps, environment: Readonly<Record<string, string>>): void {
    const seed = stageCampaignSeed(props.campaigns);
    const seeder = new StrataFunction(this, 'Seed', {
      entry: 'functions/campaign-dispatch/seed/handler.ts',
      description: 'Seeds the bundled campaigns into config/campaigns/ where absent (custom resource)',
      environment,
      timeout: Duration.minutes(2),
      memorySize: 256,
      bundledFolders: [{ source: seed.dir, target: 'campaign-seed' }],
    });
    // Listing tells which campaigns exist (without it S3 answers a missing key with 403); writing only under config/campaigns/.
    seeder.role.addToPolicy(
      new iam.PolicyStatement({ actions: ['s3:ListBucket'], resources: [props.bucket.bucketArn], conditions: { StringLike: { 's3:prefix': [`${CAMPAIGNS_PREFIX}*`] } } }),
    );
    seeder.role.addToPolicy(new iam.PolicyStatement({ actions: ['s3:PutObject'], resources: [props.bucket.arnForObjects(`${CAMPAIGNS_PREFIX}*`)] }));
    acknowledge(seeder.role, [
      {
        id: `AwsSolutions-IAM5[Resource::<${logicalIdOf(props.bucket)}.Arn>/${CAMPAIGNS_PREFIX}*]`,
        reason: 'The seed writes the bundled campaigns under config/campaigns/ and nowhere else.',
      },
    ]);
    new CustomResource(this, 'CampaignSeed', {
      serviceToken: seeder.function.functionArn,
      resourceType: CAMPAIGN_SEED_TYPE,
      properties: { SeedHash: seed.hash, Prefix: CAMPAIGNS_PREFIX },
    });
  }
}
