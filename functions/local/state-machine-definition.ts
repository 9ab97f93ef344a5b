import { WORKFLOW_METADATA_KEY } from '../../lib/metadata-keys.ts';
import { resourcesOfType, type CfnTemplate } from './cloud-template.ts';

/** The account and region the local stack's ARNs name (nothing there is real). */
const LOCAL_ARN = { region: 'us-east-1', account: '000000000000' } as const;

/** The placeholder ARN the local stack gives a function: the logical id stays readable in it. */
export function localFunctionArn(logicalId: string): string {
  return `arn:aws:lambda:${LOCAL_ARN.region}:${LOCAL_ARN.account}:function:${logicalId}`;
}

export interface SynthesizedWorkflow {
  readonly logicalId: string;
  /** The Amazon States Language definition, exactly as synthesized, with ARNs made local. */
  readonly definition: AslDefinition;
}

export interface AslState {
  readonly Type: string;
  readonly Resource?: string;
  readonly Next?: string;
  readonly End?: boolean;
  readonly Default?: string;
  readonly Choices?: readonly { readonly Next: string }[];
  readonly Catch?: readonly { readonly Next: string; readonly ErrorEquals: readonly string[] }[];
  readonly Retry?: readonly { readonly ErrorEquals: readonly string[] }[];
  readonly ItemProcessor?: AslDefinition;
  readonly Iterator?: AslDefinition;
  readonly [key: string]: unknown;
}

export interface AslDefinition {
  readonly StartAt: string;
  readonly States: Readonly<Record<string, AslState>>;
  readonly [key: string]: unknown;
}

/**
 * Reads a workflow's definition out of the synthesized template: the state machine whose
 * `strata:workflow` metadata names it, its DefinitionString's Fn::Join resolved with local ARNs.
 * There is no other copy of the definition to drift from what deploys.
 */
export function synthesizedWorkflow(template: CfnTemplate, name: string): SynthesizedWorkflow {
  const found = resourcesOfType(template, 'AWS::StepFunctions::StateMachine').filter(([, r]) => r.Metadata?.[WORKFLOW_METADATA_KEY] === name);
  const [match, ...others] = found;
  if (match === undefined || others.length > 0) throw new Error(`expected one state machine with ${WORKFLOW_METADATA_KEY}=${name} in the template, found ${found.length}`);
  const [logicalId, resource] = match;
  const text = resolveDefinitionString(resource.Properties?.DefinitionString);
  return { logicalId, definition: JSON.parse(text) as AslDefinition };
}

function resolveDefinitionString(value: unknown): string {
  if (typeof value === 'string') return value;
  const join = (value as { 'Fn::Join'?: [string, unknown[]] } | undefined)?.['Fn::Join'];
  if (!Array.isArray(join)) throw new Error(`cannot read the DefinitionString ${JSON.stringify(value)}`);
  const [separator, parts] = join;
  return parts.map(resolvePart).join(separator);
}

function resolvePart(part: unknown): string {
  if (typeof part === 'string') return part;
  const object = part as Record<string, unknown>;
  const getAtt = object['Fn::GetAtt'];
  if (Array.isArray(getAtt) && getAtt[1] === 'Arn') return localFunctionArn(String(getAtt[0]));
  if (object.Ref === 'AWS::Partition') return 'aws';
  if (object.Ref === 'AWS::Region') return LOCAL_ARN.region;
  if (object.Ref === 'AWS::AccountId') return LOCAL_ARN.account;
  if (typeof object.Ref === 'string') return object.Ref;
  throw new Error(`the local runner cannot resolve ${JSON.stringify(part)} in a state machine definition`);
}

/** Every state of a definition, nested Map processors included, with its name. */
export function allStates(definition: AslDefinition): [string, AslState][] {
  return Object.entries(definition.States).flatMap(([name, state]) => {
    const nested = state.ItemProcessor ?? state.Iterator;
    return [[name, state] as [string, AslState], ...(nested === undefined ? [] : allStates(nested))];
  });
}
