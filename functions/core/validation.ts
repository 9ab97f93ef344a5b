import type * as z from 'zod';
import { InputError } from './errors.ts';

/** Validates user-supplied data against a schema; the error names the source and every bad path. */
export function parseOrThrow<S extends z.ZodType>(schema: S, json: unknown, what: string, source: string): z.infer<S> {
  const result = schema.safeParse(json);
  if (!result.success) {
    const detail = result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new InputError(`invalid ${what} ${source}: ${detail.join('; ')}`);
  }
  return result.data;
}
