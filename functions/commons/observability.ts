import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Context, Handler } from 'aws-lambda';

/** One logger per function. It logs ids, keys and counts, never e-mail addresses or names. */
export function createLogger(serviceName: string): Logger {
  // The level comes from POWERTOOLS_LOG_LEVEL, which Powertools reads itself.
  return new Logger({ serviceName });
}

/** Wraps a handler in middy with the Powertools logger middleware (context and cold start in every line). */
export function withObservability<E, R>(logger: Logger, handler: (event: E, context: Context) => Promise<R>): Handler<E, R> {
  return middy(handler).use(injectLambdaContext(logger, { clearState: true }));
}
