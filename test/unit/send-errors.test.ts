import { describe, expect, it } from 'vitest';
import { classifySendError } from '../../functions/adapters/mailer.ts';

/** Error shapes as the SDK raises them: a service error carries its HTTP status, a network error only a code. */
const serviceError = (name: string, status: number) => Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status } });
const networkError = (code: string) => Object.assign(new Error(code), { code });

describe('what a failed SendBulkEmail call means for a resend', () => {
  it.each([
    { label: 'TooManyRequestsException', error: serviceError('TooManyRequestsException', 429), kind: 'throttled' },
    { label: 'LimitExceededException', error: serviceError('LimitExceededException', 400), kind: 'throttled' },
    { label: 'MessageRejected', error: serviceError('MessageRejected', 400), kind: 'refused' },
    { label: 'NotFoundException (no template)', error: serviceError('NotFoundException', 404), kind: 'refused' },
    { label: 'AccountSuspendedException', error: serviceError('AccountSuspendedException', 400), kind: 'refused' },
    { label: 'a refused connection', error: networkError('ECONNREFUSED'), kind: 'unreached' },
    { label: 'an unknown host', error: networkError('ENOTFOUND'), kind: 'unreached' },
    { label: 'a reset connection', error: networkError('ECONNRESET'), kind: 'ambiguous' },
    { label: 'a timeout', error: Object.assign(new Error('timed out'), { name: 'TimeoutError' }), kind: 'ambiguous' },
    { label: 'an internal error', error: serviceError('InternalFailure', 500), kind: 'ambiguous' },
  ])('$label → $kind', ({ error, kind }) => {
    expect(classifySendError(error).kind).toBe(kind);
  });
});
