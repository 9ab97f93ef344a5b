/**
 * Whether a DynamoDB write was refused by its ConditionExpression: the outcome a conditional put
 * exists to detect, not a failure. By name, so the error of any SDK copy is recognized.
 */
export function isConditionFailure(error: unknown): boolean {
  return (error as { name?: unknown } | undefined)?.name === 'ConditionalCheckFailedException';
}
