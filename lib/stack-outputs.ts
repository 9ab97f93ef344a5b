/**
 * The CloudFormation outputs strata's CLI reads to reach a stack, deployed or embedded: the stack
 * publishes them, the CLI finds every resource through them, so nothing is named twice. A stack
 * without STRATA_VERSION_OUTPUT is not a strata stack.
 */
export const STACK_OUTPUTS = {
  table: 'TableName',
  bucket: 'BucketName',
  stateMachine: 'ResegmentStateMachine',
  dispatchFunction: 'DispatchFunction',
  modelRefitFunction: 'ModelRefitFunction',
  configurationSet: 'ConfigurationSet',
  unsubscribeUrl: 'UnsubscribeUrl',
  senderAddress: 'SenderAddress',
} as const;

export const STRATA_VERSION_OUTPUT = 'StrataOutputs';

/** Raised when the outputs change shape, so an older CLI says so instead of misreading a newer stack. */
export const STRATA_OUTPUT_FORMAT = '1';
