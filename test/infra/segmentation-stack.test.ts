import { describe, expect, it } from 'vitest';
import { Match } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { App } from 'aws-cdk-lib';
import { buildApp } from '../../lib/app.ts';
import { ENTRY_METADATA_KEY } from '../../lib/metadata-keys.ts';
import { loadCampaigns } from '../../lib/campaigns.ts';
import { actionsOf, logicalIdWhere, resourcesOf, roleOfFunction, statementsOfRole, synthesize } from './stack-template.ts';

const { app, template, json } = synthesize();
const dataBucket = logicalIdWhere(json, 'AWS::S3::Bucket', (p) => p.VersioningConfiguration !== undefined);
const table = logicalIdWhere(json, 'AWS::DynamoDB::Table', () => true);

describe('cdk-nag', () => {
  it('synthesizes with every AwsSolutions finding fixed or acknowledged with a reason', () => {
    expect(() => app.synth()).not.toThrow();
  });

  it('runs the Serverless pack too', () => {
    const broken = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const { stack } = buildApp(broken);
    new sqs.Queue(stack, 'QueueWithoutRedrive', { enforceSSL: true, encryption: sqs.QueueEncryption.SQS_MANAGED });
    expect(() => broken.synth()).toThrow(/Serverless-SQSRedrivePolicy'/);
  });

  it('fails the synth when a construct breaks a rule (the checks really run)', () => {
    const broken = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const { stack } = buildApp(broken);
    new s3.Bucket(stack, 'UnloggedBucket');
    expect(() => broken.synth()).toThrow(/AwsSolutions-S1'/);
  });
});

describe('data bucket', () => {
  it('is encrypted, private, versioned and logs access', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      VersioningConfiguration: { Status: 'Enabled' },
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      LoggingConfiguration: Match.objectLike({ DestinationBucketName: Match.anyValue() }),
    });
  });

  it('refuses requests without TLS', () => {
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: dataBucket },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it.each(['incoming/', 'quarantine/', 'reports/', 'exports/'])('has a lifecycle rule for %s', (prefix) => {
    const rules = (json.Resources[dataBucket]!.Properties!.LifecycleConfiguration as { Rules: { Prefix?: string; ExpirationInDays?: number }[] }).Rules;
    const rule = rules.find((r) => r.Prefix === prefix);
    expect(rule?.ExpirationInDays).toBeGreaterThan(0);
  });
});

describe('customer table', () => {
  it('is on demand with point-in-time recovery, encryption and deletion protection', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: { SSEEnabled: true },
      DeletionProtectionEnabled: true,
    });
  });

  it('indexes memberships by segment so members are listed without a scan', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      GlobalSecondaryIndexes: [Match.objectLike({ IndexName: 'bySegment', KeySchema: [{ AttributeName: 'gsi1pk', KeyType: 'HASH' }, { AttributeName: 'gsi1sk', KeyType: 'RANGE' }] })],
    });
  });
});

