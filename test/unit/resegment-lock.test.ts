import { describe, expect, it } from 'vitest';
import { deadOwnerReason, describeHolder, type ExecutionState } from '../../functions/core/run-lock.ts';

const lock = { runId: 'manual-a', executionId: 'arn:aws:states:eu-west-1:1:execution:m:a', acquiredAt: '2026-01-02T06:00:00.000Z', expiresAt: 0 };

describe('whether a run lock may be taken over from its owner', () => {
  it.each<[ExecutionState, boolean]>([
    [{ status: 'RUNNING' }, false],
    [{ status: 'PENDING_REDRIVE' }, false],
    [{ status: 'UNKNOWN', cause: 'ExecutionDoesNotExist' }, false],
    [{ status: 'FAILED', stoppedAt: '2026-01-02T06:05:00.000Z', cause: 'States.TaskFailed' }, true],
    [{ status: 'TIMED_OUT' }, true],
    [{ status: 'ABORTED', cause: 'the local process 42 that ran it is gone' }, true],
    [{ status: 'SUCCEEDED' }, true],
  ])('owner %j: dead = %s', (owner, dead) => {
    const why = deadOwnerReason(lock, owner);
    expect(why !== undefined).toBe(dead);
    if (why !== undefined) expect(why).toContain(`${lock.executionId} ended ${owner.status}`);
  });

  it('says why with the time and cause of the end', () => {
    expect(deadOwnerReason(lock, { status: 'FAILED', stoppedAt: '2026-01-02T06:05:00.000Z', cause: 'States.TaskFailed' })).toBe(
      `its execution ${lock.executionId} ended FAILED at 2026-01-02T06:05:00.000Z (States.TaskFailed) without releasing the run lock`,
    );
  });

  it('names the holder: run, owner and since when', () => {
    expect(describeHolder(lock)).toBe(`run manual-a (execution ${lock.executionId}) since 2026-01-02T06:00:00.000Z`);
  });
});
