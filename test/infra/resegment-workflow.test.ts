import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import validator from 'asl-validator';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../lib/project-root.ts';
import { dispatchEventSchema } from '../../functions/campaign-dispatch/run-campaigns.ts';
import { historyEvents, HISTORY_EVENT_LIMIT } from './history-events.ts';
import { allStates, synthesizedWorkflow, type AslDefinition } from '../../functions/local/state-machine-definition.ts';
import type { CfnTemplate } from '../../functions/local/cloud-template.ts';
import { actionsOf, logicalIdWhere, resourcesOf, roleOfFunction, statementsOfRole, synthesize, type CfnJson } from './stack-template.ts';

const { json } = synthesize();
const { definition } = synthesizedWorkflow(json as CfnTemplate, 'resegment');
const states = allStates(definition);
const table = logicalIdWhere(json, 'AWS::DynamoDB::Table', () => true);
const bucket = logicalIdWhere(json, 'AWS::S3::Bucket', (p) => p.VersioningConfiguration !== undefined);
const tableArn = { 'Fn::GetAtt': [table, 'Arn'] };
const indexArn = { 'Fn::Join': ['', [tableArn, '/index/*']] };
const objects = (prefix: string) => ({ 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucket, 'Arn'] }, `/${prefix}*`]] });

function functionEnvironment(source: CfnJson, entry: string): Record<string, string> {
  const fn = logicalIdWhere(source, 'AWS::Lambda::Function', (_p, m) => m['strata:entry'] === entry);
  return (source.Resources[fn]!.Properties!.Environment as { Variables: Record<string, string> }).Variables;
}

describe('the re-segmentation definition as synthesized', () => {
  it('passes asl-validator', () => {
    const result = validator(structuredClone(definition), { checkPaths: true, checkArn: true });
    expect(result.errors).toEqual([]);
    expect(result.isValid).toBe(true);
  });

  it('stays within what runs locally: JSONPath, inline Map, no ItemReader, no task tokens', () => {
    expect(JSON.stringify(definition)).not.toMatch(/JSONata|ItemReader|ResultWriter|waitForTaskToken|"Assign"|DISTRIBUTED/);
    const maps = states.filter(([, s]) => s.Type === 'Map');
    expect(maps.map(([name]) => name).sort()).toEqual(['ComputeStats', 'EvaluateSegments']);
    for (const [, map] of maps) expect(map.ItemProcessor).toMatchObject({ ProcessorConfig: { Mode: 'INLINE' } });
  });

  it('runs the steps in order: lock, model refit, plan, statistics, merge, evaluate, aggregate, campaigns, report, release', () => {
    const path: string[] = [];
    for (let name: string | undefined = definition.StartAt; name !== undefined && path.length < 30; ) {
      path.push(name);
      const state: AslDefinition['States'][string] = definition.States[name]!;
      name = state.Type === 'Choice' ? (state.Choices?.[0]?.Next ?? state.Default) : state.Next;
    }
    expect(path).toEqual([
      'AcquireRunLock', 'RunLockAcquired?', 'RefitRequested?', 'RefitModels', 'PlanScan', 'ComputeStats', 'MergeStats', 'EvaluateSegments', 'AggregateRun',
      'CampaignsRequested?', 'StartEntryCampaigns', 'WriteReport', 'ReleaseRunLock', 'Done',
    ]);
  });

  it('retries every task (nested ones too) with backoff and full jitter, and catches every failure into the Fail state', () => {
    const tasks = states.filter(([, s]) => s.Type === 'Task');
    expect(tasks.length).toBe(11);
    for (const [, task] of tasks) {
      expect(task.Retry).toEqual([expect.objectContaining({ BackoffRate: 2, JitterStrategy: 'FULL', ErrorEquals: expect.arrayContaining(['Lambda.Unknown', 'RetryableError', 'States.Timeout']) })]);
      expect(task.Catch?.length).toBe(1);
    }
    const top = Object.entries(definition.States).filter(([, s]) => s.Type === 'Task' || s.Type === 'Map');
    for (const [name, state] of top) {
      const target = name === 'AcquireRunLock' || name === 'MarkRunFailed' ? 'ResegmentFailed' : 'MarkRunFailed';
      expect([name, state.Catch?.[0]?.Next]).toEqual([name, target]);
    }
    expect(definition.States.MarkRunFailed?.Next).toBe('ResegmentFailed');
  });

  it("invokes the model refit Lambda of the stack (ModelRefit's function) with the run's time, and dispatch as its contract asks", () => {
    const refitFunction = logicalIdWhere(json, 'AWS::Lambda::Function', (_p, m) => m['strata:entry'] === 'functions/model-refit/handler.ts');
    const dispatchFunction = logicalIdWhere(json, 'AWS::Lambda::Function', (_p, m) => m['strata:entry'] === 'functions/campaign-dispatch/send/handler.ts');
    expect(definition.States.RefitModels).toMatchObject({
      Resource: `arn:aws:lambda:us-east-1:000000000000:function:${refitFunction}`,
      Parameters: { 'asOf.$': '$.run.now' },
      ResultPath: '$.refit',
    });
    // functions/campaign-dispatch/run-campaigns.ts: trigger "transitions" without names runs the campaigns
    // in force at that time (they are data in the bucket, not in the template); asOf is the run's time.
    expect(definition.States.StartEntryCampaigns).toMatchObject({
      Resource: `arn:aws:lambda:us-east-1:000000000000:function:${dispatchFunction}`,
      Parameters: { trigger: 'transitions', 'asOf.$': '$.run.now' },
    });
    expect((definition.States.StartEntryCampaigns as { Parameters?: Record<string, unknown> }).Parameters).not.toHaveProperty('campaigns');
    expect(dispatchEventSchema.safeParse({ trigger: 'transitions', asOf: '1998-07-01T00:00:00.000Z' }).success).toBe(true);
  });

  it('evaluates scan segments with the configured MaxConcurrency, and loops each worker until it is done', () => {
    expect(definition.States.EvaluateSegments).toMatchObject({ MaxConcurrency: 16 });
    const custom = synthesizedWorkflow(synthesize({ 'strata:resegmentMaxConcurrency': '4' }).json as CfnTemplate, 'resegment');
    expect(custom.definition.States.EvaluateSegments).toMatchObject({ MaxConcurrency: 4 });
    const loop = definition.States.EvaluateSegments?.ItemProcessor?.States['EvaluateScanSegmentDone?'];
    expect(loop).toMatchObject({ Choices: [{ Variable: '$.done', BooleanEquals: true, Next: 'EvaluateScanSegmentFinished' }], Default: 'EvaluateScanSegment' });
  });
});

