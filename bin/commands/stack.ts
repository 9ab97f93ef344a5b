import * as fs from 'node:fs';
import { serveWorkflows } from '../../functions/local/run-workflow.ts';
import { runningOwner, startLocalStack, type LocalStack, type LocalStackOptions } from '../../functions/local/local-stack.ts';

export { startLocalStack };

/** Runs a command against the local stack and always stops it (or detaches) afterwards. */
export async function withLocalStack(options: LocalStackOptions, command: (stack: LocalStack) => Promise<void>): Promise<void> {
  const stack = await startLocalStack(options);
  try {
    await command(stack);
  } finally {
    await stack.stop();
  }
}

/** Keeps the stack running until Ctrl-C or SIGTERM, then stops it. */
export function holdOpen(stack: LocalStack): Promise<void> {
  return new Promise((resolve) => {
    const stop = () => {
      process.stderr.write('\nstopping the local stack…\n');
      void stack.stop().then(resolve);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}

/** `strata local up`: starts the stack with its saved state, says where each service listens, and keeps it running. */
export async function localUp(stateDir: string): Promise<void> {
  const stack = await startLocalStack({ stateDir });
  serveWorkflows(stack);
  process.stdout.write(
    [
      `strata local stack is up (Ctrl-C to stop; state in ${stateDir})`,
      `  DynamoDB  ${stack.endpoints.dynamodb}  table ${stack.tableName}`,
      `  S3        ${stack.endpoints.s3}  bucket ${stack.bucketName}`,
      `  SES       ${stack.endpoints.ses}/  (mailbox web UI, JSON at /store)`,
      '',
      `Other shells reach it as a deployed stack (strata --stack ${stack.stackName} …, or the AWS CLI) with:`,
      ...Object.entries(stack.sdkEnvironment).map(([name, value]) => `  export ${name}=${value}`),
      '',
    ].join('\n'),
  );
  await holdOpen(stack);
}

/** `strata local reset`: wipes the saved state, refusing while a stack runs on it. */
export function localReset(stateDir: string): void {
  const owner = runningOwner(stateDir);
  if (owner !== undefined) throw new Error(`the local stack is running (pid ${owner.pid}); stop it before resetting`);
  fs.rmSync(stateDir, { recursive: true, force: true });
  process.stdout.write(`removed ${stateDir}\n`);
}
