import './promise-polyfill.ts';
import { randomUUID } from 'node:crypto';
import { StateMachine, type RunOptions } from 'aws-local-stepfunctions';
import type { LocalStack } from './local-stack.ts';
import { executionRecords } from './execution-records.ts';
import { allStates, localFunctionArn, synthesizedWorkflow, type AslDefinition } from './state-machine-definition.ts';
import { WORKFLOW_METADATA_KEY } from '../../lib/metadata-keys.ts';
import { resourcesOfType } from './cloud-template.ts';
import { localArn } from './iam-policies.ts';

/** One entry of the local execution's event log (the library does not export its type). */
export type EventLog = ReturnType<StateMachine['run']>['eventLogs'] extends AsyncGenerator<infer E> ? E : never;
type LocalHandlers = NonNullable<NonNullable<RunOptions['overrides']>['taskResourceLocalHandlers']>;
type JsonValue = Parameters<LocalHandlers[string]>[0];

/** Wraps one Task invocation: fault tests use it to fail or crash a step the way AWS would. */
export type TaskInterceptor = (stateName: string, input: unknown, invoke: (input: unknown) => Promise<unknown>) => Promise<unknown>;

export interface WorkflowRunOptions {
  readonly executionName?: string;
  readonly intercept?: TaskInterceptor;
  /** Waits between retries, in ms; the definition's backoff (seconds) is kept unless set. */
  readonly retryIntervalMs?: number;
}

export interface WorkflowRun {
  readonly status: 'SUCCEEDED' | 'FAILED';
  readonly output: unknown;
  readonly error: string | undefined;
  readonly events: readonly EventLog[];
  readonly durationMs: number;
  readonly executionName: string;
}

/**
 * Runs a workflow of the synthesized template with aws-local-stepfunctions: the definition as
 * synthesized, each Task's Lambda ARN resolved (through the function's logical id and its
 * strata:entry metadata) to the local handler.
 */
export async function runWorkflow(stack: LocalStack, name: string, input: unknown, options: WorkflowRunOptions = {}): Promise<WorkflowRun> {
  const { logicalId, definition } = synthesizedWorkflow(stack.template, name);
  const handlers = taskHandlers(stack, logicalId, definition, options.intercept);
  const machine = new StateMachine(definition as never, { validationOptions: { checkPaths: true, checkArn: false } });
  const executionName = options.executionName ?? `local-${randomUUID()}`;
  const taskNames = allStates(definition).filter(([, s]) => s.Type === 'Task' || s.Type === 'Map').map(([n]) => n);
  const started = Date.now();
  const executionArn = executionArnOf(name, executionName);
  // What DescribeExecution answers locally: other processes (and later runs) read it.
  const records = executionRecords(stack.stateDir);
  const record = { executionArn, pid: process.pid, startDate: new Date(started).toISOString(), input: JSON.stringify(input ?? null) };
  records.write({ ...record, status: 'RUNNING' });
  const execution = machine.run(input as JsonValue, {
    overrides: {
      taskResourceLocalHandlers: handlers,
      ...(options.retryIntervalMs === undefined ? {} : { retryIntervalOverrides: Object.fromEntries(taskNames.map((n) => [n, options.retryIntervalMs ?? 0])) }),
    },
    context: { Execution: { Id: executionArn, Name: executionName } },
  });
  const events: EventLog[] = [];
  const collecting = (async () => {
    for await (const event of execution.eventLogs) events.push(event);
  })();
  try {
    const output = await execution.result;
    await collecting;
    records.write({ ...record, status: 'SUCCEEDED', stopDate: new Date().toISOString(), output: JSON.stringify(output ?? null) });
    return { status: 'SUCCEEDED', output, error: undefined, events, durationMs: Date.now() - started, executionName };
  } catch (error) {
    await collecting.catch(() => undefined);
    const cause = (error as { cause?: unknown }).cause;
    const failure = cause instanceof Error ? `${cause.name}: ${cause.message}` : String(error);
    // Which step failed for good, and why: the Fail state's own message says only that one did.
    const caught = events.filter((e) => e.type === 'StateCaught').at(0);
    const failed = events
      .filter((e): e is Extract<EventLog, { type: 'StateFailed' }> => e.type === 'StateFailed')
      .filter((e) => caught === undefined || e.timestamp <= caught.timestamp)
      .at(-1);
    const detail = failed !== undefined ? `${failure} (${failed.state.name}: ${failed.Error}: ${String(failed.Cause)})` : failure;
    records.write({ ...record, status: 'FAILED', stopDate: new Date().toISOString(), error: detail });
    return { status: 'FAILED', output: undefined, error: detail, events, durationMs: Date.now() - started, executionName };
  }
}

/** The ARN the local runner gives an execution of a workflow (what StartExecution answers). */
export function executionArnOf(workflow: string, executionName: string): string {
  return `arn:aws:states:us-east-1:000000000000:execution:${workflow}:${executionName}`;
}

/**
 * Serves Step Functions StartExecution on the stack's loopback endpoint: an execution of a state
 * machine of the template runs here, in the process that owns the stack, and other processes
 * follow it with DescribeExecution, as they would on AWS.
 */
export function serveWorkflows(stack: LocalStack): void {
  const workflows = new Map(
    resourcesOfType(stack.template, 'AWS::StepFunctions::StateMachine').flatMap(([id, r]) => {
      const workflow = r.Metadata?.[WORKFLOW_METADATA_KEY];
      return typeof workflow === 'string' ? [[localArn(stack.template, id), workflow] as const] : [];
    }),
  );
  stack.serveStartExecution((stateMachineArn, name, input) => {
    const workflow = workflows.get(stateMachineArn);
    if (workflow === undefined) return undefined;
    const executionName = name ?? `local-${randomUUID()}`;
    void runWorkflow(stack, workflow, input, { executionName }).catch((error: unknown) => {
      process.stderr.write(`local workflow ${workflow} ${executionName} failed to run: ${String(error)}\n`);
    });
    return executionArnOf(workflow, executionName);
  });
}

function taskHandlers(stack: LocalStack, stateMachineLogicalId: string, definition: AslDefinition, intercept: TaskInterceptor | undefined): LocalHandlers {
  const byArn = new Map(stack.functions.map((f) => [localFunctionArn(f.logicalId), f]));
  const handlers: LocalHandlers = {};
  for (const [stateName, state] of allStates(definition)) {
    if (state.Type !== 'Task') continue;
    const fn = byArn.get(String(state.Resource));
    if (fn === undefined) throw new Error(`task ${stateName} calls ${String(state.Resource)}, which is no function of the template with a local handler`);
    // Through JSON both ways, as Lambda's payloads travel.
    // The state machine's role must allow lambda:InvokeFunction on the function, as on AWS.
    const invoke = async (payload: unknown): Promise<unknown> => {
      await stack.checkInvoke(stateMachineLogicalId, fn.logicalId);
      return JSON.parse(JSON.stringify((await stack.invoke(fn.entry, JSON.parse(JSON.stringify(payload)))) ?? null)) as unknown;
    };
    handlers[stateName] = async (payload) => (await (intercept === undefined ? invoke(payload) : intercept(stateName, payload, invoke))) as JsonValue;
  }
  return handlers;
}
