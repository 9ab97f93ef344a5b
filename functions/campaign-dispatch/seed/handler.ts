import * as path from 'node:path';
import * as z from 'zod';
import { loadConfig } from '../../commons/config.ts';
import { createLogger, withObservability } from '../../commons/observability.ts';
import { s3Client } from '../../adapters/aws-clients.ts';
import { s3ObjectStore } from '../../adapters/object-store.ts';
import { SEED_FOLDER, seedCampaigns, type SeedResult } from '../seed-campaigns.ts';

const config = loadConfig(process.env);
const logger = createLogger('campaign-seed');

/** A CloudFormation custom resource request, as far as seeding reads it. */
const requestSchema = z.looseObject({
  RequestType: z.enum(['Create', 'Update', 'Delete']),
  ResponseURL: z.url(),
  StackId: z.string(),
  RequestId: z.string(),
  LogicalResourceId: z.string(),
  PhysicalResourceId: z.string().optional(),
});

/**
 * The campaign seed custom resource: on create and on update (the bundled set changed) writes the
 * bundled campaigns config/campaigns/ lacks; on delete keeps them (they are operators' data now).
 */
export const handler = withObservability(logger, async (raw: unknown): Promise<SeedResult> => {
  const request = requestSchema.parse(raw);
  let result: SeedResult = { written: [], kept: [] };
  let failure: string | undefined;
  try {
    if (request.RequestType !== 'Delete') {
      result = await seedCampaigns(s3ObjectStore(s3Client(), config.bucketName), path.join(process.env.LAMBDA_TASK_ROOT ?? process.cwd(), SEED_FOLDER));
      logger.info('campaigns seeded', { written: result.written, kept: result.kept.length });
    }
  } catch (error) {
    failure = error instanceof Error ? error.message : String(error);
    logger.error('campaign seed failed', { error: failure });
  }
  // CloudFormation waits for this answer at the presigned URL, not for the function's return value.
  const response = await fetch(request.ResponseURL, {
    method: 'PUT',
    headers: { 'content-type': '' },
    body: JSON.stringify({
      Status: failure === undefined ? 'SUCCESS' : 'FAILED',
      Reason: failure ?? 'seeded',
      PhysicalResourceId: request.PhysicalResourceId ?? `${config.bucketName}/config/campaigns/`,
      StackId: request.StackId,
      RequestId: request.RequestId,
      LogicalResourceId: request.LogicalResourceId,
      Data: { Written: String(result.written.length) },
    }),
  });
  if (!response.ok) throw new Error(`CloudFormation refused the seed's answer: HTTP ${response.status}`);
  if (failure !== undefined) throw new Error(failure);
  return result;
});
