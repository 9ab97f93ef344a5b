import { runSimulation } from '@cloud-copilot/iam-simulate';
import { WORKFLOW_METADATA_KEY } from '../../lib/metadata-keys.ts';
import type { CfnTemplate } from './cloud-template.ts';

export const LOCAL_ACCOUNT = '000000000000';
export const LOCAL_REGION = 'us-east-1';

/** A policy document as IAM reads it, intrinsics resolved. */
export interface PolicyDocument {
  readonly Version?: string;
  readonly Statement: unknown;
}

/** One request as AWS authorizes it: an action on a resource, with the request's context keys. */
export interface IamRequest {
  readonly action: string;
  readonly resource: string;
  readonly context?: Readonly<Record<string, string | string[]>>;
}

/** Who makes the calls and what it may do: a role's identity policies, and the resource policies of what it reaches. */
export interface Principal {
  /** The role's logical id in the template, which is its local name. */
  readonly roleName: string;
  /** The session name AWS gives it (the function's name for a Lambda function). */
  readonly sessionName: string;
  readonly policies: readonly { readonly name: string; readonly policy: PolicyDocument }[];
}

/**
 * ARNs of the template's resources as the local stack names them (the logical id, lower-cased for
 * buckets; functions are local-<logical id>), in the account and region the local stack uses.
 */
export function localArn(template: CfnTemplate, logicalId: string): string {
  const resource = template.Resources[logicalId];
  const at = `${LOCAL_REGION}:${LOCAL_ACCOUNT}`;
  switch (resource?.Type) {
    case 'AWS::DynamoDB::Table':
      return `arn:aws:dynamodb:${at}:table/${logicalId}`;
    case 'AWS::S3::Bucket':
      return `arn:aws:s3:::${logicalId.toLowerCase()}`;
    case 'AWS::Lambda::Function':
      return `arn:aws:lambda:${at}:function:local-${logicalId}`;
    case 'AWS::StepFunctions::StateMachine':
      return stateMachineArn(localName(template, logicalId));
    case 'AWS::SQS::Queue':
      return `arn:aws:sqs:${at}:${logicalId}`;
    case 'AWS::Logs::LogGroup':
      return `arn:aws:logs:${at}:log-group:${logicalId}:*`;
    case 'AWS::SecretsManager::Secret':
      return `arn:aws:secretsmanager:${at}:secret:${logicalId}`;
    case 'AWS::IAM::Role':
      return `arn:aws:iam::${LOCAL_ACCOUNT}:role/${logicalId}`;
    case 'AWS::KMS::Key':
      return `arn:aws:kms:${at}:key/${logicalId}`;
    case 'AWS::Events::Rule':
      return `arn:aws:events:${at}:rule/${logicalId}`;
    case 'AWS::Scheduler::Schedule':
      return `arn:aws:scheduler:${at}:schedule/default/${logicalId}`;
    default:
      return `arn:aws:${(resource?.Type ?? 'unknown').split('::')[1]?.toLowerCase() ?? 'unknown'}:${at}:${logicalId}`;
  }
}

/**
 * A resource's local name: a state machine's is its workflow's name (the local runner names its
 * executions arn:aws:states:…:execution:<workflow>:<execution>), a bucket's the lower-cased logical id.
 */
function localName(template: CfnTemplate, logicalId: string): string {
  const resource = template.Resources[logicalId];
  const workflow = resource?.Metadata?.[WORKFLOW_METADATA_KEY];
  if (resource?.Type === 'AWS::StepFunctions::StateMachine' && typeof workflow === 'string') return workflow;
  return resource?.Type === 'AWS::S3::Bucket' ? logicalId.toLowerCase() : logicalId;
}

/** A state machine's ARN from what a function holds (locally its logical id, its Ref), or the ARN itself. */
export function stateMachineArn(nameOrArn: string): string {
  return nameOrArn.startsWith('arn:') ? nameOrArn : `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:stateMachine:${nameOrArn}`;
}

