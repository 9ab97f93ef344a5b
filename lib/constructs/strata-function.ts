import * as path from 'node:path';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { NodejsFunction, OutputFormat, type BundlingOptions } from 'aws-cdk-lib/aws-lambda-nodejs';
import { acknowledge } from '../nag.ts';
import { Construct } from 'constructs';
import { PROJECT_ROOT } from '../project-root.ts';
import { ENTRY_METADATA_KEY } from '../metadata-keys.ts';

export interface StrataFunctionProps {
  /** The handler file, relative to the project root, e.g. functions/ingest-pipeline/handler.ts. */
  readonly entry: string;
  readonly description: string;
  readonly environment?: Readonly<Record<string, string>>;
  readonly timeout?: Duration;
  readonly memorySize?: number;
  /** Concurrency set aside for (and the most allowed to) this function. Default none: the account's pool. */
  readonly reservedConcurrentExecutions?: number;
  readonly logRetention?: logs.RetentionDays;
  /** Lambda runtime. Default Node.js 22 (the strata:lambdaRuntime context selects nodejs24.x). */
  readonly runtime?: lambda.Runtime;
  /** Project folders whose files the function reads at run time, copied into the bundle at the same path. */
  readonly copyFolders?: readonly string[];
  /** Folders made at synth (absolute source), copied into the bundle at `target`. */
  readonly bundledFolders?: readonly { readonly source: string; readonly target: string }[];
}

const RUNTIMES: Readonly<Record<string, lambda.Runtime>> = {
  'nodejs22.x': lambda.Runtime.NODEJS_22_X,
  'nodejs24.x': lambda.Runtime.NODEJS_24_X,
};

/** The runtime named by the strata:lambdaRuntime context (cdk.json or -c), Node.js 22 by default. */
function runtimeFromContext(scope: Construct): lambda.Runtime {
  const name: unknown = scope.node.tryGetContext('strata:lambdaRuntime') ?? 'nodejs22.x';
  const runtime = RUNTIMES[String(name)];
  if (runtime === undefined) throw new Error(`strata:lambdaRuntime must be one of ${Object.keys(RUNTIMES).join(', ')}, got ${String(name)}`);
  return runtime;
}

/**
 * The esbuild options of every strata Lambda, exported so bench/bundle-lambda.ts measures the
 * bundles exactly as deployed. The code targets Node 22, the oldest runtime strata deploys to; it
 * runs unchanged on Node 24.
 * Nothing is external, not even the AWS SDK v3 the runtime provides: loading its CommonJS files one
 * by one was most of a cold start past a second, while its ES modules bundled and tree-shaken cost
 * a fraction of that; the bundle also runs the SDK version the lockfile pins and the tests ran.
 * The bundle is CommonJS (index.js, which the runtime require()s): an ES module bundle imports the
 * SDK's Node built-ins (node:http, node:crypto, ...) as ES modules, and Node builds each one's
 * module namespace by reading every export, which runs the built-ins' lazy getters (node:http's
 * loads undici): tens of milliseconds of each cold start that require() does not spend. No handler
 * uses top-level await or import.meta, the two things CommonJS output cannot carry.
 */
export const STRATA_BUNDLING = {
  format: OutputFormat.CJS,
  minify: true,
  sourceMap: true,
  // Stack traces need file and line only: the map carries no sources' text, a third of the size.
  sourcesContent: false,
  // Stack traces through the map, read when a stack is first formatted: Node's --enable-source-maps
  // reads, parses and measures it while loading the bundle, about a third of a cold import.
  inject: ['./functions/commons/source-mapped-stacks.ts'],
  target: 'node22',
  // The SDK's and zod's ES module builds, which esbuild tree-shakes; their CommonJS builds it cannot.
  mainFields: ['module', 'main'],
  externalModules: [],
  // The SDK's default credential chain, of which only its first link (the environment) answers on
  // Lambda, replaced by that link alone: the rest, nested STS, SSO and sign-in clients among it,
  // was over a quarter of each bundle (functions/adapters/lambda-credentials.ts).
  esbuildArgs: { '--alias:@aws-sdk/credential-provider-node': './functions/adapters/lambda-credentials.ts' },
} as const satisfies BundlingOptions;