describe('ingest', () => {
  const ingestFunction = logicalIdWhere(json, 'AWS::Lambda::Function', (_p, m) => m['strata:entry'] === 'functions/ingest-pipeline/handler.ts');

  it('runs Node 22 on arm64', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'index.handler',
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      Environment: { Variables: Match.objectLike({ TABLE_NAME: { Ref: table }, BUCKET_NAME: { Ref: dataBucket } }) },
    });
  });

  it('is triggered by ObjectCreated under incoming/ only', () => {
    template.hasResourceProperties('Custom::S3BucketNotifications', {
      BucketName: { Ref: dataBucket },
      NotificationConfiguration: {
        LambdaFunctionConfigurations: [
          {
            Events: ['s3:ObjectCreated:*'],
            Filter: { Key: { FilterRules: [{ Name: 'prefix', Value: 'incoming/' }] } },
            LambdaFunctionArn: { 'Fn::GetAtt': [ingestFunction, 'Arn'] },
          },
        ],
      },
    });
  });

  it('sends events that keep failing to a dead-letter queue, with an alarm on it', () => {
    // The feedback construct has queues of its own; this one is the ingest pipeline's.
    const queue = Object.keys(json.Resources).find((id) => json.Resources[id]!.Type === 'AWS::SQS::Queue' && id.startsWith('IngestPipeline'))!;
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: ingestFunction },
      MaximumRetryAttempts: 2,
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [queue, 'Arn'] } } },
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [queue, 'QueueName'] } }],
    });
  });

  it('can read only incoming/, the segment definitions and the latest model, list only config/segments/, write only quarantine/, and keep chunk state under work/', () => {
    const s3Statements = statementsOfRole(json, roleOfFunction(json, 'functions/ingest-pipeline/handler.ts')).filter((s) =>
      actionsOf(s).some((a) => a.startsWith('s3:')),
    );
    const grants = s3Statements.flatMap((s) => actionsOf(s).flatMap((action) => resourcesOf(s).map((resource) => ({ action, resource }))));
    expect(grants).toEqual([
      { action: 's3:GetObject', resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [dataBucket, 'Arn'] }, '/incoming/*']] } },
      { action: 's3:PutObject', resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [dataBucket, 'Arn'] }, '/quarantine/*']] } },
      { action: 's3:GetObject', resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [dataBucket, 'Arn'] }, '/work/*']] } },
      { action: 's3:PutObject', resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [dataBucket, 'Arn'] }, '/work/*']] } },
      { action: 's3:ListBucket', resource: { 'Fn::GetAtt': [dataBucket, 'Arn'] } },
      { action: 's3:GetObject', resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [dataBucket, 'Arn'] }, '/config/segments/*']] } },
      { action: 's3:GetObject', resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [dataBucket, 'Arn'] }, '/models/latest.json']] } },
    ]);
    const listing = s3Statements.find((s) => actionsOf(s).includes('s3:ListBucket'));
    expect(listing?.Condition).toEqual({ StringLike: { 's3:prefix': ['config/segments/*'] } });
  });

  it('may invoke only itself, to fan a large file out in chunks', () => {
    const lambdaStatements = statementsOfRole(json, roleOfFunction(json, 'functions/ingest-pipeline/handler.ts')).filter((s) =>
      actionsOf(s).some((a) => a.startsWith('lambda:')),
    );
    expect(lambdaStatements.map((s) => ({ actions: actionsOf(s), resources: resourcesOf(s) }))).toEqual([
      { actions: ['lambda:InvokeFunction'], resources: [{ 'Fn::GetAtt': [ingestFunction, 'Arn'] }] },
    ]);
  });
});

describe('table access per function', () => {
  const dynamoGrants = (entry: string) =>
    statementsOfRole(json, roleOfFunction(json, entry))
      .filter((s) => actionsOf(s).some((a) => a.startsWith('dynamodb:')))
      .map((s) => ({ actions: [...actionsOf(s)].sort(), resources: resourcesOf(s) }));
  const tableArn = { 'Fn::GetAtt': [table, 'Arn'] };

  const indexArn = { 'Fn::Join': ['', [tableArn, '/index/*']] };
  it.each([
    ['functions/ingest-pipeline/handler.ts', [{ actions: ['dynamodb:BatchGetItem', 'dynamodb:BatchWriteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query'], resources: [tableArn] }]],
    [
      'functions/resegment-workflow/evaluate/handler.ts',
      [
        { actions: ['dynamodb:BatchWriteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:Scan'], resources: [tableArn] },
        { actions: ['dynamodb:Query'], resources: [indexArn] },
      ],
    ],
    ['functions/campaign-dispatch/send/handler.ts', [{ actions: ['dynamodb:BatchGetItem', 'dynamodb:BatchWriteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem'], resources: [tableArn, indexArn] }]],
    ['functions/campaign-dispatch/unsubscribe/handler.ts', [{ actions: ['dynamodb:PutItem'], resources: [tableArn] }]],
  ])('%s gets exactly the calls it makes', (entry, statements) => {
    expect(dynamoGrants(entry)).toEqual(statements);
  });
});

