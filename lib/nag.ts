import { CfnElement, Stack, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
// cdk-nag is CommonJS whose exports Node's ESM loader cannot detect by name; take them from the default import.
import cdkNag from 'cdk-nag';

export const { AwsSolutionsChecks, ServerlessChecks } = cdkNag;

export interface Acknowledgment {
  /** The cdk-nag finding, e.g. "AwsSolutions-L1" or "AwsSolutions-IAM5[Resource::*]". */
  readonly id: string;
  /** Why the finding is acceptable here: kept in code, reviewed like code. */
  readonly reason: string;
}

/** The synthesized logical id of a construct's CloudFormation resource, as cdk-nag names it in findings. */
export function logicalIdOf(construct: IConstruct): string {
  const resource = construct instanceof CfnElement ? construct : construct.node.defaultChild;
  if (!(resource instanceof CfnElement)) throw new Error(`${construct.node.path} has no CloudFormation resource`);
  return String(Stack.of(construct).resolve(resource.logicalId));
}

/** Acknowledges cdk-nag findings on a construct and everything below it, each with its reason. */
export function acknowledge(scope: IConstruct, acknowledgments: readonly Acknowledgment[]): void {
  for (const a of acknowledgments) Validations.of(scope).acknowledge(a);
}
