import { ENTRY_METADATA_KEY, WORKFLOW_METADATA_KEY } from '../../lib/metadata-keys.ts';
import { resourcesOfType, type CfnTemplate } from './cloud-template.ts';
import type { LocalStack } from './local-stack.ts';
import { runWorkflow, type WorkflowRun } from './run-workflow.ts';

/** A schedule of the template as EventBridge Scheduler would fire it: what it starts, as whom, with what input. */
export interface LocalSchedule {
  readonly logicalId: string;
  readonly expression: string;
  /** The target's logical id: a state machine or a function. */
  readonly targetLogicalId: string;
  readonly target: { readonly kind: 'workflow'; readonly name: string } | { readonly kind: 'function'; readonly entry: string };
  /** The target's Input, with its context attributes still to be filled in. */
  readonly input: string;
}

export type ScheduleFiring = { readonly kind: 'workflow'; readonly run: WorkflowRun } | { readonly kind: 'function'; readonly result: unknown };

/** Every AWS::Scheduler::Schedule of the template whose target is a state machine or a function of the stack. */
export function localSchedules(template: CfnTemplate): LocalSchedule[] {
  return resourcesOfType(template, 'AWS::Scheduler::Schedule').map(([logicalId, resource]) => {
    const target = (resource.Properties?.Target ?? {}) as { Arn?: { Ref?: string; 'Fn::GetAtt'?: [string, string] }; Input?: unknown };
    const targetLogicalId = target.Arn?.Ref ?? target.Arn?.['Fn::GetAtt']?.[0];
    const targetResource = targetLogicalId === undefined ? undefined : template.Resources[targetLogicalId];
    const workflow = targetResource?.Metadata?.[WORKFLOW_METADATA_KEY];
    const entry = targetResource?.Metadata?.[ENTRY_METADATA_KEY];
    const kind =
      targetResource?.Type === 'AWS::StepFunctions::StateMachine' && typeof workflow === 'string'
        ? ({ kind: 'workflow', name: workflow } as const)
        : targetResource?.Type === 'AWS::Lambda::Function' && typeof entry === 'string'
          ? ({ kind: 'function', entry } as const)
          : undefined;
    if (targetLogicalId === undefined || kind === undefined) throw new Error(`schedule ${logicalId} targets ${JSON.stringify(target.Arn)}, which is no state machine or function of the stack`);
    return {
      logicalId,
      expression: String(resource.Properties?.ScheduleExpression),
      targetLogicalId,
      target: kind,
      input: typeof target.Input === 'string' ? target.Input : '{}',
    };
  });
}

/**
 * Fires a schedule as EventBridge Scheduler does: as the schedule's role, which must be allowed
 * states:StartExecution on its state machine or lambda:InvokeFunction on its function (IAM is
 * enforced as for every call), with its Input and the scheduled time filled in.
 */
export async function fireSchedule(stack: LocalStack, logicalId: string, scheduledTime: Date): Promise<ScheduleFiring> {
  const schedule = localSchedules(stack.template).find((s) => s.logicalId === logicalId);
  if (schedule === undefined) throw new Error(`no schedule ${logicalId} in the template`);
  const input = JSON.parse(schedule.input.replaceAll('<aws.scheduler.scheduled-time>', scheduledTime.toISOString())) as unknown;
  if (schedule.target.kind === 'workflow') {
    await stack.checkCall(logicalId, 'states:StartExecution', schedule.targetLogicalId);
    return { kind: 'workflow', run: await runWorkflow(stack, schedule.target.name, input) };
  }
  await stack.checkCall(logicalId, 'lambda:InvokeFunction', schedule.targetLogicalId);
  return { kind: 'function', result: await stack.invoke(schedule.target.entry, input) };
}