/** Environment every strata Lambda starts with; the cold-start benchmark imports bundles under it. */
export const STRATA_FUNCTION_ENVIRONMENT: Readonly<Record<string, string>> = {
  // No --enable-source-maps in NODE_OPTIONS: the bundles map their stack traces themselves, lazily (inject above).
  POWERTOOLS_LOG_LEVEL: 'INFO',
};

/**
 * A strata Lambda: Node 22 on arm64, bundled by the local esbuild, its own role holding only
 * write access to its own log group (callers add the rest), logs kept for a set time.
 */
export class StrataFunction extends Construct {
  readonly function: NodejsFunction;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: StrataFunctionProps) {
    super(scope, id);
    const logGroup = (this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention ?? logs.RetentionDays.THREE_MONTHS,
      removalPolicy: RemovalPolicy.DESTROY,
    }));
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `${props.description} (strata)`,
    });
    logGroup.grantWrite(this.role);
    this.function = new NodejsFunction(this, 'Function', {
      entry: path.join(PROJECT_ROOT, props.entry),
      handler: 'handler',
      description: props.description,
      runtime: props.runtime ?? runtimeFromContext(this),
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.minutes(1),
      ...(props.reservedConcurrentExecutions === undefined ? {} : { reservedConcurrentExecutions: props.reservedConcurrentExecutions }),
      role: this.role,
      logGroup,
      // X-Ray traces across S3, DynamoDB, SES and Step Functions calls; sampled, no payloads.
      tracing: lambda.Tracing.ACTIVE,
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: path.join(PROJECT_ROOT, 'package-lock.json'),
      environment: {
        ...STRATA_FUNCTION_ENVIRONMENT,
        ...props.environment,
      },
      bundling: {
        ...STRATA_BUNDLING,
        mainFields: [...STRATA_BUNDLING.mainFields],
        externalModules: [...STRATA_BUNDLING.externalModules],
        inject: [...STRATA_BUNDLING.inject],
        esbuildArgs: { ...STRATA_BUNDLING.esbuildArgs },
        ...((props.copyFolders ?? []).length === 0 && (props.bundledFolders ?? []).length === 0
          ? {}
          : {
              commandHooks: {
                beforeBundling: () => [],
                beforeInstall: () => [],
                afterBundling: (inputDir: string, outputDir: string) => [
                  ...(props.copyFolders ?? []).map((folder) => `mkdir -p "${outputDir}/${folder}" && cp -R "${inputDir}/${folder}/." "${outputDir}/${folder}/"`),
                  ...(props.bundledFolders ?? []).map(({ source, target }) => `mkdir -p "${outputDir}/${target}" && cp -R "${source}/." "${outputDir}/${target}/"`),
                ],
              },
            }),
      },
    });
    acknowledge(this.role, [
      {
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason: 'X-Ray tracing: xray:PutTraceSegments and xray:PutTelemetryRecords support no resource-level permissions (an infrastructure test checks that nothing else is granted on "*").',
      },
    ]);
    (this.function.node.defaultChild as lambda.CfnFunction).addMetadata(ENTRY_METADATA_KEY, props.entry);

    acknowledge(this.function, [
      {
        id: 'AwsSolutions-L1',
        reason: 'Node.js 22 by default, the major the code and its bundles target; the strata:lambdaRuntime context selects nodejs24.x, the latest.',
      },
      {
        id: 'Serverless-LambdaLatestVersion',
        reason: 'Node.js 22 by default, as for AwsSolutions-L1; the strata:lambdaRuntime context selects nodejs24.x, the latest.',
      },
      {
        id: 'Serverless-LambdaDLQ',
        reason:
          'A Lambda dead-letter target only catches asynchronous invocations. The one function S3 invokes asynchronously (ingest) sends failures to an SQS on-failure destination with an alarm; the others are invoked synchronously (Step Functions with Retry/Catch, the Scheduler with its own retry policy, an SQS event source with a redrive policy, a function URL), where the caller sees the error.',
      },
    ]);
  }
}
