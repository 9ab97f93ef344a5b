import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { buildApp } from '../../lib/app.ts';

/** Synthesizes the real app without bundling (fast, offline), cdk-nag included. */
export function synthesize(context: Record<string, unknown> = {}): { app: App; template: Template; json: CfnJson } {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [], ...context } });
  const { stack } = buildApp(app);
  const template = Template.fromStack(stack);
  return { app, template, json: template.toJSON() as CfnJson };
}

export interface CfnJson {
  readonly Resources: Record<string, { Type: string; Properties?: Record<string, unknown>; Metadata?: Record<string, unknown> }>;
}

export interface Statement {
  readonly Effect: string;
  readonly Action: string | string[];
  readonly Resource: unknown;
  readonly Condition?: unknown;
}

export function logicalIdWhere(json: CfnJson, type: string, test: (props: Record<string, unknown>, metadata: Record<string, unknown>) => boolean): string {
  const found = Object.entries(json.Resources).filter(([, r]) => r.Type === type && test(r.Properties ?? {}, r.Metadata ?? {}));
  if (found.length !== 1) throw new Error(`expected one ${type}, found ${found.length}`);
  return found[0]![0];
}

/** Every statement of every policy attached to a role. */
export function statementsOfRole(json: CfnJson, roleLogicalId: string): Statement[] {
  return Object.values(json.Resources)
    .filter((r) => r.Type === 'AWS::IAM::Policy')
    .filter((r) => ((r.Properties?.Roles ?? []) as { Ref?: string }[]).some((role) => role.Ref === roleLogicalId))
    .flatMap((r) => (r.Properties?.PolicyDocument as { Statement: Statement[] }).Statement);
}

export function actionsOf(statement: Statement): string[] {
  return Array.isArray(statement.Action) ? statement.Action : [statement.Action];
}

export function resourcesOf(statement: Statement): unknown[] {
  return Array.isArray(statement.Resource) ? statement.Resource : [statement.Resource];
}

/** The role of the function whose handler is `entry`. */
export function roleOfFunction(json: CfnJson, entry: string): string {
  const fn = logicalIdWhere(json, 'AWS::Lambda::Function', (_p, m) => m['strata:entry'] === entry);
  const role = json.Resources[fn]!.Properties!.Role as { 'Fn::GetAtt': [string, string] };
  return role['Fn::GetAtt'][0];
}
