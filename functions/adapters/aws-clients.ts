import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SFNClient } from '@aws-sdk/client-sfn';

/**
 * SDK clients, one per process. Endpoints come from the SDK's own AWS_ENDPOINT_URL_* variables,
 * which is how the embedded local stack points the unchanged handlers at its emulators.
 */
let documentClient: DynamoDBDocumentClient | undefined;
let s3: S3Client | undefined;
let ses: SESv2Client | undefined;
let lambda: LambdaClient | undefined;
let sfn: SFNClient | undefined;

export function dynamoDocumentClient(): DynamoDBDocumentClient {
  documentClient ??= DynamoDBDocumentClient.from(new DynamoDBClient({ maxAttempts: 8 }), {
    marshallOptions: { removeUndefinedValues: true },
  });
  return documentClient;
}

export function s3Client(): S3Client {
  // Path-style addressing only where an endpoint override is set (the local emulator).
  s3 ??= new S3Client({ forcePathStyle: process.env.AWS_ENDPOINT_URL_S3 !== undefined });
  return s3;
}

export function sesClient(): SESv2Client {
  // No SDK retries: a retry after a timeout could send a batch twice; the dispatcher retries what is safe.
  ses ??= new SESv2Client({ maxAttempts: 1 });
  return ses;
}

export function lambdaClient(): LambdaClient {
  lambda ??= new LambdaClient({ maxAttempts: 6 });
  return lambda;
}

export function sfnClient(): SFNClient {
  sfn ??= new SFNClient({ maxAttempts: 4 });
  return sfn;
}

/** Drops the cached clients, for the local stack when its emulators move to new ports. */
export function resetClients(): void {
  documentClient?.destroy();
  s3?.destroy();
  ses?.destroy();
  lambda?.destroy();
  sfn?.destroy();
  lambda = undefined;
  sfn = undefined;
  documentClient = undefined;
  s3 = undefined;
  ses = undefined;
}
