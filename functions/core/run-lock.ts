import * as z from 'zod';
import { assertNever } from './assert-never.ts';

/** The single run slot: which run holds it, its owner (the execution that runs it), since when. */
export const runLockSchema = z.object({
  runId: z.string(),
  /** The owner: the Step Functions execution ARN (locally, the embedded runner's execution ARN). */
  executionId: z.string(),
  acquiredAt: z.string().optional(),
  expiresAt: z.number(),
});
export type RunLock = z.infer<typeof runLockSchema>;

/** What DescribeExecution says of an execution, or that nobody could tell. */
export type ExecutionState =
  | { readonly status: 'RUNNING' | 'PENDING_REDRIVE' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED'; readonly stoppedAt?: string; readonly cause?: string }
  | { readonly status: 'UNKNOWN'; readonly cause: string };

/**
 * Why the lock's owner is known to have ended without releasing it, or undefined while it may
 * still run. An owner nobody can describe is assumed alive: only its lease then frees the slot.
 */
export function deadOwnerReason(lock: RunLock, owner: ExecutionState): string | undefined {
  switch (owner.status) {
    case 'FAILED':
    case 'TIMED_OUT':
    case 'ABORTED':
    case 'SUCCEEDED': {
      const when = owner.stoppedAt === undefined ? '' : ` at ${owner.stoppedAt}`;
      const cause = owner.cause === undefined ? '' : ` (${owner.cause})`;
      return `its execution ${lock.executionId} ended ${owner.status}${when}${cause} without releasing the run lock`;
    }
    case 'RUNNING':
    case 'PENDING_REDRIVE':
    case 'UNKNOWN':
      return undefined;
    default:
      return assertNever(owner, 'unexpected execution state');
  }
}

/** Who holds the lock, for messages: run, owner and since when. */
export function describeHolder(lock: RunLock): string {
  return `run ${lock.runId} (execution ${lock.executionId})${lock.acquiredAt === undefined ? '' : ` since ${lock.acquiredAt}`}`;
}
