import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterEach, describe, expect, it } from 'vitest';
import { defaultProvider } from '../../functions/adapters/lambda-credentials.ts';

const VARIABLES = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_CREDENTIAL_EXPIRATION', 'AWS_PROFILE'] as const;

describe("the Lambda bundles' credential provider", () => {
  const saved = Object.fromEntries(VARIABLES.map((name) => [name, process.env[name]]));
  afterEach(() => {
    for (const name of VARIABLES) {
      if (saved[name] === undefined) Reflect.deleteProperty(process.env, name);
      else process.env[name] = saved[name];
    }
  });

  const setRole = (session: string) => {
    process.env.AWS_ACCESS_KEY_ID = 'ASIAEXAMPLEROLEKEY';
    process.env.AWS_SECRET_ACCESS_KEY = 'role-secret';
    process.env.AWS_SESSION_TOKEN = session;
  };

  it('gives an SDK client the execution role credentials Lambda puts in the environment', async () => {
    setRole('session-1');
    process.env.AWS_CREDENTIAL_EXPIRATION = '2030-01-01T00:00:00Z';
    const client = new DynamoDBClient({ region: 'us-east-1', credentialDefaultProvider: defaultProvider });
    const credentials = await client.config.credentials();
    expect(credentials).toMatchObject({ accessKeyId: 'ASIAEXAMPLEROLEKEY', secretAccessKey: 'role-secret', sessionToken: 'session-1' });
    expect(credentials.expiration?.toISOString()).toBe('2030-01-01T00:00:00.000Z');
    client.destroy();
  });

  it('reads the environment when asked, not when made', async () => {
    const provider = defaultProvider();
    setRole('session-2');
    await expect(provider()).resolves.toMatchObject({ sessionToken: 'session-2' });
  });

  it('refuses without keys, as the SDK does when no link of its chain answers', async () => {
    for (const name of VARIABLES) Reflect.deleteProperty(process.env, name);
    await expect(defaultProvider()()).rejects.toMatchObject({ name: 'CredentialsProviderError', tryNextLink: false, message: expect.stringMatching(/AWS_ACCESS_KEY_ID/) as unknown });
  });
});
