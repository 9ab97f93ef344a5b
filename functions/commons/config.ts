import * as z from 'zod';
import { DEFAULT_CHUNK_BYTES } from '../core/chunk-size.ts';
import { resolveEvaluationTime } from '../core/evaluation-time.ts';

/** Share of bad rows above which a file is rejected whole, unless MAX_REJECTED_SHARE says otherwise. */
export const DEFAULT_MAX_REJECTED_SHARE = 0.2;

/**
 * Runtime configuration, parsed once at cold start. A missing or malformed value fails the
 * cold start with the variable's name rather than a confusing error mid-run.
 */
const configSchema = z.object({
  TABLE_NAME: z.string().min(1),
  BUCKET_NAME: z.string().min(1),
  SENDER_ADDRESS: z.string().email().optional(),
  CONFIGURATION_SET: z.string().min(1).optional(),
  /** Evaluation time for replaying historical data (ISO date); the real clock when unset. */
  STRATA_AS_OF: z.iso.datetime({ offset: true }).or(z.iso.date()).optional(),
  /** Share of bad rows above which a file is rejected whole (0..1). */
  MAX_REJECTED_SHARE: z.coerce.number().min(0).max(1).default(DEFAULT_MAX_REJECTED_SHARE),
  /** Files larger than this many bytes are ingested in byte-range chunks of this size, in parallel. */
  INGEST_CHUNK_BYTES: z.coerce.number().int().min(1024).default(DEFAULT_CHUNK_BYTES),
});

export type Config = Readonly<{
  tableName: string;
  bucketName: string;
  senderAddress: string | undefined;
  configurationSet: string | undefined;
  asOf: Date | undefined;
  maxRejectedShare: number;
  ingestChunkBytes: number;
}>;

export function loadConfig(env: NodeJS.ProcessEnv): Config {
  const result = configSchema.safeParse(env);
  if (!result.success) {
    const detail = result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`invalid configuration: ${detail}`);
  }
  const c = result.data;
  return {
    tableName: c.TABLE_NAME,
    bucketName: c.BUCKET_NAME,
    senderAddress: c.SENDER_ADDRESS,
    configurationSet: c.CONFIGURATION_SET,
    asOf: c.STRATA_AS_OF === undefined ? undefined : new Date(c.STRATA_AS_OF),
    maxRejectedShare: c.MAX_REJECTED_SHARE,
    ingestChunkBytes: c.INGEST_CHUNK_BYTES,
  };
}

/** The evaluation time of a handler's run: the event's as-of date, else the configured one (replaying history), else now. */
export function evaluationTime(config: Config, requested?: string): Date {
  return resolveEvaluationTime({ requested, configured: config.asOf }, new Date());
}
