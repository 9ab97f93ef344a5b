import * as fs from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import type { DescribedExecution } from './step-functions-server.ts';

/**
 * The embedded runner's execution records, one file per execution under <state>/executions/, so
 * any process of the local stack can tell how an execution another process ran is doing.
 */
const recordSchema = z.object({
  executionArn: z.string(),
  pid: z.number().int(),
  status: z.enum(['RUNNING', 'SUCCEEDED', 'FAILED']),
  startDate: z.string(),
  stopDate: z.string().optional(),
  error: z.string().optional(),
  /** The run's input and, once it succeeded, its output, as JSON text (what DescribeExecution returns). */
  input: z.string().optional(),
  output: z.string().optional(),
});
export type ExecutionRecord = z.infer<typeof recordSchema>;

export function executionRecords(stateDir: string) {
  const dir = path.join(stateDir, 'executions');
  // Execution names are [A-Za-z0-9_-]; anything else cannot be one of ours.
  const fileOf = (executionArn: string) => {
    const name = /:execution:[^:]+:([A-Za-z0-9_-]{1,80})$/.exec(executionArn)?.[1];
    return name === undefined ? undefined : path.join(dir, `${name}.json`);
  };
  return {
    write(record: ExecutionRecord): void {
      const file = fileOf(record.executionArn);
      if (file === undefined) throw new Error(`cannot keep a record of execution ${record.executionArn}`);
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(`${file}.tmp`, JSON.stringify(record));
      fs.renameSync(`${file}.tmp`, file);
    },

    /** What DescribeExecution would say; a RUNNING record whose process is gone was aborted with it. */
    describe(executionArn: string): DescribedExecution | undefined {
      const file = fileOf(executionArn);
      if (file === undefined || !fs.existsSync(file)) return undefined;
      const record = recordSchema.parse(JSON.parse(fs.readFileSync(file, 'utf-8')));
      const known = { startedAt: record.startDate, ...(record.input === undefined ? {} : { input: record.input }) };
      if (record.status === 'RUNNING' && !processAlive(record.pid)) return { ...known, status: 'ABORTED', cause: `the local process ${record.pid} that ran it is gone` };
      return {
        ...known,
        status: record.status,
        ...(record.output === undefined ? {} : { output: record.output }),
        ...(record.stopDate === undefined ? {} : { stoppedAt: record.stopDate }),
        ...(record.error === undefined ? {} : { cause: record.error.slice(0, 300) }),
      };
    },
  };
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: alive, owned by someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
