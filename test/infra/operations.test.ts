import { describe, expect, it } from 'vitest';
import { actionsOf, logicalIdWhere, resourcesOf, roleOfFunction, statementsOfRole, synthesize, type CfnJson } from './stack-template.ts';

const { template, json } = synthesize();
const table = logicalIdWhere(json, 'AWS::DynamoDB::Table', () => true);
const ofType = (j: CfnJson, type: string) => Object.entries(j.Resources).filter(([, r]) => r.Type === type);
const onlyOf = (j: CfnJson, type: string) => {
  const found = ofType(j, type);
  expect(found, type).toHaveLength(1);
  return found[0]!;
};
/** The logical id behind a Ref or Fn::GetAtt. */
const target = (ref: unknown) => {
  const r = ref as { Ref?: string; 'Fn::GetAtt'?: [string, string] };
  return r.Ref ?? r['Fn::GetAtt']?.[0];
};

describe('alarms call someone', () => {
  const topicOf = () => onlyOf(json, 'AWS::SNS::Topic');

  it('sends every alarm to the one alarm topic', () => {
    const [topic] = topicOf();
    const alarms = ofType(json, 'AWS::CloudWatch::Alarm');
    expect(alarms.length).toBeGreaterThanOrEqual(7);
    for (const [id, alarm] of alarms) expect(alarm.Properties?.AlarmActions, id).toEqual([{ Ref: topic }]);
  });

  it('keeps the topic encrypted and refuses publishing without TLS', () => {
    const [topic, topicResource] = topicOf();
    expect(topicResource.Properties?.KmsMasterKeyId).toBeDefined();
    const [, policy] = onlyOf(json, 'AWS::SNS::TopicPolicy');
    expect(policy.Properties?.Topics).toEqual([{ Ref: topic }]);
    const statements = (policy.Properties?.PolicyDocument as { Statement: { Effect: string; Condition?: unknown }[] }).Statement;
    expect(statements).toContainEqual(expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }));
  });

  it('lets CloudWatch alarms use the topic key (SNS\'s AWS-managed key would not let them publish)', () => {
    const [, topicResource] = topicOf();
    const key = target(topicResource.Properties?.KmsMasterKeyId);
    const keyPolicy = json.Resources[key ?? '']?.Properties?.KeyPolicy as { Statement: { Principal?: { Service?: unknown }; Action: string[] }[] } | undefined;
    const forCloudWatch = keyPolicy?.Statement.find((s) => s.Principal?.Service === 'cloudwatch.amazonaws.com');
    expect(forCloudWatch?.Action).toEqual(expect.arrayContaining(['kms:Decrypt', 'kms:GenerateDataKey*']));
  });

  it('encrypts the topic with the data key when the stack creates one', () => {
    const created = synthesize({ 'strata:encryptionKey': 'create' }).json;
    const [, createdTopic] = onlyOf(created, 'AWS::SNS::Topic');
    const [dataKey] = onlyOf(created, 'AWS::KMS::Key');
    expect(target(createdTopic.Properties?.KmsMasterKeyId)).toBe(dataKey);
  });

  it('publishes the topic ARN as a stack output', () => {
    const [topic] = topicOf();
    template.hasOutput('AlarmTopicArn', { Value: { Ref: topic } });
  });

  it('subscribes the address of strata:alarmEmail, and nobody without it', () => {
    expect(ofType(json, 'AWS::SNS::Subscription')).toEqual([]);
    const subscribed = synthesize({ 'strata:alarmEmail': 'ops@example.com' }).json;
    const [, subscription] = onlyOf(subscribed, 'AWS::SNS::Subscription');
    expect(subscription.Properties).toMatchObject({ Protocol: 'email', Endpoint: 'ops@example.com', TopicArn: { Ref: onlyOf(subscribed, 'AWS::SNS::Topic')[0] } });
  });
});

