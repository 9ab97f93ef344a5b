/** Bad input that no retry can fix: a malformed file, definition or request. */
export class InputError extends Error {
  override readonly name = 'InputError';
  readonly retryable = false;
}

/** A transient failure (throttling, timeout, unavailable dependency): retrying may succeed. */
export class RetryableError extends Error {
  override readonly name = 'RetryableError';
  readonly retryable = true;
}