describe('least privilege everywhere', () => {
  const statements = Object.values(json.Resources)
    .filter((r) => r.Type === 'AWS::IAM::Policy')
    .flatMap((r) => (r.Properties!.PolicyDocument as { Statement: { Action: string | string[] }[] }).Statement);

  it('grants no service-wide wildcard actions', () => {
    const actions = statements.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]));
    expect(actions.filter((a) => a === '*' || a.endsWith(':*'))).toEqual([]);
  });

  it('grants on every resource ("*") only actions that have no resource-level permissions', () => {
    const onEverything = statements
      .filter((s) => (s as { Resource?: unknown }).Resource === '*')
      .flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]));
    const allowed = new Set([
      'xray:PutTraceSegments', 'xray:PutTelemetryRecords', 'xray:GetSamplingRules', 'xray:GetSamplingTargets',
      'ses:GetAccount',
      'logs:CreateLogDelivery', 'logs:GetLogDelivery', 'logs:UpdateLogDelivery', 'logs:DeleteLogDelivery', 'logs:ListLogDeliveries',
      'logs:PutResourcePolicy', 'logs:DescribeResourcePolicies', 'logs:DescribeLogGroups',
    ]);
    expect(onEverything.length).toBeGreaterThan(0);
    expect(onEverything.filter((a) => !allowed.has(a))).toEqual([]);
  });

  it('traces every function with X-Ray', () => {
    const functions = Object.values(json.Resources).filter((r) => r.Type === 'AWS::Lambda::Function' && (r as { Metadata?: Record<string, unknown> }).Metadata?.[ENTRY_METADATA_KEY] !== undefined);
    expect(functions.length).toBeGreaterThan(4);
    for (const f of functions) expect((f.Properties as { TracingConfig?: unknown }).TracingConfig).toEqual({ Mode: 'Active' });
  });

  const sesStatements = Object.entries(json.Resources)
    .filter(([, r]) => r.Type === 'AWS::IAM::Policy')
    .flatMap(([, r]) =>
      (r.Properties!.PolicyDocument as { Statement: { Action: string | string[]; Resource: unknown }[] }).Statement
        .filter((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]).some((a) => a.startsWith('ses:')))
        .map((s) => ({ roles: r.Properties!.Roles, actions: Array.isArray(s.Action) ? s.Action : [s.Action], resources: s.Resource })),
    );
  const dispatchRole = [{ Ref: roleOfFunction(json, 'functions/campaign-dispatch/send/handler.ts') }];

  it('lets only the dispatch function send e-mail, and only from its identity, configuration set and templates', () => {
    const sending = sesStatements.filter((s) => s.actions.includes('ses:SendBulkEmail'));
    expect(sending).toHaveLength(1);
    expect(sending[0]).toMatchObject({ roles: dispatchRole, actions: ['ses:SendBulkEmail'] });
    expect(JSON.stringify(sending[0]!.resources)).not.toContain('"*"');
    // Campaigns are added at run time: the templates are strata's by name, not a list fixed at deploy.
    const templates = resourcesOf({ Effect: 'Allow', Action: [], Resource: sending[0]!.resources }).filter((r) => JSON.stringify(r).includes(':template/'));
    expect(templates.map((r) => JSON.stringify(r))).toEqual([expect.stringContaining(':template/strata-*')]);
  });

  it('lets only the dispatch function manage templates, strata-* ones, and grants GetAccount alone on "*"', () => {
    const others = sesStatements.filter((s) => !s.actions.includes('ses:SendBulkEmail')).map((s) => ({ ...s, resources: JSON.stringify(s.resources) }));
    expect(others.sort((a, b) => (a.actions[0] ?? '').localeCompare(b.actions[0] ?? ''))).toEqual([
      { roles: dispatchRole, actions: ['ses:GetAccount'], resources: '"*"' },
      { roles: dispatchRole, actions: ['ses:GetEmailTemplate', 'ses:CreateEmailTemplate', 'ses:UpdateEmailTemplate'], resources: expect.stringContaining(':template/strata-*') },
    ]);
  });

  it('creates no SES template at deploy: they follow the definitions in the bucket at run time', () => {
    expect(Object.values(json.Resources).filter((r) => r.Type === 'AWS::SES::Template')).toEqual([]);
  });

  it('lets the dispatch function read campaign definitions under config/campaigns/ and write audience files under exports/, nothing else of the bucket', () => {
    const s3 = statementsOfRole(json, roleOfFunction(json, 'functions/campaign-dispatch/send/handler.ts')).filter((s) => actionsOf(s).some((a) => a.startsWith('s3:')));
    const granted = s3.map((s) => ({ actions: actionsOf(s), resources: resourcesOf(s), condition: (s as { Condition?: unknown }).Condition }));
    expect(granted.sort((a, b) => (a.actions[0] ?? '').localeCompare(b.actions[0] ?? ''))).toEqual([
      { actions: ['s3:GetObject'], resources: [{ 'Fn::Join': ['', [{ 'Fn::GetAtt': [dataBucket, 'Arn'] }, '/config/campaigns/*']] }], condition: undefined },
      { actions: ['s3:ListBucket'], resources: [{ 'Fn::GetAtt': [dataBucket, 'Arn'] }], condition: { StringLike: { 's3:prefix': ['config/campaigns/*'] } } },
      { actions: ['s3:PutObject'], resources: [{ 'Fn::Join': ['', [{ 'Fn::GetAtt': [dataBucket, 'Arn'] }, '/exports/*']] }], condition: undefined },
    ]);
  });

  it('seeds the bundled campaigns with a custom resource whose function may only list and write config/campaigns/', () => {
    const seed = Object.entries(json.Resources).filter(([, r]) => r.Type === 'Custom::StrataCampaignSeed');
    expect(seed).toHaveLength(1);
    const seedFunction = logicalIdWhere(json, 'AWS::Lambda::Function', (_p, m) => m['strata:entry'] === 'functions/campaign-dispatch/seed/handler.ts');
    expect(seed[0]![1].Properties).toMatchObject({ ServiceToken: { 'Fn::GetAtt': [seedFunction, 'Arn'] }, SeedHash: expect.stringMatching(/^[0-9a-f]{16}$/), Prefix: 'config/campaigns/' });
    const statements = statementsOfRole(json, roleOfFunction(json, 'functions/campaign-dispatch/seed/handler.ts')).filter((s) => !actionsOf(s).some((a) => a.startsWith('logs:') || a.startsWith('xray:')));
    expect(statements.map((s) => ({ actions: actionsOf(s), resources: resourcesOf(s), condition: (s as { Condition?: unknown }).Condition }))).toEqual([
      { actions: ['s3:ListBucket'], resources: [{ 'Fn::GetAtt': [dataBucket, 'Arn'] }], condition: { StringLike: { 's3:prefix': ['config/campaigns/*'] } } },
      { actions: ['s3:PutObject'], resources: [{ 'Fn::Join': ['', [{ 'Fn::GetAtt': [dataBucket, 'Arn'] }, '/config/campaigns/*']] }], condition: undefined },
    ]);
  });

  it('lets only the dispatch and unsubscribe functions read the signing key', () => {
    const secret = logicalIdWhere(json, 'AWS::SecretsManager::Secret', () => true);
    const readers = Object.values(json.Resources)
      .filter((r) => r.Type === 'AWS::IAM::Policy')
      .filter((r) => JSON.stringify(r.Properties!.PolicyDocument).includes(`"Ref":"${secret}"`))
      .flatMap((r) => r.Properties!.Roles as { Ref: string }[]);
    expect(readers.map((r) => r.Ref).sort()).toEqual([roleOfFunction(json, 'functions/campaign-dispatch/send/handler.ts'), roleOfFunction(json, 'functions/campaign-dispatch/unsubscribe/handler.ts')].sort());
  });
});

