import * as path from 'node:path';
import { PROJECT_ROOT } from '../../lib/project-root.ts';

/**
 * The CLI's defaults, in a module that loads nothing else: the CLI reads them to describe its
 * options before it knows which command runs, and loads a command's modules only when it runs.
 */
export { DEFAULT_STATE_DIR } from '../../functions/local/state-dir.ts';
/** The demo's evaluation date: the day after the CDNOW data ends. */
export const DEMO_AS_OF = '1998-07-01';
export const DEFAULT_REPORT_FILE = path.join(PROJECT_ROOT, 'out', 'report.html');
