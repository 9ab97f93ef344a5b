import { describe, expect, it } from 'vitest';
import { synthesize, type CfnJson } from './stack-template.ts';

const ofType = (json: CfnJson, type: string) => Object.entries(json.Resources).filter(([, r]) => r.Type === type);
const keyRef = (json: CfnJson) => ({ 'Fn::GetAtt': [ofType(json, 'AWS::KMS::Key')[0]![0], 'Arn'] });

describe('encryption at rest', () => {
  describe('by default (AWS-managed keys)', () => {
    const { json } = synthesize();

    it('creates no KMS key for data (only the alarm topic\'s, which CloudWatch needs) and encrypts every store with the service keys', () => {
      const [topic] = ofType(json, 'AWS::SNS::Topic');
      expect(ofType(json, 'AWS::KMS::Key').map(([id]) => ({ 'Fn::GetAtt': [id, 'Arn'] }))).toEqual([topic?.[1].Properties?.KmsMasterKeyId]);
      for (const [, bucket] of ofType(json, 'AWS::S3::Bucket')) {
        expect(bucket.Properties?.BucketEncryption).toEqual({ ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] });
      }
      for (const [, table] of ofType(json, 'AWS::DynamoDB::Table')) expect(table.Properties?.SSESpecification).toEqual({ SSEEnabled: true });
      for (const [, queue] of ofType(json, 'AWS::SQS::Queue')) expect(queue.Properties?.SqsManagedSseEnabled).toBe(true);
    });
  });

  describe('with strata:encryptionKey=create', () => {
    const { app, json } = synthesize({ 'strata:encryptionKey': 'create' });
    const key = keyRef(json);

    it('passes cdk-nag (AwsSolutions and Serverless)', () => {
      expect(() => app.synth()).not.toThrow();
    });

    it('makes one rotated key that outlives the stack', () => {
      const keys = ofType(json, 'AWS::KMS::Key');
      expect(keys).toHaveLength(1);
      expect(keys[0]![1].Properties).toMatchObject({ EnableKeyRotation: true });
      expect((keys[0]![1] as { DeletionPolicy?: string }).DeletionPolicy).toBe('Retain');
    });

    it('lets the key be used only through S3, DynamoDB, SQS, Secrets Manager and SNS of this account, CloudWatch Logs, EventBridge and CloudWatch alarms', () => {
      const policy = ofType(json, 'AWS::KMS::Key')[0]![1].Properties!.KeyPolicy as { Statement: { Sid?: string; Principal: unknown; Condition?: Record<string, Record<string, unknown>> }[] };
      const viaService = policy.Statement.find((s) => s.Sid === 'UseThroughStrataServices');
      expect(viaService?.Principal).toEqual({ AWS: '*' });
      expect(viaService?.Condition?.StringEquals?.['kms:CallerAccount']).toEqual({ Ref: 'AWS::AccountId' });
      const services = JSON.stringify(viaService?.Condition?.StringEquals?.['kms:ViaService']);
      for (const service of ['s3.', 'dynamodb.', 'sqs.', 'secretsmanager.', 'sns.']) expect(services).toContain(service);
      expect(policy.Statement.map((s) => s.Sid).filter(Boolean).sort()).toEqual(['CloudWatchAlarmsPublishToTheAlarmTopic', 'CloudWatchLogsOfThisAccount', 'EventBridgeToEncryptedQueues', 'UseThroughStrataServices']);
    });

    it('encrypts the data bucket, table, queues, log groups and signing secret with it; access logs stay SSE-S3 as S3 requires', () => {
      const buckets = ofType(json, 'AWS::S3::Bucket').map(([, b]) => JSON.stringify(b.Properties?.BucketEncryption));
      expect(buckets.filter((b) => b.includes('aws:kms') && b.includes(JSON.stringify(key)))).toHaveLength(1);
      expect(buckets.filter((b) => b.includes('AES256'))).toHaveLength(1);
      for (const [, table] of ofType(json, 'AWS::DynamoDB::Table')) expect(table.Properties?.SSESpecification).toEqual({ SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: key });
      const queues = ofType(json, 'AWS::SQS::Queue');
      expect(queues.length).toBeGreaterThan(0);
      for (const [, queue] of queues) expect(queue.Properties).toMatchObject({ KmsMasterKeyId: key });
      for (const [, queue] of queues) expect(queue.Properties?.SqsManagedSseEnabled).toBeUndefined();
      const logGroups = ofType(json, 'AWS::Logs::LogGroup');
      expect(logGroups.length).toBeGreaterThan(4);
      for (const [, group] of logGroups) expect(group.Properties).toMatchObject({ KmsKeyId: key });
      for (const [, secret] of ofType(json, 'AWS::SecretsManager::Secret')) expect(secret.Properties).toMatchObject({ KmsKeyId: key });
    });
  });

  it('uses an existing key by ARN without creating one', () => {
    const arn = 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';
    const { json } = synthesize({ 'strata:encryptionKey': arn });
    expect(ofType(json, 'AWS::KMS::Key')).toEqual([]);
    for (const [, table] of ofType(json, 'AWS::DynamoDB::Table')) expect(table.Properties?.SSESpecification).toEqual({ SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: arn });
  });
});
