import * as fs from 'node:fs';
import * as path from 'node:path';
import * as crypto from 'node:crypto';
import * as v8 from 'node:v8';
import { CreateTableCommand, DynamoDBClient, ListTablesCommand, type CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, HeadBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import type { S3Event } from 'aws-lambda';
import { CAMPAIGN_SEED_TYPE, ENTRY_METADATA_KEY } from '../../lib/metadata-keys.ts';
import { runCustomResources } from './custom-resources.ts';
import { resetClients } from '../adapters/aws-clients.ts';
import { functionAssetDirectory, resourcesOfType, synthesizeInChildProcess, type CfnResource, type CfnTemplate, type CloudAssembly } from './cloud-template.ts';
import { startDynamoDbFaultProxy, type DynamoDbInterceptor } from './dynamodb-faults.ts';
import { FunctionWorkers, runtimeNode, type FunctionRuntime, type InvocationType } from './function-workers.ts';
import { startEmulators, type Emulators } from './emulators.ts';
import { functionGates } from './iam-enforcement.ts';
import { localIamEnforced } from './iam-gate.ts';
import { toS3EventRecord, type S3rverEvent } from './s3-events.ts';
import { startInvokeServer } from './lambda-invoke-server.ts';
import { startStepFunctionsServer, type StartExecution } from './step-functions-server.ts';
import { startCloudFormationServer } from './cloudformation-server.ts';
import { executionRecords } from './execution-records.ts';
import { serveFunctionUrl } from './function-url.ts';
import { DEFAULT_STATE_DIR, OWNER_FILE, runningOwner, type Owner } from './state-dir.ts';
import { LOCAL_ACCOUNT, LOCAL_REGION, localArn } from './iam-policies.ts';

export const LOCAL_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;

export interface LocalFunction {
  readonly logicalId: string;
  readonly entry: string;
  /** The function's variables as the template gives them, resolved to local names. */
  readonly environment: Readonly<Record<string, string>>;
}

interface Notification {
  readonly bucket: string;
  readonly prefix: string;
  readonly suffix: string;
  readonly functionLogicalId: string;
}

export interface DeadLetter {
  readonly functionLogicalId: string;
  readonly event: unknown;
  readonly error: string;
}

/** One attempt of an asynchronous invocation, with its times (performance.now() ms), so tests can see overlap and retries. */
export interface InvocationAttempt {
  readonly functionLogicalId: string;
  readonly event: unknown;
  readonly attempt: number;
  readonly startedAt: number;
  endedAt?: number;
  error?: string;
}

export interface LocalStackOptions {
  /** Where emulator state persists between runs. Default .strata/ in the project. */
  readonly stateDir?: string;
  /** Evaluation time for the handlers (STRATA_AS_OF), for replaying historical data. */
  readonly asOf?: string;
  /** Handler log level (Powertools). Default WARN, so local output stays readable. */
  readonly logLevel?: string;
  /** CDK context for the synthesized app, e.g. { 'strata:senderAddress': ... }. */
  readonly context?: Record<string, unknown>;
  /** The MaxSendRate the SES emulator's GetAccount reports (recipients per second). Default 500. */
  readonly sesMaxSendRate?: number;
  /** Variables set on top of the template's for the function of an entry, as a changed template would. */
  readonly functionEnvironment?: Readonly<Record<string, Readonly<Record<string, string>>>>;
  /** Routes the functions' DynamoDB calls through a loopback proxy, so fault tests can intercept them (`interceptDynamoDb`). */
  readonly dynamoDbFaults?: boolean;
  /** Changes the synthesized template before the stack is built from it, as a changed construct would (tests). */
  readonly changeTemplate?: (template: CfnTemplate) => CfnTemplate;
}

/** The name the embedded stack answers to in its DescribeStacks (`strata --stack strata-local`). */
export const LOCAL_STACK_NAME = 'strata-local';

/** Where the embedded stack's services listen, by the SDK's endpoint variable: what another process needs to reach it as a deployed stack is reached. */
export type LocalEndpointVariables = Readonly<Record<string, string>>;

export interface LocalStack {
  readonly endpoints: { readonly dynamodb: string; readonly s3: string; readonly ses: string; readonly unsubscribe: string | undefined };
  /** AWS_ENDPOINT_URL_* of every service the stack serves (CloudFormation included), with the region and the SDK settings the emulators need. */
  readonly sdkEnvironment: LocalEndpointVariables;
  readonly stackName: string;
  readonly template: CfnTemplate;
  readonly tableName: string;
  readonly bucketName: string;
  readonly functions: readonly LocalFunction[];
  readonly deadLetters: readonly DeadLetter[];
  /** Every attempt of every asynchronous invocation (S3 events, Lambda Invoke with InvocationType Event) so far. */
  readonly invocations: readonly InvocationAttempt[];
  /** Where this stack's state lives (emulator files, the runner's execution records). */
  readonly stateDir: string;
  /** The stack's evaluation time when it replays history (see `--as-of`); undefined means the real clock. */
  readonly asOf: Date | undefined;
  /** Invokes a function by the entry of its handler, e.g. functions/campaign-dispatch/send/handler.ts. */
  invoke<T>(entry: string, event: unknown): Promise<T>;
  /** Uploads an object like a user would; S3 notifications then invoke their functions. Says which version it stored. */
  upload(key: string, body: string | Buffer): Promise<UploadedObject>;
  /** Whether another process (`strata local up`) owns the emulators and runs the S3-triggered handlers. */
  readonly attached: boolean;
  /** Sets (or with undefined, clears) what stands between the functions and DynamoDB; needs the dynamoDbFaults option. */
  interceptDynamoDb(interceptor: DynamoDbInterceptor | undefined): void;
  /** Throws AccessDenied unless the role of a resource (the state machine) may invoke the function, when IAM is enforced. */
  checkInvoke(callerLogicalId: string, functionLogicalId: string): Promise<void>;
  /** Throws AccessDenied unless the role of a resource (a state machine, a schedule) may perform the action on another resource, when IAM is enforced. */
  checkCall(callerLogicalId: string, action: string, resourceLogicalId: string): Promise<void>;
  /** Serves Step Functions StartExecution for the stack's state machines from now on (the caller runs the workflow). */
  serveStartExecution(start: StartExecution): void;
  /** Resolves when every S3-triggered invocation so far has finished. */
  settled(): Promise<void>;
  stop(): Promise<void>;
}

export { DEFAULT_STATE_DIR, runningOwner };

/** What S3 says of a stored upload: its ETag (without quotes, as S3 events carry it) and version, if versioned. */
export interface UploadedObject {
  readonly etag: string;
  readonly versionId: string | undefined;
}

/**
 * The embedded AWS stack: emulators on loopback, resources created from the synthesized template,
 * and every function run from its bundle in the cloud assembly, in worker processes of its own on
 * the runtime's Node, with only the environment the template gives it and the runtime provides.
 */
export async function startLocalStack(given: LocalStackOptions = {}): Promise<LocalStack> {
  keepHeapNearLiveSize();
  const stateDir = given.stateDir ?? DEFAULT_STATE_DIR;
  const options = { ...given, ...clockOf(stateDir, given.asOf) };
  const synthesized = synthesizeInChildProcess(options.context);
  const assembly = options.changeTemplate === undefined ? synthesized : { ...synthesized, template: options.changeTemplate(synthesized.template) };
  // The emulators' files admit one owner: while `strata local up` runs, other commands attach to it.
  const owner = runningOwner(stateDir);
  if (owner !== undefined) return wire(assembly, { ...owner.endpoints, s3rver: undefined, stop: async () => undefined }, options);
  const emulators = await startEmulators(stateDir);
  const ownerFile = path.join(stateDir, OWNER_FILE);
  const endpoints = { dynamodb: emulators.dynamodb, s3: emulators.s3, ses: emulators.ses };
  fs.writeFileSync(ownerFile, JSON.stringify({ pid: process.pid, endpoints }));
  const owned: LocalEmulators = {
    ...emulators,
    unsubscribe: undefined,
    stop: async () => {
      fs.rmSync(ownerFile, { force: true });
      await emulators.stop();
    },
  };
  try {
    const stack = await wire(assembly, owned, options);
    // Processes attaching to this stack link to the unsubscribe endpoint this one serves, and
    // reach its services (CloudFormation's outputs first) as they would reach a deployed stack.
    fs.writeFileSync(ownerFile, JSON.stringify({ pid: process.pid, endpoints: { ...endpoints, unsubscribe: stack.endpoints.unsubscribe }, stackName: stack.stackName, sdkEnvironment: stack.sdkEnvironment } satisfies Owner));
    return stack;
  } catch (error) {
    await owned.stop();
    throw error;
  }
}

/**
 * One process hosts the emulators (the functions run in workers of their own; these numbers were
 * measured when they shared it). On a machine with 16 GB or more, V8 lets the
 * old generation grow up to 4× what survived the last full collection before collecting again:
 * ~250 MB of heap for the ~55 MB an ingest keeps live. Growing by half keeps the heap near 120 MB
 * (387 → 237 MB peak RSS at 30,000 orders) for ~0.5 s more of full collections per 30,000 orders.
 * V8 reads the flag at each collection, so setting it once the process runs takes effect.
 */
function keepHeapNearLiveSize(): void {
  v8.setFlagsFromString('--heap-growing-percent=50');
}

const CLOCK_FILE = 'as-of.json';

/**
 * The local stack keeps its own clock: a stack loaded with history as of 1998-07-01 (the demo) is
 * evaluated as of that date by every later command too, until a command sets another date.
 */
function clockOf(stateDir: string, asOf: string | undefined): { asOf?: string } {
  const file = path.join(stateDir, CLOCK_FILE);
  if (asOf !== undefined) {
    fs.mkdirSync(stateDir, { recursive: true });
    fs.writeFileSync(file, JSON.stringify({ asOf }));
    return { asOf };
  }
  if (!fs.existsSync(file)) return {};
  const saved = (JSON.parse(fs.readFileSync(file, 'utf-8')) as { asOf?: unknown }).asOf;
  return typeof saved === 'string' ? { asOf: saved } : {};
}


/** Emulators this process started (with s3rver's in-process events), or endpoints of another process's. */
type LocalEmulators = Omit<Emulators, 's3rver'> & { readonly s3rver: Emulators['s3rver'] | undefined; readonly unsubscribe?: string | undefined };

async function wire(assembly: CloudAssembly, emulators: LocalEmulators, options: LocalStackOptions): Promise<LocalStack> {
  const { template } = assembly;
  // What stands in for the network: the SDK's endpoint overrides, in this process (the CLI's own
  // clients) and in every function's environment.
  const network: Record<string, string> = {
    AWS_ENDPOINT_URL_DYNAMODB: emulators.dynamodb,
    AWS_ENDPOINT_URL_S3: emulators.s3,
    AWS_ENDPOINT_URL_SESV2: emulators.ses,
    // s3rver predates the SDK's default CRC checksums.
    AWS_REQUEST_CHECKSUM_CALCULATION: 'WHEN_REQUIRED',
    AWS_RESPONSE_CHECKSUM_VALIDATION: 'WHEN_REQUIRED',
  };
  Object.assign(process.env, {
    AWS_REGION: LOCAL_REGION,
    AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
    ...network,
  });
  resetClients();
  const clientConfig = { region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS };
  const dynamodb = new DynamoDBClient({ ...clientConfig, endpoint: emulators.dynamodb });
  const s3 = new S3Client({ ...clientConfig, endpoint: emulators.s3, forcePathStyle: true });
  const ses = new SESv2Client({ ...clientConfig, endpoint: emulators.ses });

  const names = localNames(template);
  const resolve = (value: unknown) => resolveIntrinsic(value, names);

  const tables = resourcesOfType(template, 'AWS::DynamoDB::Table');
  const existing = new Set((await dynamodb.send(new ListTablesCommand({}))).TableNames ?? []);
  for (const [logicalId, resource] of tables) {
    const name = names.get(logicalId) ?? logicalId;
    if (!existing.has(name)) await dynamodb.send(new CreateTableCommand(toCreateTable(name, resource.Properties ?? {})));
  }
  const buckets = resourcesOfType(template, 'AWS::S3::Bucket');
  for (const [logicalId] of buckets) {
    const Bucket = names.get(logicalId) ?? logicalId;
    const exists = await s3.send(new HeadBucketCommand({ Bucket })).then(() => true, () => false);
    if (!exists) await s3.send(new CreateBucketCommand({ Bucket }));
  }

  const stateDir = options.stateDir ?? DEFAULT_STATE_DIR;
  // The SES emulator, in this process, answers GetAccount from it.
  process.env.AWS_SES_ACCOUNT = JSON.stringify(localSesAccount(options.sesMaxSendRate ?? 500));
  // The CLI's own commands read the stack's clock too.
  if (options.asOf !== undefined) process.env.STRATA_AS_OF = options.asOf;
  else delete process.env.STRATA_AS_OF;

  const lambdaResources = resourcesOfType(template, 'AWS::Lambda::Function').filter(([, r]) => typeof r.Metadata?.[ENTRY_METADATA_KEY] === 'string');
  const functions: LocalFunction[] = lambdaResources.map(([logicalId, r]) => ({
    logicalId,
    entry: String(r.Metadata?.[ENTRY_METADATA_KEY]),
    environment: Object.fromEntries(Object.entries(templateVariables(r)).map(([k, v]) => [k, String(resolve(v))])),
  }));
  const notifications = bucketNotifications(template, names);
  const faults = options.dynamoDbFaults === true ? await startDynamoDbFaultProxy(emulators.dynamodb) : undefined;
  const iam = localIamEnforced() ? functionGates(template) : undefined;
  const workers = new Map<string, FunctionWorkers>();
  let node: string | undefined;
  // The loopback Function URL: the owner's while attached, else the one served below, before any function starts.
  let unsubscribeUrl = emulators.unsubscribe;
  const workersOf = (fn: LocalFunction): FunctionWorkers => {
    let found = workers.get(fn.logicalId);
    if (found === undefined) {
      const resource = template.Resources[fn.logicalId] as CfnResource;
      node ??= runtimeNode();
      found = new FunctionWorkers(functionRuntime(fn, resource, assembly, { ...network, ...gatedEndpoints.get(fn.logicalId) }, { ...options, stateDir, unsubscribeUrl, names }), node);
      workers.set(fn.logicalId, found);
    }
    return found;
  };
  const invokeFunction = async <T>(fn: LocalFunction, event: unknown, type: InvocationType = 'RequestResponse'): Promise<T> =>
    (await workersOf(fn).invoke(event, type)) as T;

  // S3 → Lambda and Lambda → Lambda (Event) are asynchronous invocations: two retries, then the dead-letter list.
  const pending = new Set<Promise<void>>();
  const deadLetters: DeadLetter[] = [];
  const invocations: InvocationAttempt[] = [];
  const invokeAsync = (fn: LocalFunction, event: unknown) => {
    const run = (async () => {
      let lastError: unknown;
      for (let attempt = 0; attempt < 3; attempt++) {
        const record: InvocationAttempt = { functionLogicalId: fn.logicalId, event, attempt, startedAt: performance.now() };
        invocations.push(record);
        try {
          await invokeFunction(fn, event, 'Event');
          record.endedAt = performance.now();
          return;
        } catch (error) {
          record.endedAt = performance.now();
          record.error = String(error);
          lastError = error;
        }
      }
      deadLetters.push({ functionLogicalId: fn.logicalId, event, error: String(lastError) });
    })();
    pending.add(run);
    void run.finally(() => pending.delete(run));
  };
  // Attached to another process's emulators, uploads trigger the handlers over there.
  emulators.s3rver?.on('event', (raw: S3rverEvent) => {
    const record = toS3EventRecord(raw);
    const key = decodeURIComponent(record.s3.object.key.replace(/\+/g, ' '));
    for (const n of notifications) {
      if (n.bucket !== record.s3.bucket.name || !record.eventName.startsWith('ObjectCreated:')) continue;
      if (!key.startsWith(n.prefix) || !key.endsWith(n.suffix)) continue;
      const fn = functions.find((f) => f.logicalId === n.functionLogicalId);
      if (fn === undefined) continue;
      invokeAsync(fn, { Records: [record] } satisfies S3Event);
    }
  });
  const invokeServer = await startInvokeServer(
    (name, payload) => {
      const fn = functions.find((f) => localFunctionName(f) === name);
      if (fn === undefined) return false;
      invokeAsync(fn, payload);
      return true;
    },
    (name, payload) => {
      const fn = functions.find((f) => localFunctionName(f) === name);
      return fn === undefined ? undefined : invokeFunction(fn, payload);
    },
  );
  const stepFunctionsServer = await startStepFunctionsServer((arn) => executionRecords(stateDir).describe(arn));
  // Each function reaches them through IAM gates of its own, which decide its calls against its role.
  const functionNetwork = {
    ...network,
    ...(faults === undefined ? {} : { AWS_ENDPOINT_URL_DYNAMODB: faults.endpoint }),
    AWS_ENDPOINT_URL_LAMBDA: invokeServer.endpoint,
    AWS_ENDPOINT_URL_SFN: stepFunctionsServer.endpoint,
  };
  const gatedEndpoints = new Map(await Promise.all(functions.map(async (fn) => [fn.logicalId, iam === undefined ? functionNetwork : await iam.endpointsOf(fn.logicalId, functionNetwork)] as const)));
  // The CLI's own SDK clients reach them too.
  process.env.AWS_ENDPOINT_URL_LAMBDA = invokeServer.endpoint;
  process.env.AWS_ENDPOINT_URL_SFN = stepFunctionsServer.endpoint;

  // The unsubscribe Function URL: served here by the process owning the emulators.
  const unsubscribeFn = functions.find((f) => f.entry === 'functions/campaign-dispatch/unsubscribe/handler.ts');
  const urlServer = emulators.s3rver === undefined || unsubscribeFn === undefined
    ? undefined
    : await serveFunctionUrl((event) => invokeFunction(unsubscribeFn, event));
  unsubscribeUrl = urlServer?.url ?? emulators.unsubscribe;

  // The bundled campaigns go into the bucket as a deploy puts them there: the seed function, from its bundle.
  await runCustomResources(template, CAMPAIGN_SEED_TYPE, stateDir, async (logicalId, event) => {
    const fn = functions.find((f) => f.logicalId === logicalId);
    if (fn === undefined) throw new Error(`no function ${logicalId} for a custom resource`);
    return invokeFunction(fn, event);
  });

  // The stack's outputs, as DescribeStacks gives a deployed stack's: the CLI finds everything through them.
  const outputValue = (value: unknown): string | undefined => {
    const ref = (value as { Ref?: unknown } | null)?.Ref;
    const getAtt = (value as { 'Fn::GetAtt'?: unknown } | null)?.['Fn::GetAtt'];
    const target = typeof ref === 'string' ? template.Resources[ref] : undefined;
    if (typeof ref === 'string' && target?.Type === 'AWS::Lambda::Function') return `local-${ref}`;
    if (typeof ref === 'string' && target?.Type === 'AWS::StepFunctions::StateMachine') return localArn(template, ref);
    if (Array.isArray(getAtt) && getAtt[1] === 'FunctionUrl') return unsubscribeUrl;
    try {
      return String(resolve(value));
    } catch {
      return undefined; // an output of a resource the local stack does not stand in for (a queue URL, a topic)
    }
  };
  const outputs = Object.entries(template.Outputs ?? {}).flatMap(([key, o]) => {
    const value = outputValue(o.Value);
    return value === undefined ? [] : [{ key, value, description: o.Description }];
  });
  const cloudFormation = await startCloudFormationServer({ stackName: LOCAL_STACK_NAME, outputs });
  const sdkEnvironment: LocalEndpointVariables = {
    AWS_REGION: LOCAL_REGION,
    AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
    ...(options.asOf === undefined ? {} : { STRATA_AS_OF: options.asOf }),
    ...network,
    AWS_ENDPOINT_URL_LAMBDA: invokeServer.endpoint,
    AWS_ENDPOINT_URL_SFN: stepFunctionsServer.endpoint,
    AWS_ENDPOINT_URL_CLOUDFORMATION: cloudFormation.endpoint,
  };
  process.env.AWS_ENDPOINT_URL_CLOUDFORMATION = cloudFormation.endpoint;

  const tableName = names.get(tables[0]?.[0] ?? '') ?? '';
  const bucketName = dataBucketName(template, names);
  return {
    endpoints: { dynamodb: emulators.dynamodb, s3: emulators.s3, ses: emulators.ses, unsubscribe: unsubscribeUrl },
    sdkEnvironment,
    stackName: LOCAL_STACK_NAME,
    template,
    tableName,
    bucketName,
    functions,
    deadLetters,
    invocations,
    stateDir,
    attached: emulators.s3rver === undefined,
    asOf: options.asOf === undefined ? undefined : new Date(options.asOf),
    async invoke<T>(entry: string, event: unknown) {
      const fn = functions.find((f) => f.entry === entry);
      if (fn === undefined) throw new Error(`no function with entry ${entry} in the synthesized stack`);
      return invokeFunction<T>(fn, event);
    },
    async upload(key, body) {
      const stored = await s3.send(new PutObjectCommand({ Bucket: bucketName, Key: key, Body: body }));
      if (stored.ETag === undefined) throw new Error(`S3 stored ${key} without an ETag`);
      return { etag: stored.ETag.replace(/"/g, ''), versionId: stored.VersionId };
    },
    interceptDynamoDb(interceptor) {
      if (faults === undefined) throw new Error('start the local stack with dynamoDbFaults: true to intercept its functions\' DynamoDB calls');
      faults.intercept(interceptor);
    },
    async checkInvoke(callerLogicalId, functionLogicalId) {
      await iam?.checkInvoke(callerLogicalId, functionLogicalId);
    },
    async checkCall(callerLogicalId, action, resourceLogicalId) {
      await iam?.checkCall(callerLogicalId, action, resourceLogicalId);
    },
    serveStartExecution(start) {
      stepFunctionsServer.serveStarts(start);
    },
    async settled() {
      while (pending.size > 0) await Promise.allSettled([...pending]);
    },
    async stop() {
      while (pending.size > 0) await Promise.allSettled([...pending]);
      await urlServer?.close();
      for (const w of workers.values()) w.stop();
      await faults?.close();
      await iam?.close();
      dynamodb.destroy();
      s3.destroy();
      ses.destroy();
      resetClients();
      await invokeServer.close();
      await stepFunctionsServer.close();
      await cloudFormation.close();
      await emulators.stop();
    },
  };
}

/** The unsubscribe signing key of this state folder, created on first use (Secrets Manager's stand-in). */
function localSigningKey(stateDir: string): string {
  const file = path.join(stateDir, 'unsubscribe-signing-key');
  if (!fs.existsSync(file)) {
    fs.mkdirSync(stateDir, { recursive: true });
    fs.writeFileSync(file, crypto.randomBytes(32).toString('hex'), { mode: 0o600 });
  }
  return file;
}

/** What aws-ses-v2-local answers to GetAccount (it reads AWS_SES_ACCOUNT), so the dispatcher learns a send rate as on AWS. */
function localSesAccount(maxSendRate: number): Record<string, unknown> {
  return {
    DedicatedIpAutoWarmupEnabled: false,
    Details: { AdditionalContactEmailAddresses: [], ContactLanguage: 'EN', MailType: 'MARKETING', ReviewDetails: { CaseId: 'local', Status: 'GRANTED' }, UseCaseDescription: 'strata local stack', WebsiteURL: 'http://localhost' },
    EnforcementStatus: 'HEALTHY',
    ProductionAccessEnabled: true,
    SendingEnabled: true,
    SendQuota: { Max24HourSend: 10_000_000, MaxSendRate: maxSendRate, SentLast24Hours: 0 },
    SuppressionAttributes: { SuppressedReasons: ['BOUNCE', 'COMPLAINT'] },
  };
}

/** Local physical names: the logical id (lower-cased for buckets, as S3 requires). */
function localNames(template: CfnTemplate): Map<string, string> {
  const names = new Map<string, string>();
  for (const [logicalId, resource] of Object.entries(template.Resources)) {
    names.set(logicalId, resource.Type === 'AWS::S3::Bucket' ? logicalId.toLowerCase() : logicalId);
  }
  return names;
}

function resolveIntrinsic(value: unknown, names: Map<string, string>): unknown {
  if (value === null || typeof value !== 'object') return value;
  const object = value as Record<string, unknown>;
  if (typeof object.Ref === 'string') return names.get(object.Ref) ?? object.Ref;
  const getAtt = object['Fn::GetAtt'];
  if (Array.isArray(getAtt)) return `arn:aws:local:${LOCAL_REGION}:${LOCAL_ACCOUNT}:${String(getAtt[0])}`;
  const join = object['Fn::Join'];
  if (Array.isArray(join)) {
    const [separator, parts] = join as [string, unknown[]];
    return parts.map((p) => String(resolveIntrinsic(p, names))).join(separator);
  }
  throw new Error(`the local stack cannot resolve ${JSON.stringify(value)}`);
}

function toCreateTable(TableName: string, p: Record<string, unknown>): CreateTableCommandInput {
  type Gsi = { IndexName: string; KeySchema: CreateTableCommandInput['KeySchema']; Projection: Record<string, unknown> };
  const gsis = (p.GlobalSecondaryIndexes ?? []) as Gsi[];
  return {
    TableName,
    KeySchema: p.KeySchema as CreateTableCommandInput['KeySchema'],
    AttributeDefinitions: p.AttributeDefinitions as CreateTableCommandInput['AttributeDefinitions'],
    BillingMode: 'PAY_PER_REQUEST',
    ...(gsis.length > 0
      ? {
          GlobalSecondaryIndexes: gsis.map((g) => ({
            IndexName: g.IndexName,
            KeySchema: g.KeySchema,
            Projection: { ProjectionType: String(g.Projection.ProjectionType) as 'KEYS_ONLY' | 'ALL' | 'INCLUDE' },
          })),
        }
      : {}),
  };
}

function bucketNotifications(template: CfnTemplate, names: Map<string, string>): Notification[] {
  return resourcesOfType(template, 'Custom::S3BucketNotifications').flatMap(([, resource]) => {
    const bucket = String(resolveIntrinsic(resource.Properties?.BucketName, names));
    type Config = { LambdaFunctionArn: { 'Fn::GetAtt': [string, string] }; Filter?: { Key?: { FilterRules?: { Name: string; Value: string }[] } } };
    const configs = ((resource.Properties?.NotificationConfiguration as { LambdaFunctionConfigurations?: Config[] } | undefined)
      ?.LambdaFunctionConfigurations ?? []);
    return configs.map((c) => {
      const rules = c.Filter?.Key?.FilterRules ?? [];
      const rule = (name: string) => rules.find((r) => r.Name.toLowerCase() === name)?.Value ?? '';
      return { bucket, prefix: rule('prefix'), suffix: rule('suffix'), functionLogicalId: c.LambdaFunctionArn['Fn::GetAtt'][0] };
    });
  });
}

function dataBucketName(template: CfnTemplate, names: Map<string, string>): string {
  const [notification] = bucketNotifications(template, names);
  if (notification === undefined) throw new Error('the synthesized stack has no bucket notification for ingest');
  return notification.bucket;
}

function templateVariables(resource: CfnResource): Record<string, unknown> {
  return (resource.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {};
}

interface RuntimeSettings extends LocalStackOptions {
  readonly stateDir: string;
  readonly unsubscribeUrl: string | undefined;
  readonly names: Map<string, string>;
}

/**
 * A function as Lambda would run it: its bundle, timeout, memory and reserved concurrency from the
 * template, and an environment of only its own variables, the local stand-ins of what AWS would
 * provide it (the loopback Function URL, the signing key's file for the secret its variables name,
 * the stack's clock) and the variables the Lambda runtime sets.
 */
function functionRuntime(fn: LocalFunction, resource: CfnResource, assembly: CloudAssembly, network: Readonly<Record<string, string>>, settings: RuntimeSettings): FunctionRuntime {
  const p = resource.Properties ?? {};
  const name = localFunctionName(fn);
  const memoryMb = Number(p.MemorySize ?? 128);
  const taskRoot = functionAssetDirectory(assembly, fn.logicalId, resource);
  const variables = Object.fromEntries(
    Object.entries(templateVariables(resource)).map(([k, v]) => [k, isFunctionUrl(v) && settings.unsubscribeUrl !== undefined ? settings.unsubscribeUrl : String(resolveIntrinsic(v, settings.names))]),
  );
  const standIns: Record<string, string> = {
    // Local output stays readable: the handlers log at WARN unless asked (the template says INFO).
    POWERTOOLS_LOG_LEVEL: settings.logLevel ?? 'WARN',
    ...(settings.asOf === undefined ? {} : { STRATA_AS_OF: settings.asOf }),
    ...(variables.UNSUBSCRIBE_SECRET_ARN === undefined ? {} : { UNSUBSCRIBE_SECRET_FILE: localSigningKey(settings.stateDir) }),
  };
  const runtime: Record<string, string> = {
    AWS_REGION: LOCAL_REGION,
    AWS_DEFAULT_REGION: LOCAL_REGION,
    AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
    AWS_LAMBDA_FUNCTION_NAME: name,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(memoryMb),
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${name}`,
    AWS_LAMBDA_LOG_STREAM_NAME: 'local',
    AWS_EXECUTION_ENV: `AWS_Lambda_${String(p.Runtime ?? 'nodejs22.x')}`,
    LAMBDA_TASK_ROOT: taskRoot,
    TZ: ':UTC',
    LANG: 'en_US.UTF-8',
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    ...network,
  };
  return {
    name,
    taskRoot,
    handler: String(p.Handler ?? 'index.handler'),
    environment: { ...variables, ...standIns, ...settings.functionEnvironment?.[fn.entry], ...runtime },
    timeoutSeconds: Number(p.Timeout ?? 3),
    memoryMb,
    reservedConcurrency: p.ReservedConcurrentExecutions === undefined ? undefined : Number(p.ReservedConcurrentExecutions),
  };
}

function isFunctionUrl(value: unknown): boolean {
  const getAtt = (value as { 'Fn::GetAtt'?: unknown } | null)?.['Fn::GetAtt'];
  return Array.isArray(getAtt) && getAtt[1] === 'FunctionUrl';
}

function localFunctionName(fn: LocalFunction): string {
  return `local-${fn.logicalId}`;
}