describe('re-segmentation', () => {
  it('is a Standard state machine with full logging without payloads, and tracing', () => {
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineType: 'STANDARD',
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: Match.objectLike({ Level: 'ALL', IncludeExecutionData: false }),
    });
  });

  it('retries and catches every task', () => {
    const machine = logicalIdWhere(json, 'AWS::StepFunctions::StateMachine', () => true);
    const definition = JSON.parse(
      ((json.Resources[machine]!.Properties!.DefinitionString as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1])
        .map((part) => (typeof part === 'string' ? part : 'ARN'))
        .join(''),
    ) as { States: Record<string, { Type: string; Retry?: unknown[]; Catch?: unknown[] }> };
    const tasks = Object.entries(definition.States).filter(([, s]) => s.Type === 'Task');
    expect(tasks.length).toBeGreaterThan(0);
    for (const [, task] of tasks) {
      expect(task.Retry?.length).toBeGreaterThan(0);
      expect(task.Catch?.length).toBeGreaterThan(0);
    }
  });

  it('runs daily on an EventBridge Scheduler schedule, 06:00 UTC by default and configurable', () => {
    const machine = logicalIdWhere(json, 'AWS::StepFunctions::StateMachine', () => true);
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'cron(0 6 * * ? *)',
      ScheduleExpressionTimezone: 'UTC',
      Target: Match.objectLike({ Arn: { Ref: machine } }),
    });
    const custom = synthesize({ 'strata:scheduleHour': '3', 'strata:scheduleMinute': '30', 'strata:scheduleTimeZone': 'Europe/Berlin' });
    custom.template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'cron(30 3 * * ? *)',
      ScheduleExpressionTimezone: 'Europe/Berlin',
    });
  });
});

