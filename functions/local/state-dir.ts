import * as path from 'node:path';
import { PROJECT_ROOT } from '../../lib/project-root.ts';

/** Where the embedded stack keeps its tables, buckets and mailbox between runs, unless told otherwise. */
export const DEFAULT_STATE_DIR = path.join(PROJECT_ROOT, '.strata');
