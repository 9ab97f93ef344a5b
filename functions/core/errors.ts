/**
 * Bad input that no retry can fix: a malformed file, definition, request or configuration. A caller
 * does not retry it: it reports it (the file's quarantine report, the command's message) and moves on.
 */
export class InputError extends Error {
  override readonly name = 'InputError';
  readonly retryable = false;
}

/**
 * A transient failure (throttling, timeout, a race with another attempt, an unavailable dependency):
 * retrying may succeed. A caller lets it fail the invocation so it is retried (Lambda's retries of
 * the event; the re-segmentation workflow retries this name, RETRYABLE_ERRORS in lib/constructs/resegment-workflow.ts).
 */
export class RetryableError extends Error {
  override readonly name = 'RetryableError';
  readonly retryable = true;
}