describe('sending', () => {
  it('has a configuration set that requires TLS and suppresses bounces and complaints', () => {
    template.hasResourceProperties('AWS::SES::ConfigurationSet', {
      DeliveryOptions: { TlsPolicy: 'REQUIRE' },
      SuppressionOptions: { SuppressedReasons: ['BOUNCE', 'COMPLAINT'] },
    });
  });

  const campaigns = loadCampaigns().map((c) => c.campaign);
  const dispatchFunction = logicalIdWhere(json, 'AWS::Lambda::Function', (_p, m) => m['strata:entry'] === 'functions/campaign-dispatch/send/handler.ts');

  it('compiles each bundled e-mail campaign\'s MJML at synth for the seed, with the Handlebars intact', () => {
    const compiled = loadCampaigns().filter((c) => c.campaign.channel === 'email');
    expect(compiled.map((c) => c.campaign.name).sort()).toEqual(campaigns.filter((c) => c.channel === 'email').map((c) => c.name).sort());
    for (const { html, campaign } of compiled) {
      expect(html).toMatch(/^<!doctype html>/);
      expect(html).not.toContain('<mj-');
      expect(html).toContain('{{unsubscribeUrl}}');
      expect(campaign.content?.text).toContain('{{unsubscribeUrl}}');
    }
  });

  it('schedules each broadcast with its cron and time zone, and sweeps deferred sends hourly, all invoking dispatch', () => {
    for (const c of campaigns) {
      if (c.trigger.type !== 'broadcast') continue;
      template.hasResourceProperties('AWS::Scheduler::Schedule', {
        ScheduleExpression: `cron(${c.trigger.cron})`,
        ScheduleExpressionTimezone: c.trigger.timeZone,
        Target: Match.objectLike({ Arn: { 'Fn::GetAtt': [dispatchFunction, 'Arn'] }, Input: JSON.stringify({ trigger: 'schedule', campaigns: [c.name] }) }),
      });
    }
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'rate(1 hour)',
      Target: Match.objectLike({ Arn: { 'Fn::GetAtt': [dispatchFunction, 'Arn'] }, Input: JSON.stringify({ trigger: 'schedule' }) }),
    });
  });

  it('serves unsubscribes from a public Function URL whose address the dispatcher puts in every link', () => {
    const fn = logicalIdWhere(json, 'AWS::Lambda::Function', (_p, m) => m['strata:entry'] === 'functions/campaign-dispatch/unsubscribe/handler.ts');
    const url = logicalIdWhere(json, 'AWS::Lambda::Url', () => true);
    template.hasResourceProperties('AWS::Lambda::Url', { AuthType: 'NONE', TargetFunctionArn: { 'Fn::GetAtt': [fn, 'Arn'] } });
    const env = (json.Resources[dispatchFunction]!.Properties!.Environment as { Variables: Record<string, unknown> }).Variables;
    expect(env.UNSUBSCRIBE_URL).toEqual({ 'Fn::GetAtt': [url, 'FunctionUrl'] });
    // The definitions are read from the bucket at each run, not from a folder in the bundle.
    expect(env.CAMPAIGN_DIR).toBeUndefined();
  });
});