describe('history events at 10 million profiles in the deployed configuration', () => {
  // Deployed settings, read from the template.
  const env = functionEnvironment(json, 'functions/resegment-workflow/plan/handler.ts');
  const maxSegments = Number(env.RESEGMENT_MAX_SEGMENTS);
  const itemsPerSegment = Number(env.RESEGMENT_ITEMS_PER_SEGMENT);
  const workerTimeoutSeconds = Number(json.Resources[logicalIdWhere(json, 'AWS::Lambda::Function', (_p, m) => m['strata:entry'] === 'functions/resegment-workflow/evaluate/handler.ts')]!.Properties!.Timeout);
  // Pessimistic floors per worker (bench/results-resegment.json measured about 65-130 customers/s
  // per worker on the local emulator with two shared cores), less the worker's 60 s reserve.
  const evaluatedPerInvocation = 25 * (workerTimeoutSeconds - 60);
  const statsPerInvocation = 200 * (workerTimeoutSeconds - 60);

  function eventsFor(profiles: number, retriesPerTask: number) {
    // About eight items per customer (contact, orders, profile, memberships, transitions).
    const segments = Math.max(1, Math.min(maxSegments, Math.ceil((profiles * 8) / itemsPerSegment)));
    const perSegment = Math.ceil(profiles / segments);
    const loops = { EvaluateScanSegment: Math.ceil(perSegment / evaluatedPerInvocation), ScanSegmentStats: Math.ceil(perSegment / statsPerInvocation) };
    const events = historyEvents(definition, {
      mapItems: () => segments,
      choose: (choice, visit) => {
        if (choice === 'EvaluateScanSegmentDone?') return visit < loops.EvaluateScanSegment ? 'EvaluateScanSegment' : 'EvaluateScanSegmentFinished';
        if (choice === 'ScanSegmentStatsDone?') return visit < loops.ScanSegmentStats ? 'ScanSegmentStats' : 'ScanSegmentStatsFinished';
        return { 'RunLockAcquired?': 'RefitRequested?', 'RefitRequested?': 'RefitModels', 'CampaignsRequested?': 'StartEntryCampaigns' }[choice] ?? '';
      },
      retries: () => retriesPerTask,
    });
    return { segments, loops, events };
  }

  it('counts a small run exactly as the model says: lock, refit, plan, two one-item Maps, and the rest', () => {
    // 2 execution + 5 lock + 2 choice + 2 choice + 5 refit + 5 plan + (4 + 2 + 5 + 2 + 2) stats + 5 merge
    // + (4 + 2 + 5 + 2 + 2) evaluate + 5 aggregate + 2 choice + 5 campaigns + 5 report + 5 release + 2 succeed
    expect(eventsFor(1_000, 0).events).toBe(2 + 5 + 2 + 2 + 5 + 5 + 15 + 5 + 15 + 5 + 2 + 5 + 5 + 5 + 2);
  });

  it('stays under 25,000 events, even with every task retried once', () => {
    const run = eventsFor(10_000_000, 0);
    const stormy = eventsFor(10_000_000, 1);
    expect(run.segments).toBe(64);
    expect(run.loops.EvaluateScanSegment).toBeGreaterThan(1);
    expect(run.events).toBeLessThan(HISTORY_EVENT_LIMIT / 4);
    expect(stormy.events).toBeLessThan(HISTORY_EVENT_LIMIT / 2);
    process.stdout.write(`history at 10M profiles: ${run.segments} scan segments, ${run.loops.EvaluateScanSegment} evaluate invocations each, ${run.events} events (${stormy.events} with one retry per task)\n`);
  });
});

