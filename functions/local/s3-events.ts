import type { S3EventRecord } from 'aws-lambda';

/** The record s3rver emits in-process for an upload: close to S3's, but not the same. */
export interface S3rverEvent {
  readonly Records: readonly {
    readonly eventName: string;
    readonly eventTime: string;
    readonly s3: {
      readonly bucket: { readonly name: string };
      readonly object: { readonly key: string; readonly size?: number; readonly eTag?: string; readonly sequencer: string };
    };
  }[];
}

/**
 * Reshapes s3rver's event into the record S3 really delivers: URL-encoded key with '+' for
 * spaces, the bucket ARN, and the fields the Lambda event type declares.
 */
export function toS3EventRecord(event: S3rverEvent): S3EventRecord {
  const raw = event.Records[0];
  if (raw === undefined) throw new Error('s3rver event without a record');
  const { bucket, object } = raw.s3;
  return {
    eventVersion: '2.1',
    eventSource: 'aws:s3',
    awsRegion: 'us-east-1',
    eventTime: raw.eventTime,
    eventName: raw.eventName as S3EventRecord['eventName'],
    userIdentity: { principalId: 'AWS:LOCAL' },
    requestParameters: { sourceIPAddress: '127.0.0.1' },
    responseElements: { 'x-amz-request-id': object.sequencer, 'x-amz-id-2': object.sequencer },
    s3: {
      s3SchemaVersion: '1.0',
      configurationId: 'strata-local',
      bucket: { name: bucket.name, ownerIdentity: { principalId: 'LOCAL' }, arn: `arn:aws:s3:::${bucket.name}` },
      object: {
        key: encodeURIComponent(object.key).replace(/%20/g, '+').replace(/%2F/g, '/'),
        size: object.size ?? 0,
        eTag: object.eTag ?? '',
        sequencer: object.sequencer,
      },
    },
  };
}
