import { Stack, type IAspect } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { IConstruct } from 'constructs';

/** The services that use the key on a caller's behalf (the caller still needs its own IAM grant on the data). */
const SERVICES_USING_THE_KEY = ['s3', 'dynamodb', 'sqs', 'secretsmanager', 'sns'] as const;

/**
 * A customer-managed KMS key for everything strata stores: rotated yearly, retained when the stack
 * goes, usable only through the services that hold strata's data (as an AWS-managed key is) and by
 * CloudWatch Logs for strata's log groups, and by EventBridge to deliver SES events to the feedback queue.
 */
export function createDataKey(scope: Stack): kms.Key {
  const key = new kms.Key(scope, 'DataKey', {
    description: 'strata: customer data at rest (bucket, table, queues, logs, signing secret, alarm topic)',
    enableKeyRotation: true,
    alias: `alias/${scope.stackName.toLowerCase()}-data`,
  });
  allowServiceUse(key, scope);
  return key;
}

function allowServiceUse(key: kms.Key, stack: Stack): void {
  key.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: 'UseThroughStrataServices',
      principals: [new iam.AnyPrincipal()],
      actions: ['kms:Encrypt', 'kms:Decrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:DescribeKey', 'kms:CreateGrant'],
      resources: ['*'],
      conditions: {
        StringEquals: {
          'kms:CallerAccount': stack.account,
          'kms:ViaService': SERVICES_USING_THE_KEY.map((service) => `${service}.${stack.region}.amazonaws.com`),
        },
      },
    }),
  );
  key.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: 'CloudWatchLogsOfThisAccount',
      principals: [new iam.ServicePrincipal(`logs.${stack.region}.amazonaws.com`)],
      actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
      resources: ['*'],
      conditions: { ArnLike: { 'kms:EncryptionContext:aws:logs:arn': `arn:${stack.partition}:logs:${stack.region}:${stack.account}:log-group:*` } },
    }),
  );
  key.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: 'EventBridgeToEncryptedQueues',
      principals: [new iam.ServicePrincipal('events.amazonaws.com')],
      actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
      resources: ['*'],
      conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
    }),
  );
}

/**
 * Switches every data store below a scope from AWS-managed to the customer-managed key: S3
 * buckets (except server access log targets, which S3 allows only with SSE-S3), DynamoDB tables,
 * SQS queues, CloudWatch log groups and Secrets Manager secrets. An aspect, so a construct added
 * later is covered without having to remember the key.
 */
export class CustomerManagedEncryption implements IAspect {
  private readonly keepS3Managed: ReadonlySet<IConstruct>;

  constructor(
    private readonly key: kms.IKey,
    options: { readonly keepS3Managed?: readonly s3.IBucket[] } = {},
  ) {
    this.keepS3Managed = new Set((options.keepS3Managed ?? []).map((b) => b.node.defaultChild ?? b));
  }

  visit(node: IConstruct): void {
    const keyArn = this.key.keyArn;
    if (node instanceof s3.CfnBucket && !this.keepS3Managed.has(node)) {
      node.bucketEncryption = {
        serverSideEncryptionConfiguration: [{ serverSideEncryptionByDefault: { sseAlgorithm: 'aws:kms', kmsMasterKeyId: keyArn }, bucketKeyEnabled: true }],
      };
    } else if (node instanceof dynamodb.CfnTable) {
      node.sseSpecification = { sseEnabled: true, sseType: 'KMS', kmsMasterKeyId: keyArn };
    } else if (node instanceof sqs.CfnQueue) {
      node.sqsManagedSseEnabled = undefined;
      node.kmsMasterKeyId = keyArn;
    } else if (node instanceof logs.CfnLogGroup) {
      node.kmsKeyId = keyArn;
    } else if (node instanceof secretsmanager.CfnSecret) {
      node.kmsKeyId = keyArn;
    }
  }
}
