import { describe, expect, it } from 'vitest';
import { STACK_OUTPUTS, STRATA_OUTPUT_FORMAT, STRATA_VERSION_OUTPUT } from '../../lib/stack-outputs.ts';
import { synthesize } from './stack-template.ts';

const { json } = synthesize();
const outputs = (json as unknown as { Outputs?: Record<string, { Value: unknown }> }).Outputs ?? {};

/** The resource type an output's value refers to (Ref or Fn::GetAtt), or undefined for a literal. */
function typeReferred(value: unknown): string | undefined {
  const v = value as { Ref?: string; 'Fn::GetAtt'?: [string, string] };
  const id = v.Ref ?? v['Fn::GetAtt']?.[0];
  return id === undefined ? undefined : json.Resources[id]?.Type;
}

describe('the outputs the CLI reaches a stack through', () => {
  it('publishes every key of lib/stack-outputs.ts under that exact key', () => {
    for (const key of Object.values(STACK_OUTPUTS)) expect(Object.keys(outputs), key).toContain(key);
  });

  it('marks the stack as strata\'s with the output format the CLI reads', () => {
    expect(outputs[STRATA_VERSION_OUTPUT]?.Value).toBe(STRATA_OUTPUT_FORMAT);
  });

  it('points each output at the resource the CLI uses it for', () => {
    // The sender address is configuration (strata:senderAddress), a plain value.
    const expected: Record<keyof typeof STACK_OUTPUTS, string | undefined> = {
      senderAddress: undefined,
      table: 'AWS::DynamoDB::Table',
      bucket: 'AWS::S3::Bucket',
      stateMachine: 'AWS::StepFunctions::StateMachine',
      dispatchFunction: 'AWS::Lambda::Function',
      modelRefitFunction: 'AWS::Lambda::Function',
      configurationSet: 'AWS::SES::ConfigurationSet',
      unsubscribeUrl: 'AWS::Lambda::Url',
    };
    for (const [name, key] of Object.entries(STACK_OUTPUTS)) {
      expect(typeReferred(outputs[key]?.Value), key).toBe(expected[name as keyof typeof STACK_OUTPUTS]);
    }
  });

  it('publishes the configured sender address, from which strata campaigns test sends', () => {
    expect(outputs[STACK_OUTPUTS.senderAddress]?.Value).toMatch(/^[^@\s]+@[^@\s]+$/);
  });

  it('names two different functions for dispatch and model refit', () => {
    const ref = (key: string) => (outputs[key]?.Value as { Ref?: string }).Ref;
    expect(ref(STACK_OUTPUTS.dispatchFunction)).not.toBe(ref(STACK_OUTPUTS.modelRefitFunction));
  });
});
