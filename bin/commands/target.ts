import { CloudFormationClient, DescribeStacksCommand, type Output } from '@aws-sdk/client-cloudformation';
import { resetClients } from '../../functions/adapters/aws-clients.ts';
import { runningOwner, type Owner } from '../../functions/local/state-dir.ts';
import { TargetError } from './target-error.ts';
import { STACK_OUTPUTS, STRATA_OUTPUT_FORMAT, STRATA_VERSION_OUTPUT } from '../../lib/stack-outputs.ts';

/**
 * A strata stack as the CLI reaches it: the names of its resources from its CloudFormation
 * outputs, its services through the SDK's usual chain (region, credentials, and for the embedded
 * stack its loopback endpoints). Commands see no difference between a deployed stack and the
 * embedded one.
 */
export interface StackTarget {
  readonly stackName: string;
  readonly region: string;
  readonly tableName: string;
  readonly bucketName: string;
  readonly stateMachineArn: string;
  readonly dispatchFunction: string;
  readonly modelRefitFunction: string;
  readonly configurationSet: string | undefined;
  readonly unsubscribeUrl: string | undefined;
  /** Every output of the stack, by key. */
  readonly outputs: Readonly<Record<string, string>>;
  /** Whether this is the embedded stack (for wording only: every call goes through the same SDK clients). */
  readonly embedded: boolean;
  /** Releases what reaching the stack took (the embedded stack this process started). */
  close(): Promise<void>;
}

export { TargetError };

/** Finds a stack by name through CloudFormation's DescribeStacks and reads its outputs. */
export async function describeTarget(stackName: string, options: { embedded?: boolean; close?: () => Promise<void> } = {}): Promise<StackTarget> {
  const client = new CloudFormationClient({ maxAttempts: 3 });
  let region: string;
  try {
    region = await client.config.region();
  } catch {
    client.destroy();
    throw new TargetError('no AWS region: set AWS_REGION (or AWS_DEFAULT_REGION), or a region in the AWS profile you use');
  }
  let stackOutputs: Output[];
  try {
    const answer = await client.send(new DescribeStacksCommand({ StackName: stackName }));
    stackOutputs = answer.Stacks?.[0]?.Outputs ?? [];
  } catch (error) {
    throw targetError(error, stackName, region);
  } finally {
    client.destroy();
  }
  const outputs = Object.fromEntries(stackOutputs.flatMap((o) => (o.OutputKey === undefined || o.OutputValue === undefined ? [] : [[o.OutputKey, o.OutputValue]])));
  const format = outputs[STRATA_VERSION_OUTPUT];
  if (format === undefined) throw new TargetError(`stack ${stackName} in ${region} is not a strata stack: it has no ${STRATA_VERSION_OUTPUT} output`);
  if (format !== STRATA_OUTPUT_FORMAT) throw new TargetError(`stack ${stackName} publishes strata outputs of format ${format}; this CLI reads format ${STRATA_OUTPUT_FORMAT}: use the strata release the stack was deployed from`);
  const required = (key: string): string => {
    const value = outputs[key];
    if (value === undefined) throw new TargetError(`stack ${stackName} in ${region} has no ${key} output; redeploy it with this strata release`);
    return value;
  };
  return {
    stackName,
    region,
    tableName: required(STACK_OUTPUTS.table),
    bucketName: required(STACK_OUTPUTS.bucket),
    stateMachineArn: required(STACK_OUTPUTS.stateMachine),
    dispatchFunction: required(STACK_OUTPUTS.dispatchFunction),
    modelRefitFunction: required(STACK_OUTPUTS.modelRefitFunction),
    configurationSet: outputs[STACK_OUTPUTS.configurationSet],
    unsubscribeUrl: outputs[STACK_OUTPUTS.unsubscribeUrl],
    outputs,
    embedded: options.embedded === true,
    close: options.close ?? (async () => undefined),
  };
}

/** One line saying why DescribeStacks failed, as a TargetError. */
function targetError(error: unknown, stackName: string, region: string): TargetError {
  const e = error as { name?: string; message?: string; Code?: string };
  const message = e.message ?? String(error);
  if (e.name === 'CredentialsProviderError' || /credential/i.test(message) && /(load|provider|could not|missing)/i.test(message)) {
    return new TargetError(`no AWS credentials to reach stack ${stackName} in ${region}: set AWS_PROFILE (after aws sso login for an SSO profile) or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY`);
  }
  if (e.name === 'ValidationError' && /does not exist/.test(message)) return new TargetError(`no stack ${stackName} in ${region} (check the name, AWS_REGION and the account of your credentials)`);
  if (e.name === 'AccessDenied' || e.name === 'AccessDeniedException') return new TargetError(`not allowed to describe stack ${stackName} in ${region}: ${message}`);
  if (/ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ETIMEDOUT/.test(message) || e.name === 'TimeoutError') return new TargetError(`cannot reach CloudFormation in ${region} to find stack ${stackName}: ${message}`);
  return new TargetError(`cannot read stack ${stackName} in ${region}: ${e.name ?? 'Error'}: ${message}`);
}

/** Points this process's SDK at the embedded stack's loopback endpoints, with its region and local credentials. */
export function useEmbeddedEndpoints(environment: Readonly<Record<string, string>>): void {
  Object.assign(process.env, environment);
  delete process.env.AWS_PROFILE;
  delete process.env.AWS_SESSION_TOKEN;
  resetClients();
}

/** The live `strata local up` of a state folder, if one runs and serves its APIs (it publishes its stack name and endpoints). */
export function publishedOwner(stateDir: string): (Owner & { readonly stackName: string; readonly sdkEnvironment: Readonly<Record<string, string>> }) | undefined {
  const owner = runningOwner(stateDir);
  return owner?.stackName === undefined || owner.sdkEnvironment === undefined ? undefined : { ...owner, stackName: owner.stackName, sdkEnvironment: owner.sdkEnvironment };
}

/**
 * The stack a command works on: --stack NAME (or STRATA_STACK) is found through CloudFormation with
 * the usual AWS chain; without one, the embedded stack of the state folder: the running
 * `strata local up` if there is one, else one started in this process. Either way the command
 * reaches it through its published outputs and endpoints, the code path of a deployed stack.
 */
export async function openTarget(options: { stack?: string | undefined; stateDir: string; asOf?: string | undefined }): Promise<StackTarget> {
  const named = options.stack ?? process.env.STRATA_STACK;
  if (named !== undefined && named !== '') return describeTarget(named);
  const owner = publishedOwner(options.stateDir);
  if (owner !== undefined) {
    useEmbeddedEndpoints(owner.sdkEnvironment);
    if (options.asOf !== undefined) process.env.STRATA_AS_OF = options.asOf;
    return describeTarget(owner.stackName, { embedded: true });
  }
  const [{ startLocalStack }, { serveWorkflows }] = await Promise.all([import('../../functions/local/local-stack.ts'), import('../../functions/local/run-workflow.ts')]);
  const stack = await startLocalStack({ stateDir: options.stateDir, ...(options.asOf === undefined ? {} : { asOf: options.asOf }) });
  serveWorkflows(stack);
  try {
    useEmbeddedEndpoints(stack.sdkEnvironment);
    return await describeTarget(stack.stackName, { embedded: true, close: () => stack.stop() });
  } catch (error) {
    await stack.stop();
    throw error;
  }
}

/** What most commands need of a stack: the names of its table and bucket. */
export type StackNames = Pick<StackTarget, 'tableName' | 'bucketName'>;