describe('least privilege for the workflow functions', () => {
  const grants = (entry: string) =>
    statementsOfRole(json, roleOfFunction(json, entry))
      .filter((s) => actionsOf(s).some((a) => a.startsWith('dynamodb:') || a.startsWith('s3:')))
      .map((s) => ({ actions: [...actionsOf(s)].sort(), resources: resourcesOf(s) }));
  const definitions = [
    { actions: ['s3:ListBucket'], resources: [{ 'Fn::GetAtt': [bucket, 'Arn'] }] },
    { actions: ['s3:GetObject'], resources: [objects('config/segments/')] },
  ];
  const latestModel = { actions: ['s3:GetObject'], resources: [{ 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucket, 'Arn'] }, '/models/latest.json']] }] };

  it.each([
    ['functions/resegment-workflow/lock/handler.ts', [{ actions: ['dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'], resources: [tableArn] }]],
    ['functions/resegment-workflow/plan/handler.ts', [{ actions: ['dynamodb:DescribeTable'], resources: [tableArn] }]],
    ['functions/resegment-workflow/stats/handler.ts', [{ actions: ['dynamodb:Scan'], resources: [tableArn] }, { actions: ['s3:PutObject'], resources: [objects('work/resegment/')] }, ...definitions, latestModel]],
    ['functions/resegment-workflow/merge/handler.ts', [{ actions: ['s3:GetObject', 's3:PutObject'], resources: [objects('work/resegment/')] }, { actions: ['dynamodb:PutItem'], resources: [tableArn] }]],
    [
      'functions/resegment-workflow/evaluate/handler.ts',
      [
        { actions: ['dynamodb:BatchWriteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:Scan'], resources: [tableArn] },
        { actions: ['dynamodb:Query'], resources: [indexArn] },
        { actions: ['s3:GetObject', 's3:PutObject'], resources: [objects('work/resegment/')] },
        ...definitions,
        latestModel,
      ],
    ],
    [
      'functions/resegment-workflow/aggregate/handler.ts',
      [
        { actions: ['dynamodb:Query'], resources: [indexArn] },
        { actions: ['dynamodb:PutItem'], resources: [tableArn] },
        { actions: ['s3:GetObject', 's3:PutObject'], resources: [objects('work/resegment/')] },
        ...definitions,
      ],
    ],
    ['functions/resegment-workflow/report/handler.ts', [{ actions: ['s3:GetObject'], resources: [objects('work/resegment/')] }, { actions: ['s3:PutObject'], resources: [objects('reports/resegment/')] }]],
  ])('%s gets exactly the calls it makes', (entry, expected) => {
    expect(grants(entry)).toEqual(expected);
  });
});

