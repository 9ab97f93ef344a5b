import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import type { ChunkTask } from '../core/chunks.ts';
import { mapLimit } from '../core/collections.ts';

/** Sends chunk tasks to be run concurrently: async self-invocation in AWS, the same handler locally. */
export interface ChunkDispatcher {
  dispatch(tasks: readonly ChunkTask[]): Promise<void>;
}

/**
 * Fans chunk tasks out as asynchronous invocations of the ingest function itself: Lambda queues
 * them, runs them concurrently, retries a failed one twice and then sends it to the dead-letter
 * queue, exactly as for an S3 event.
 */
export function lambdaChunkDispatcher(client: LambdaClient, functionName: string): ChunkDispatcher {
  return {
    async dispatch(tasks: readonly ChunkTask[]) {
      await mapLimit(tasks, 8, async (task) => {
        await client.send(new InvokeCommand({ FunctionName: functionName, InvocationType: 'Event', Payload: JSON.stringify(task) }));
      });
    },
  };
}
