import { describe, expect, it } from 'vitest';
import { Match } from 'aws-cdk-lib/assertions';
import { actionsOf, logicalIdWhere, resourcesOf, roleOfFunction, statementsOfRole, synthesize } from './stack-template.ts';
import { FEEDBACK_BATCH_SIZE } from '../../functions/core/feedback/sending-guard.ts';

const { template, json } = synthesize();
const table = logicalIdWhere(json, 'AWS::DynamoDB::Table', () => true);
const configurationSet = logicalIdWhere(json, 'AWS::SES::ConfigurationSet', () => true);
const feedbackFunction = logicalIdWhere(json, 'AWS::Lambda::Function', (_p, m) => m['strata:entry'] === 'functions/feedback/handler.ts');
const eventsQueue = logicalIdWhere(json, 'AWS::SQS::Queue', (p) => p.RedrivePolicy !== undefined);

describe('SES feedback', () => {
  it('publishes every sending event of the configuration set to the default EventBridge bus', () => {
    template.hasResourceProperties('AWS::SES::ConfigurationSetEventDestination', {
      ConfigurationSetName: { Ref: configurationSet },
      EventDestination: {
        Enabled: true,
        MatchingEventTypes: Match.arrayEquals(['send', 'delivery', 'bounce', 'complaint', 'open', 'click', 'renderingFailure', 'reject', 'deliveryDelay']),
        EventBridgeDestination: { EventBusArn: Match.objectLike({ 'Fn::Join': Match.arrayWith([Match.arrayWith([':event-bus/default']) ]) }) },
      },
    });
  });

  it('routes only that configuration set\'s SES events to the feedback queue', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.ses'],
        'detail-type': [
          'Email Sent', 'Email Delivered', 'Email Bounced', 'Email Complaint Received', 'Email Opened', 'Email Clicked',
          'Email Rendering Failed', 'Email Rejected', 'Email Delivery Delayed',
        ],
        detail: { mail: { tags: { 'ses:configuration-set': [{ Ref: configurationSet }] } } },
      },
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [eventsQueue, 'Arn'] } })],
    });
  });

  it('feeds the Lambda in batches from an encrypted queue with a dead-letter queue', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: feedbackFunction },
      EventSourceArn: { 'Fn::GetAtt': [eventsQueue, 'Arn'] },
      BatchSize: FEEDBACK_BATCH_SIZE,
    });
    const queue = json.Resources[eventsQueue]!.Properties!;
    expect(queue.SqsManagedSseEnabled).toBe(true);
    expect(queue.RedrivePolicy).toMatchObject({ maxReceiveCount: 5 });
  });

  it('reads and writes only the table (no index, no scan, no bucket, no e-mail)', () => {
    const statements = statementsOfRole(json, roleOfFunction(json, 'functions/feedback/handler.ts'));
    const dynamo = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('dynamodb:')));
    expect(dynamo.map((s) => ({ actions: [...actionsOf(s)].sort(), resources: resourcesOf(s) }))).toEqual([
      {
        actions: ['dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem'],
        resources: [{ 'Fn::GetAtt': [table, 'Arn'] }],
      },
    ]);
    const others = statements.flatMap(actionsOf).filter((a) => !a.startsWith('dynamodb:') && !a.startsWith('logs:') && !a.startsWith('sqs:') && !a.startsWith('xray:'));
    expect(others).toEqual([]);
    const sqsResources = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('sqs:'))).flatMap(resourcesOf);
    expect(sqsResources).toEqual([{ 'Fn::GetAtt': [eventsQueue, 'Arn'] }]);
  });

  it.each([
    ['Reputation.BounceRate', 0.05],
    ['Reputation.ComplaintRate', 0.001],
  ])('alarms when the SES %s passes %s', (metricName, threshold) => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/SES',
      MetricName: metricName,
      Threshold: threshold,
      ComparisonOperator: 'GreaterThanThreshold',
    });
  });

  it('alarms when the sending guard pauses sending', () => {
    template.hasResourceProperties('AWS::Logs::MetricFilter', {
      FilterPattern: '{ $.message = "sending paused" }',
      MetricTransformations: [Match.objectLike({ MetricNamespace: 'strata', MetricName: 'SendingPaused' })],
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { Namespace: 'strata', MetricName: 'SendingPaused', Threshold: 1 });
  });
});
