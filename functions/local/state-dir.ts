import * as fs from 'node:fs';
import * as path from 'node:path';
import { PROJECT_ROOT } from '../../lib/project-root.ts';

/** Where the embedded stack keeps its tables, buckets and mailbox between runs, unless told otherwise. */
export const DEFAULT_STATE_DIR = path.join(PROJECT_ROOT, '.strata');

/** What the process owning a state folder's emulators records in <state>/owner.json. */
export interface Owner {
  readonly pid: number;
  readonly endpoints: { readonly dynamodb: string; readonly s3: string; readonly ses: string; readonly unsubscribe?: string | undefined };
  /** Set once the owner serves its APIs: the stack's name and the SDK variables that reach it. */
  readonly stackName?: string;
  readonly sdkEnvironment?: Readonly<Record<string, string>>;
}

export const OWNER_FILE = 'owner.json';

/** The live process that owns the emulators of this state folder, if another one does. */
export function runningOwner(stateDir: string): Owner | undefined {
  const file = path.join(stateDir, OWNER_FILE);
  if (!fs.existsSync(file)) return undefined;
  const owner = JSON.parse(fs.readFileSync(file, 'utf-8')) as Owner;
  if (owner.pid === process.pid) return undefined;
  try {
    process.kill(owner.pid, 0);
    return owner;
  } catch {
    return undefined; // a stale file left by a process that died
  }
}
