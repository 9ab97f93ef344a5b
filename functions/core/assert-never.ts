/**
 * The end of an exhaustive switch: a case left unhandled fails to compile here, and a value the
 * types did not foresee (data read from outside) fails loudly with `what` and the value.
 */
export function assertNever(value: never, what: string): never {
  throw new Error(`${what} ${JSON.stringify(value)}`);
}
