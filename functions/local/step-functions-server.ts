import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ExecutionState } from '../core/run-lock.ts';

export interface StepFunctionsServer {
  readonly endpoint: string;
  close(): Promise<void>;
}

/**
 * The one Step Functions API call strata's functions make, DescribeExecution (the run lock checks
 * its owner), served on loopback in the AWS JSON 1.0 protocol so the unchanged SDK client gets an
 * answer from the embedded runner: aws-local-stepfunctions has no such API.
 */
export async function startStepFunctionsServer(describe: (executionArn: string) => ExecutionState | undefined): Promise<StepFunctionsServer> {
  const server = createServer((request, response) => {
    const parts: Buffer[] = [];
    request.on('data', (part: Buffer) => parts.push(part));
    request.on('end', () => {
      const reply = (status: number, body: object) => {
        response.writeHead(status, { 'content-type': 'application/x-amz-json-1.0' });
        response.end(JSON.stringify(body));
      };
      const fail = (type: string, message: string) => reply(400, { __type: `com.amazonaws.states#${type}`, message });
      if (request.method !== 'POST' || request.headers['x-amz-target'] !== 'AWSStepFunctions.DescribeExecution') return fail('UnknownOperationException', 'only DescribeExecution is served locally');
      let executionArn: unknown;
      try {
        executionArn = (JSON.parse(Buffer.concat(parts).toString('utf-8') || '{}') as { executionArn?: unknown }).executionArn;
      } catch {
        return fail('SerializationException', 'request is not JSON');
      }
      if (typeof executionArn !== 'string' || !executionArn.startsWith('arn:aws:states:')) return fail('InvalidArn', `not an execution ARN: ${String(executionArn)}`);
      const state = describe(executionArn);
      if (state === undefined || state.status === 'UNKNOWN') return fail('ExecutionDoesNotExist', `no execution ${executionArn}`);
      return reply(200, {
        executionArn,
        stateMachineArn: executionArn.replace(/:execution:([^:]+):[^:]+$/, ':stateMachine:$1'),
        status: state.status,
        ...(state.stoppedAt === undefined ? {} : { stopDate: Date.parse(state.stoppedAt) / 1000 }),
        ...(state.cause === undefined ? {} : { cause: state.cause }),
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
  };
}
