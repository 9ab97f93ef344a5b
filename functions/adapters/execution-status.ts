import { DescribeExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';
import type { ExecutionState } from '../core/run-lock.ts';

/** The one question the run lock asks about its owner: how is this execution doing? */
export interface ExecutionStatusReader {
  describe(executionArn: string): Promise<ExecutionState>;
}

/**
 * DescribeExecution on AWS; the embedded stack serves the same call from its runner's execution
 * records (functions/local/step-functions-server.ts), so this adapter is the same in both.
 */
export function stepFunctionsExecutions(client: SFNClient): ExecutionStatusReader {
  return {
    async describe(executionArn) {
      try {
        const out = await client.send(new DescribeExecutionCommand({ executionArn }));
        const status = out.status;
        if (status === undefined) return { status: 'UNKNOWN', cause: 'DescribeExecution returned no status' };
        return {
          status,
          ...(out.stopDate === undefined ? {} : { stoppedAt: out.stopDate.toISOString() }),
          ...(out.error === undefined && out.cause === undefined ? {} : { cause: [out.error, out.cause].filter((p) => p !== undefined).join(': ').slice(0, 500) }),
        };
      } catch (error) {
        // An owner that cannot be described (no such execution, not an ARN, no permission) may still run.
        const name = (error as { name?: unknown }).name;
        if (name === 'ExecutionDoesNotExist' || name === 'InvalidArn' || name === 'AccessDeniedException') return { status: 'UNKNOWN', cause: String(name) };
        throw error;
      }
    },
  };
}
