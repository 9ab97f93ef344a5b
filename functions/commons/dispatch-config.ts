import * as z from 'zod';
import { isTimeZone } from '../core/time-zone.ts';
import type { SendPolicy } from '../core/send-decision.ts';

/** Settings of the dispatch and unsubscribe functions, parsed once at cold start. */
const schema = z.object({
  /** Base URL of the unsubscribe endpoint (the Function URL; a loopback port locally). */
  UNSUBSCRIBE_URL: z.url().optional(),
  UNSUBSCRIBE_SECRET_ARN: z.string().min(1).optional(),
  /** Local stand-in for the secret: a file holding the signing key. */
  UNSUBSCRIBE_SECRET_FILE: z.string().min(1).optional(),
  DEFAULT_TIMEZONE: z.string().refine(isTimeZone, 'an IANA time zone').default('UTC'),
  /** "count/days": at most count marketing e-mails per customer in any days days. */
  FREQUENCY_CAP: z.string().regex(/^\d+\/\d+$/, 'count/days, e.g. 3/7').default('3/7'),
  /** Recipients per second when SES will not tell (GetAccount fails, e.g. the local emulator). */
  MAX_SEND_RATE: z.coerce.number().positive().default(14),
  STALE_CLAIM_MINUTES: z.coerce.number().int().min(16).default(30),
});

export type DispatchConfig = Readonly<{
  unsubscribeUrl: string | undefined;
  secretArn: string | undefined;
  secretFile: string | undefined;
  policy: SendPolicy;
  fallbackSendRate: number;
  staleClaimMinutes: number;
}>;

export function loadDispatchConfig(env: NodeJS.ProcessEnv): DispatchConfig {
  const result = schema.safeParse(env);
  if (!result.success) {
    throw new Error(`invalid configuration: ${result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  const c = result.data;
  const [count, days] = c.FREQUENCY_CAP.split('/').map(Number) as [number, number];
  return {
    unsubscribeUrl: c.UNSUBSCRIBE_URL,
    secretArn: c.UNSUBSCRIBE_SECRET_ARN,
    secretFile: c.UNSUBSCRIBE_SECRET_FILE,
    policy: { defaultTimeZone: c.DEFAULT_TIMEZONE, capCount: count, capDays: days },
    fallbackSendRate: c.MAX_SEND_RATE,
    staleClaimMinutes: c.STALE_CLAIM_MINUTES,
  };
}