describe('the run lock checks its owner', () => {
  it("may describe only this workflow's executions, nothing else of Step Functions", () => {
    const machine = logicalIdWhere(json, 'AWS::StepFunctions::StateMachine', (_p, m) => m['strata:workflow'] === 'resegment');
    const statements = statementsOfRole(json, roleOfFunction(json, 'functions/resegment-workflow/lock/handler.ts')).filter((s) => actionsOf(s).some((a) => a.startsWith('states:')));
    expect(statements.map((s) => actionsOf(s))).toEqual([['states:DescribeExecution']]);
    const resources = resourcesOf(statements[0]!);
    expect(resources).toHaveLength(1);
    const text = JSON.stringify(resources[0]);
    expect(text).toContain(':execution:');
    expect(text).toContain(`"Fn::GetAtt":["${machine}","Name"]`);
    expect(text).toMatch(/:\*"\]\]\}$/);
  });
});

describe('one definition only', () => {
  it('keeps no hand-written state machine definition in the repository', () => {
    const files = execFileSync('git', ['ls-files'], { cwd: PROJECT_ROOT, encoding: 'utf-8' }).split('\n').filter((f) => f !== '' && fs.existsSync(path.join(PROJECT_ROOT, f)));
    const asl = files.filter((f) => {
      if (!/\.(json|ya?ml|asl|ts)$/.test(f) || f.startsWith('test/')) return false;
      const text = fs.readFileSync(path.join(PROJECT_ROOT, f), 'utf-8');
      // A definition literal: StartAt with a state name and a States map, in JSON or as an object literal.
      return /"?StartAt"?\s*:\s*["'][^"']+["']/.test(text) && /"?States"?\s*:\s*\{/.test(text);
    });
    expect(asl).toEqual([]);
  });

  it('is what the local runner executes: the template DefinitionString with only the function ARNs made local', () => {
    const machine = logicalIdWhere(json, 'AWS::StepFunctions::StateMachine', (_p, m) => m['strata:workflow'] === 'resegment');
    const parts = (json.Resources[machine]!.Properties!.DefinitionString as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1];
    const placeholders = parts.filter((p) => typeof p !== 'string');
    expect(placeholders.every((p) => Array.isArray((p as Record<string, unknown>)['Fn::GetAtt']))).toBe(true);
    const withMarkers = JSON.parse(parts.map((p) => (typeof p === 'string' ? p : `FN:${String((p as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0])}`)).join('')) as unknown;
    const local = JSON.parse(JSON.stringify(definition).replace(/arn:aws:lambda:us-east-1:000000000000:function:/g, 'FN:')) as unknown;
    expect(local).toEqual(withMarkers);
  });
});

describe('the optional model refit', () => {
  it('runs first, unless the input says refit: false, when the stack passes a refit function', async () => {
    const { App, Stack } = await import('aws-cdk-lib');
    const dynamodb = await import('aws-cdk-lib/aws-dynamodb');
    const lambda = await import('aws-cdk-lib/aws-lambda');
    const s3 = await import('aws-cdk-lib/aws-s3');
    const sqs = await import('aws-cdk-lib/aws-sqs');
    const { Template } = await import('aws-cdk-lib/assertions');
    const { ResegmentWorkflow } = await import('../../lib/constructs/resegment-workflow.ts');
    const stack = new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'RefitStack');
    const fn = (id: string) => new lambda.Function(stack, id, { runtime: lambda.Runtime.NODEJS_20_X, handler: 'index.handler', code: lambda.Code.fromInline('export const handler = async () => ({});') });
    new ResegmentWorkflow(stack, 'Resegment', {
      table: new dynamodb.Table(stack, 'Table', { partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING }, sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING } }),
      bucket: new s3.Bucket(stack, 'Bucket'),
      environment: {},
      dispatch: fn('Dispatch'),
      modelRefit: fn('Refit'),
      scheduleDeadLetterQueue: new sqs.Queue(stack, 'ScheduleDeadLetters'),
    });
    const refit = synthesizedWorkflow(Template.fromStack(stack).toJSON() as CfnTemplate, 'resegment').definition;
    expect(refit.States['RunLockAcquired?']?.Choices?.[0]?.Next).toBe('RefitRequested?');
    expect(refit.States['RefitRequested?']).toMatchObject({ Choices: [{ Variable: '$.run.refit', BooleanEquals: true, Next: 'RefitModels' }], Default: 'PlanScan' });
    expect(refit.States.RefitModels).toMatchObject({ Next: 'PlanScan', Catch: [{ Next: 'MarkRunFailed' }] });
    expect(validator(structuredClone(refit)).isValid).toBe(true);
  });
});
