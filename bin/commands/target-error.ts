/** A stack the CLI cannot use: unknown, unreachable, without credentials, or not strata's. Exit code 2. */
export class TargetError extends Error {
  override readonly name = 'TargetError';
  readonly exitCode = 2;
}
