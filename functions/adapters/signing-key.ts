import * as fs from 'node:fs';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

/**
 * The key that signs unsubscribe links: from Secrets Manager when deployed, from a file the local
 * stack writes under .strata/ when running locally (the emulators have no Secrets Manager).
 */
export async function loadSigningKey(source: { secretArn?: string | undefined; secretFile?: string | undefined }): Promise<string> {
  if (source.secretFile !== undefined) return fs.readFileSync(source.secretFile, 'utf-8').trim();
  if (source.secretArn === undefined) throw new Error('UNSUBSCRIBE_SECRET_ARN is not configured; unsubscribe links cannot be signed');
  const client = new SecretsManagerClient({});
  try {
    const { SecretString } = await client.send(new GetSecretValueCommand({ SecretId: source.secretArn }));
    if (!SecretString) throw new Error(`the secret ${source.secretArn} has no string value`);
    return SecretString;
  } finally {
    client.destroy();
  }
}
