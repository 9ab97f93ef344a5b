import type { LambdaFunctionURLEvent } from 'aws-lambda';
import { loadConfig } from '../../commons/config.ts';
import { loadDispatchConfig } from '../../commons/dispatch-config.ts';
import { createLogger, withObservability } from '../../commons/observability.ts';
import { dynamoDocumentClient } from '../../adapters/aws-clients.ts';
import { dynamoSuppressionWriter } from '../../adapters/suppression-store.ts';
import { loadSigningKey } from '../../adapters/signing-key.ts';
import { respond, type HttpResult } from './respond.ts';

const config = loadConfig(process.env);
const dispatch = loadDispatchConfig(process.env);
const logger = createLogger('unsubscribe');
let key: Promise<string> | undefined;

/** The Function URL behind every List-Unsubscribe header (see respond.ts). */
export const handler = withObservability(logger, async (event: LambdaFunctionURLEvent): Promise<HttpResult> => {
  key ??= loadSigningKey(dispatch);
  const result = await respond({ store: dynamoSuppressionWriter(dynamoDocumentClient(), config.tableName), key: await key, now: new Date() }, event);
  logger.info('unsubscribe request', { method: event.requestContext.http.method, status: result.statusCode });
  return result;
});
