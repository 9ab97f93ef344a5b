import * as z from 'zod';
import { InputError } from '../core/errors.ts';

/** The workflow's tuning, set by the stack on the functions that need it; parsed once at cold start. */
const settingsSchema = z.object({
  /** Most parallel scan segments a run uses: bounds the Map's history events and state size. */
  RESEGMENT_MAX_SEGMENTS: z.coerce.number().int().min(1).max(1_000).default(64),
  /** Table items (of every kind) per scan segment when planning. */
  RESEGMENT_ITEMS_PER_SEGMENT: z.coerce.number().int().min(1).default(200_000),
  /** Items per Scan page. */
  RESEGMENT_PAGE_SIZE: z.coerce.number().int().min(1).max(10_000).default(1_000),
  /** How long a run's lock holds without release: a crashed run frees the slot after this. */
  RESEGMENT_LOCK_LEASE_MINUTES: z.coerce.number().min(1).default(6 * 60 + 10),
});

export type ResegmentSettings = z.infer<typeof settingsSchema>;

export function loadResegmentSettings(env: NodeJS.ProcessEnv): ResegmentSettings {
  const result = settingsSchema.safeParse(env);
  if (!result.success) throw new InputError(`invalid re-segmentation settings: ${result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return result.data;
}
