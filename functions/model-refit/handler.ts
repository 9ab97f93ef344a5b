import * as z from 'zod';
import { evaluationTime, loadConfig } from '../commons/config.ts';
import { createLogger, withObservability } from '../commons/observability.ts';
import { dynamoDocumentClient, s3Client } from '../adapters/aws-clients.ts';
import { s3ObjectStore } from '../adapters/object-store.ts';
import { scanPurchases } from '../adapters/order-ledger.ts';
import { fitFromHistories, LATEST_MODEL_KEY, modelKey } from '../core/models/fitted-model.ts';
import { HistoryBuilder } from '../core/models/prepare.ts';
import { parseOrThrow } from '../core/validation.ts';

const config = loadConfig(process.env);
const logger = createLogger('model-refit');

/**
 * The re-segmentation workflow passes its run's time as `asOf`, so a replayed or repeated run fits
 * as of that time (and writes the same key); a person may pin the calibration end. By default both
 * come from the evaluation time.
 */
const eventSchema = z.object({ calibrationEnd: z.iso.date().optional(), asOf: z.iso.datetime({ offset: true }).or(z.iso.date()).optional() }).loose();

export interface RefitResult {
  readonly key: string;
  readonly fittedAt: string;
  readonly calibrationEnd: string;
  readonly customers: number;
  readonly converged: boolean;
}

/** Refits BG/NBD and Gamma-Gamma on the whole order ledger and stores models/<fitted-at>.json and models/latest.json. */
export const handler = withObservability(logger, async (event: unknown): Promise<RefitResult> => {
  const { calibrationEnd: pinned, asOf } = parseOrThrow(eventSchema, event ?? {}, 'event', 'model-refit');
  const now = evaluationTime(config, asOf);
  const calibrationEnd = pinned ?? now.toISOString().slice(0, 10);
  const builder = new HistoryBuilder();
  let lines = 0;
  for await (const page of scanPurchases(dynamoDocumentClient(), config.tableName)) {
    for (const purchase of page) builder.add(purchase);
    lines += page.length;
  }
  const model = fitFromHistories(builder.histories(), calibrationEnd, now);
  const body = JSON.stringify(model, null, 2);
  const objects = s3ObjectStore(s3Client(), config.bucketName);
  const key = modelKey(model.fittedAt);
  await objects.put(key, body, 'application/json');
  await objects.put(LATEST_MODEL_KEY, body, 'application/json');
  const converged = model.bgnbd.converged && model.gammaGamma.converged;
  logger.info('model refitted', { key, lines, customers: model.customers, converged, bgnbd: model.bgnbd, gammaGamma: model.gammaGamma });
  return { key, fittedAt: model.fittedAt, calibrationEnd, customers: model.customers, converged };
});
