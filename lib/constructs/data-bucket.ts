import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { acknowledge } from '../nag.ts';
import { Construct } from 'constructs';
import { PREFIXES } from '../../functions/core/object-key.ts';
import { SEGMENTS_PREFIX } from '../../functions/core/segments/catalog.ts';
import { CAMPAIGNS_PREFIX } from '../../functions/core/campaign.ts';
import { LATEST_MODEL_KEY } from '../../functions/core/models/fitted-model.ts';

export interface DataBucketProps {
  /** Days an applied upload stays in incoming/ before it expires. */
  readonly incomingRetentionDays?: number;
  readonly quarantineRetentionDays?: number;
  readonly reportRetentionDays?: number;
  /** Audience exports hold hashed e-mails for ad platforms: keep them briefly. */
  readonly exportRetentionDays?: number;
}

/**
 * The bucket files arrive in and reports leave from: encrypted, private, TLS only, versioned,
 * with a lifecycle rule per prefix and server access logs in a second bucket.
 */
export class DataBucket extends Construct {
  readonly bucket: s3.Bucket;
  /** The server access log target (S3 allows only SSE-S3 there). */
  readonly accessLogs: s3.Bucket;

  constructor(scope: Construct, id: string, props: DataBucketProps = {}) {
    super(scope, id);
    const accessLogs = (this.accessLogs = new s3.Bucket(this, 'AccessLogs', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
      lifecycleRules: [{ id: 'expire-access-logs', expiration: Duration.days(365) }],
      removalPolicy: RemovalPolicy.RETAIN,
    }));
    acknowledge(accessLogs, [
      { id: 'AwsSolutions-S1', reason: 'This is the server access log bucket; logging it into itself would loop.' },
    ]);

    const expireUnder = (ruleId: string, prefix: string, days: number): s3.LifecycleRule => ({
      id: ruleId,
      prefix,
      expiration: Duration.days(days),
      noncurrentVersionExpiration: Duration.days(7),
    });
    this.bucket = new s3.Bucket(this, 'Bucket', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: true,
      serverAccessLogsBucket: accessLogs,
      serverAccessLogsPrefix: 'data-bucket/',
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: [
        { id: 'abort-incomplete-uploads', abortIncompleteMultipartUploadAfter: Duration.days(2) },
        expireUnder('expire-incoming', PREFIXES.incoming, props.incomingRetentionDays ?? 90),
        expireUnder('expire-quarantine', PREFIXES.quarantine, props.quarantineRetentionDays ?? 90),
        expireUnder('expire-reports', PREFIXES.reports, props.reportRetentionDays ?? 400),
        expireUnder('expire-exports', PREFIXES.exports, props.exportRetentionDays ?? 30),
        // Chunked-ingest scratch state is useless once its file is applied; a failed run is retried within hours.
        expireUnder('expire-work', PREFIXES.work, 3),
      ],
    });
  }
}

/**
 * Read access to the segment definitions under config/segments/: listing limited to that prefix by
 * condition, reading limited to its objects.
 */
export function grantReadSegmentDefinitions(role: iam.IRole, bucket: s3.IBucket): void {
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({ actions: ['s3:ListBucket'], resources: [bucket.bucketArn], conditions: { StringLike: { 's3:prefix': [`${SEGMENTS_PREFIX}*`] } } }),
  );
  role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [bucket.arnForObjects(`${SEGMENTS_PREFIX}*`)] }));
}

/** Segment evaluation reads the latest fitted model (model.* facts): that one object, nothing else of models/. */
export function grantReadLatestModel(role: iam.IRole, bucket: s3.IBucket): void {
  role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [bucket.arnForObjects(LATEST_MODEL_KEY)] }));
}

export function segmentDefinitionsAcknowledgement(bucketLogicalId: string): { id: string; reason: string } {
  return {
    id: `AwsSolutions-IAM5[Resource::<${bucketLogicalId}.Arn>/${SEGMENTS_PREFIX}*]`,
    reason: 'Segment definitions are files chosen by their authors under config/segments/; reading is limited to that prefix.',
  };
}

/** Read access to the campaign definitions under config/campaigns/ (definitions, MJML, HTML, paused markers), as for segments. */
export function grantReadCampaignDefinitions(role: iam.IRole, bucket: s3.IBucket): void {
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({ actions: ['s3:ListBucket'], resources: [bucket.bucketArn], conditions: { StringLike: { 's3:prefix': [`${CAMPAIGNS_PREFIX}*`] } } }),
  );
  role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [bucket.arnForObjects(`${CAMPAIGNS_PREFIX}*`)] }));
}

export function campaignDefinitionsAcknowledgement(bucketLogicalId: string): { id: string; reason: string } {
  return {
    id: `AwsSolutions-IAM5[Resource::<${bucketLogicalId}.Arn>/${CAMPAIGNS_PREFIX}*]`,
    reason: 'Campaign definitions are files named by their campaigns under config/campaigns/; reading is limited to that prefix.',
  };
}
