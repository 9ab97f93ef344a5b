import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ExecutionState } from '../core/run-lock.ts';

export interface StepFunctionsServer {
  readonly endpoint: string;
  /** Serves StartExecution from now on: the callback starts the run and answers its execution ARN (undefined: no such state machine). */
  serveStarts(start: StartExecution): void;
  close(): Promise<void>;
}

/** Starts an execution of a state machine of the stack; undefined when the stack has no such state machine. */
export type StartExecution = (stateMachineArn: string, name: string | undefined, input: unknown) => string | undefined;

/** What DescribeExecution answers: the state, and for a finished run its output. */
export type DescribedExecution = ExecutionState & { readonly startedAt?: string; readonly output?: string; readonly input?: string };

/**
 * The Step Functions calls strata makes, served on loopback in the AWS JSON 1.0 protocol so the
 * unchanged SDK client gets an answer from the embedded runner (aws-local-stepfunctions has no
 * API): DescribeExecution (the run lock checks its owner; the CLI follows a run) and, once the
 * stack's owner serves it, StartExecution (the CLI's `strata resegment`, as on AWS).
 */
export async function startStepFunctionsServer(describe: (executionArn: string) => DescribedExecution | undefined): Promise<StepFunctionsServer> {
  let start: StartExecution | undefined;
  const server = createServer((request, response) => {
    const parts: Buffer[] = [];
    request.on('data', (part: Buffer) => parts.push(part));
    request.on('end', () => {
      const reply = (status: number, body: object) => {
        response.writeHead(status, { 'content-type': 'application/x-amz-json-1.0' });
        response.end(JSON.stringify(body));
      };
      const fail = (type: string, message: string) => reply(400, { __type: `com.amazonaws.states#${type}`, message });
      const target = request.headers['x-amz-target'];
      if (request.method !== 'POST' || (target !== 'AWSStepFunctions.DescribeExecution' && target !== 'AWSStepFunctions.StartExecution')) {
        return fail('UnknownOperationException', 'only DescribeExecution and StartExecution are served locally');
      }
      let body: { executionArn?: unknown; stateMachineArn?: unknown; name?: unknown; input?: unknown };
      try {
        body = JSON.parse(Buffer.concat(parts).toString('utf-8') || '{}') as typeof body;
      } catch {
        return fail('SerializationException', 'request is not JSON');
      }
      if (target === 'AWSStepFunctions.StartExecution') {
        if (start === undefined) return fail('UnknownOperationException', 'StartExecution is served by the process that owns the local stack (strata local up)');
        if (typeof body.stateMachineArn !== 'string') return fail('InvalidArn', `not a state machine ARN: ${String(body.stateMachineArn)}`);
        if (body.name !== undefined && (typeof body.name !== 'string' || !/^[A-Za-z0-9_-]{1,80}$/.test(body.name))) return fail('InvalidName', `not an execution name: ${String(body.name)}`);
        let input: unknown;
        try {
          input = JSON.parse(typeof body.input === 'string' ? body.input : '{}');
        } catch {
          return fail('InvalidExecutionInput', 'input is not JSON');
        }
        const executionArn = start(body.stateMachineArn, body.name as string | undefined, input);
        if (executionArn === undefined) return fail('StateMachineDoesNotExist', `State Machine Does Not Exist: '${body.stateMachineArn}'`);
        return reply(200, { executionArn, startDate: Date.now() / 1000 });
      }
      const executionArn = body.executionArn;
      if (typeof executionArn !== 'string' || !executionArn.startsWith('arn:aws:states:')) return fail('InvalidArn', `not an execution ARN: ${String(executionArn)}`);
      const state = describe(executionArn);
      if (state === undefined || state.status === 'UNKNOWN') return fail('ExecutionDoesNotExist', `no execution ${executionArn}`);
      return reply(200, {
        executionArn,
        stateMachineArn: executionArn.replace(/:execution:([^:]+):[^:]+$/, ':stateMachine:$1'),
        status: state.status,
        startDate: Date.parse(state.startedAt ?? new Date(0).toISOString()) / 1000,
        ...(state.input === undefined ? {} : { input: state.input }),
        ...(state.output === undefined ? {} : { output: state.output }),
        ...(state.stoppedAt === undefined ? {} : { stopDate: Date.parse(state.stoppedAt) / 1000 }),
        ...(state.cause === undefined ? {} : { cause: state.cause }),
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    serveStarts(given) {
      start = given;
    },
    close: () => new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
  };
}
