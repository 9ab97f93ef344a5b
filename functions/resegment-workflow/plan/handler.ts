import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import * as z from 'zod';
import { loadConfig } from '../../commons/config.ts';
import { createLogger, withObservability } from '../../commons/observability.ts';
import { tableItemCount } from '../../adapters/resegment-store.ts';
import { planSegments, runSchema } from '../../core/resegment/run.ts';
import { loadResegmentSettings } from '../settings.ts';

const config = loadConfig(process.env);
const settings = loadResegmentSettings(process.env);
const logger = createLogger('resegment-plan');
const client = new DynamoDBClient({});

export interface Plan {
  readonly itemCount: number;
  readonly totalSegments: number;
  /** 0..totalSegments-1: the items of the Map states. */
  readonly segments: readonly number[];
}

/** Sizes the parallel scan from the table's item count, within the run's segment ceiling. */
export const handler = withObservability(logger, async (event: unknown): Promise<Plan> => {
  const { run } = z.object({ run: runSchema }).parse(event);
  const itemCount = await tableItemCount(client, config.tableName);
  const totalSegments =
    run.scanSegments === null ? planSegments(itemCount, settings.RESEGMENT_ITEMS_PER_SEGMENT, run.maxSegments) : Math.min(run.scanSegments, run.maxSegments);
  logger.info('planned', { runId: run.runId, itemCount, totalSegments });
  return { itemCount, totalSegments, segments: Array.from({ length: totalSegments }, (_, i) => i) };
});
