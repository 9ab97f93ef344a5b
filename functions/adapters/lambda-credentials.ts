/** The SDK's AwsCredentialIdentity, as the SDK's fromEnv fills it. */
interface EnvironmentCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
  readonly expiration?: Date;
  readonly credentialScope?: string;
  readonly accountId?: string;
  readonly $source: Readonly<Record<string, string>>;
}

/**
 * The SDK clients' default credential provider inside a strata Lambda bundle, which esbuild puts in
 * place of @aws-sdk/credential-provider-node (the alias in STRATA_BUNDLING,
 * lib/constructs/strata-function.ts); the CLI and the tests run the SDK's own chain.
 *
 * Lambda hands every function its execution role's credentials in the environment
 * (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN), which is the first link of the
 * SDK's chain and the one that answers on Lambda. The other links (SSO, shared config files,
 * credential processes, web identity tokens, container and instance metadata) never do there,
 * yet their code, three nested STS/SSO/sign-in clients among it, was over a quarter of a bundle
 * that each cold start parses. The local stack gives its functions credentials the same way.
 */
export const defaultProvider =
  (init: { readonly logger?: { readonly debug?: (message: string) => void } } = {}) =>
  async (): Promise<EnvironmentCredentials> => {
    init.logger?.debug?.('strata lambda-credentials - fromEnv');
    const env = process.env;
    const accessKeyId = env.AWS_ACCESS_KEY_ID;
    const secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
    if (!accessKeyId || !secretAccessKey) {
      // The SDK's CredentialsProviderError, by its name and its flag: no further link to try.
      throw Object.assign(new Error('Unable to find environment variable credentials (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY), which Lambda sets for every function.'), {
        name: 'CredentialsProviderError',
        tryNextLink: false,
      });
    }
    const expiration = env.AWS_CREDENTIAL_EXPIRATION;
    return {
      accessKeyId,
      secretAccessKey,
      ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}),
      ...(expiration ? { expiration: new Date(expiration) } : {}),
      ...(env.AWS_CREDENTIAL_SCOPE ? { credentialScope: env.AWS_CREDENTIAL_SCOPE } : {}),
      ...(env.AWS_ACCOUNT_ID ? { accountId: env.AWS_ACCOUNT_ID } : {}),
      // As the SDK's fromEnv marks them, for the user agent's credential-source feature.
      $source: { CREDENTIALS_ENV_VARS: 'g' },
    };
  };