describe('schedules', () => {
  const schedules = ofType(json, 'AWS::Scheduler::Schedule');
  type ScheduleTarget = { DeadLetterConfig?: { Arn: unknown }; RetryPolicy?: { MaximumRetryAttempts?: number; MaximumEventAgeInSeconds?: number } };

  it('has the broadcasts, the deferred sweep and the daily re-segmentation', () => {
    expect(schedules.length).toBeGreaterThanOrEqual(3);
  });

  it('gives every schedule a retry policy and a dead-letter queue', () => {
    for (const [id, schedule] of schedules) {
      const t = schedule.Properties?.Target as ScheduleTarget;
      expect(t.RetryPolicy?.MaximumRetryAttempts, id).toBeGreaterThan(0);
      expect(t.RetryPolicy?.MaximumEventAgeInSeconds, id).toBeGreaterThan(0);
      expect(json.Resources[target(t.DeadLetterConfig?.Arn) ?? '']?.Type, id).toBe('AWS::SQS::Queue');
    }
  });

  it('keeps the dead letters encrypted, behind TLS, with an alarm on any message waiting', () => {
    const queues = new Set(schedules.map(([, s]) => target((s.Properties?.Target as ScheduleTarget).DeadLetterConfig?.Arn)));
    for (const queue of queues) {
      expect(json.Resources[queue!]?.Properties?.SqsManagedSseEnabled, queue).toBe(true);
      const policy = ofType(json, 'AWS::SQS::QueuePolicy').find(([, p]) => (p.Properties?.Queues as unknown[]).some((q) => target(q) === queue));
      const statements = (policy?.[1].Properties?.PolicyDocument as { Statement: { Effect: string; Condition?: unknown }[] }).Statement;
      expect(statements).toContainEqual(expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }));
      const alarm = ofType(json, 'AWS::CloudWatch::Alarm').find(([, a]) =>
        (a.Properties?.Dimensions as { Name: string; Value: unknown }[] | undefined)?.some((d) => d.Name === 'QueueName' && target(d.Value) === queue));
      expect(alarm?.[1].Properties, queue).toMatchObject({ MetricName: 'ApproximateNumberOfMessagesVisible', Threshold: 0, ComparisonOperator: 'GreaterThanThreshold' });
    }
  });
});

describe('feedback event source', () => {
  it('reports item failures, so one bad event does not bring its batch back', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', { FunctionResponseTypes: ['ReportBatchItemFailures'] });
  });
});

describe('unsubscribe endpoint', () => {
  const entry = 'functions/campaign-dispatch/unsubscribe/handler.ts';
  const fn = logicalIdWhere(json, 'AWS::Lambda::Function', (_p, m) => m['strata:entry'] === entry);

  it('has a small reserved concurrency, so a flood of requests cannot take the account\'s Lambdas or the table', () => {
    expect(json.Resources[fn]?.Properties?.ReservedConcurrentExecutions).toBe(5);
    const tuned = synthesize({ 'strata:unsubscribeConcurrency': '2' }).json;
    const tunedFn = logicalIdWhere(tuned, 'AWS::Lambda::Function', (_p, m) => m['strata:entry'] === entry);
    expect(tuned.Resources[tunedFn]?.Properties?.ReservedConcurrentExecutions).toBe(2);
  });

  it('may only put suppression items: PutItem, on the table, for keys under SUPPRESS#', () => {
    const dynamo = statementsOfRole(json, roleOfFunction(json, entry)).filter((s) => actionsOf(s).some((a) => a.startsWith('dynamodb:')));
    expect(dynamo.length).toBeGreaterThan(0);
    for (const s of dynamo) {
      expect(actionsOf(s)).toEqual(['dynamodb:PutItem']);
      expect(resourcesOf(s)).toEqual([{ 'Fn::GetAtt': [table, 'Arn'] }]);
      expect(s.Condition).toEqual({ 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['SUPPRESS#*'] } });
    }
  });
});

describe('signing secret', () => {
  it('is retained with the stack, like the table and the bucket (links already sent stay verifiable)', () => {
    const [, secret] = onlyOf(json, 'AWS::SecretsManager::Secret');
    expect(secret).toMatchObject({ DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
  });
});