/** Resolves the intrinsics a policy uses to the local names and ARNs (Ref, Fn::GetAtt, Fn::Join, Fn::Sub). */
export function resolvePolicyValue(template: CfnTemplate, value: unknown): unknown {
  if (Array.isArray(value)) return value.map((v) => resolvePolicyValue(template, v));
  if (value === null || typeof value !== 'object') return value;
  const object = value as Record<string, unknown>;
  const keys = Object.keys(object);
  if (keys.length === 1 && keys[0] === 'Ref') return refOf(template, String(object.Ref));
  if (keys.length === 1 && keys[0] === 'Fn::GetAtt') {
    const [logicalId, attribute] = object['Fn::GetAtt'] as [string, string];
    if (attribute === 'Arn') return localArn(template, logicalId);
    if (attribute === 'Name') return localName(template, logicalId);
    return `${localArn(template, logicalId)}/${attribute}`;
  }
  if (keys.length === 1 && keys[0] === 'Fn::Join') {
    const [separator, parts] = object['Fn::Join'] as [string, unknown[]];
    return parts.map((p) => String(resolvePolicyValue(template, p))).join(separator);
  }
  if (keys.length === 1 && keys[0] === 'Fn::Sub') {
    const sub = object['Fn::Sub'];
    const [text, variables] = (Array.isArray(sub) ? sub : [sub, {}]) as [string, Record<string, unknown>];
    return text.replace(/\$\{([^}]+)\}/g, (_, name: string) => {
      if (variables[name] !== undefined) return String(resolvePolicyValue(template, variables[name]));
      const [id, attribute] = name.split('.');
      return attribute === undefined ? refOf(template, name) : String(resolvePolicyValue(template, { 'Fn::GetAtt': [id, attribute] }));
    });
  }
  return Object.fromEntries(Object.entries(object).map(([k, v]) => [k, resolvePolicyValue(template, v)]));
}

function refOf(template: CfnTemplate, name: string): string {
  if (name === 'AWS::Partition') return 'aws';
  if (name === 'AWS::Region') return LOCAL_REGION;
  if (name === 'AWS::AccountId') return LOCAL_ACCOUNT;
  if (name === 'AWS::URLSuffix') return 'amazonaws.com';
  const resource = template.Resources[name];
  // Ref gives the ARN for these, the name for the rest.
  if (resource?.Type === 'AWS::SecretsManager::Secret' || resource?.Type === 'AWS::StepFunctions::StateMachine') return localArn(template, name);
  return resource?.Type === 'AWS::S3::Bucket' ? name.toLowerCase() : name;
}

/**
 * The policies of a role as the template gives them: its inline Policies, the AWS::IAM::Policy
 * resources attached to it, and the managed policies it names that are known here (AWS-managed ones
 * the local stack has no copy of are left out: strata's functions rely on none for their calls).
 */
export function rolePolicies(template: CfnTemplate, roleLogicalId: string): { name: string; policy: PolicyDocument }[] {
  const role = template.Resources[roleLogicalId];
  const found: { name: string; policy: PolicyDocument }[] = [];
  const inline = (role?.Properties?.Policies ?? []) as { PolicyName: string; PolicyDocument: unknown }[];
  for (const p of inline) found.push({ name: p.PolicyName, policy: resolvePolicyValue(template, p.PolicyDocument) as PolicyDocument });
  for (const [id, resource] of Object.entries(template.Resources)) {
    if (resource.Type !== 'AWS::IAM::Policy' && resource.Type !== 'AWS::IAM::ManagedPolicy') continue;
    const roles = (resource.Properties?.Roles ?? []) as unknown[];
    if (!roles.some((r) => (r as { Ref?: unknown }).Ref === roleLogicalId)) continue;
    found.push({ name: id, policy: resolvePolicyValue(template, resource.Properties?.PolicyDocument) as PolicyDocument });
  }
  const managed = (role?.Properties?.ManagedPolicyArns ?? []) as unknown[];
  for (const arn of managed) {
    const ref = (arn as { Ref?: unknown }).Ref;
    const resource = typeof ref === 'string' ? template.Resources[ref] : undefined;
    if (resource?.Type === 'AWS::IAM::ManagedPolicy') found.push({ name: String(ref), policy: resolvePolicyValue(template, resource.Properties?.PolicyDocument) as PolicyDocument });
  }
  return found;
}

/** The role a resource runs as (a function's Role, a state machine's RoleArn, a schedule's Target.RoleArn), by its logical id. */
export function roleOf(template: CfnTemplate, logicalId: string): string | undefined {
  const p = template.Resources[logicalId]?.Properties ?? {};
  const target = p.Target as { RoleArn?: unknown } | undefined;
  const role = (p.Role ?? p.RoleArn ?? target?.RoleArn) as { 'Fn::GetAtt'?: [string, string] } | undefined;
  return role?.['Fn::GetAtt']?.[0];
}

/** The bucket policies of the template, by the bucket's local name. */
export function bucketPolicies(template: CfnTemplate): Map<string, PolicyDocument> {
  const policies = new Map<string, PolicyDocument>();
  for (const resource of Object.values(template.Resources)) {
    if (resource.Type !== 'AWS::S3::BucketPolicy') continue;
    policies.set(String(resolvePolicyValue(template, resource.Properties?.Bucket)), resolvePolicyValue(template, resource.Properties?.PolicyDocument) as PolicyDocument);
  }
  return policies;
}

export function principalArn(principal: Principal): string {
  return `arn:aws:sts::${LOCAL_ACCOUNT}:assumed-role/${principal.roleName}/${principal.sessionName}`;
}

/**
 * Decides requests of one principal with the IAM simulator; decisions are cached, since a
 * function makes the same few calls many times.
 */
export class Authorizer {
  private readonly decisions = new Map<string, Promise<string | undefined>>();

  constructor(
    readonly principal: Principal,
    private readonly resourcePolicies: ReadonlyMap<string, PolicyDocument> = new Map(),
  ) {}

  /** Undefined when allowed, else AWS's message of the refusal. */
  deny(request: IamRequest): Promise<string | undefined> {
    const key = JSON.stringify([request.action, request.resource, request.context ?? {}]);
    let decision = this.decisions.get(key);
    if (decision === undefined) {
      decision = this.decide(request);
      this.decisions.set(key, decision);
    }
    return decision;
  }

  private async decide(request: IamRequest): Promise<string | undefined> {
    const bucket = request.action.startsWith('s3:') ? /^arn:aws:s3:::([^/]+)/.exec(request.resource)?.[1] : undefined;
    const resourcePolicy = bucket === undefined ? undefined : this.resourcePolicies.get(bucket);
    const result = await runSimulation(
      {
        identityPolicies: this.principal.policies.map((p) => ({ name: p.name, policy: p.policy as never })),
        serviceControlPolicies: [],
        resourceControlPolicies: [],
        ...(resourcePolicy === undefined ? {} : { resourcePolicy: resourcePolicy as never }),
        request: {
          principal: principalArn(this.principal),
          action: request.action,
          resource: { resource: request.resource, accountId: LOCAL_ACCOUNT },
          // Loopback is plain HTTP; the SDK reaches AWS over TLS.
          contextVariables: { 'aws:SecureTransport': 'true', ...request.context },
        },
      },
      {},
    );
    if (result.resultType === 'error') throw new Error(`the IAM simulator cannot decide ${request.action} on ${request.resource}: ${JSON.stringify(result.errors)}`);
    if (result.overallResult === 'Allowed') return undefined;
    const who = `User: ${principalArn(this.principal)} is not authorized to perform: ${request.action} on resource: ${request.resource}`;
    return result.overallResult === 'ExplicitlyDenied'
      ? `${who} with an explicit deny`
      : `${who} because no identity-based policy allows the ${request.action} action`;
  }
}
