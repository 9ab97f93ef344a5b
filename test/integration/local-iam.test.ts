import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DescribeTableCommand, DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CfnTemplate } from '../../functions/local/cloud-template.ts';
import { functionGates, type FunctionGates } from '../../functions/local/iam-enforcement.ts';
import { roleOf } from '../../functions/local/iam-policies.ts';
import { LOCAL_CREDENTIALS, startLocalStack, type LocalStack } from '../../functions/local/local-stack.ts';
import { fireSchedule, localSchedules } from '../../functions/local/schedules.ts';

/**
 * IAM on the embedded stack: every AWS call a function makes is decided against its role's
 * policies in the synthesized template, so a grant missing from a construct fails here, not on AWS.
 */
const PLAN_ENTRY = 'functions/resegment-workflow/plan/handler.ts';
const run = {
  runId: 'iam-check',
  now: '1998-07-01T00:00:00.000Z',
  executionId: 'local',
  maxSegments: 4,
  pageSize: 100,
  maxPagesPerInvocation: null,
  scanSegments: null,
  refit: false,
  campaigns: false,
};

function logicalIdOf(template: CfnTemplate, entry: string): string {
  const found = Object.entries(template.Resources).find(([, r]) => r.Metadata?.['strata:entry'] === entry);
  if (found === undefined) throw new Error(`no function for ${entry}`);
  return found[0];
}

/** The template with one action taken out of every statement of the policies attached to a role, as if a construct no longer granted it. */
function withoutGrant(template: CfnTemplate, roleLogicalId: string, action: string): CfnTemplate {
  const copy = structuredClone(template) as { Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }> };
  for (const resource of Object.values(copy.Resources)) {
    if (resource.Type !== 'AWS::IAM::Policy') continue;
    if (!((resource.Properties?.Roles ?? []) as { Ref?: string }[]).some((r) => r.Ref === roleLogicalId)) continue;
    const document = resource.Properties?.PolicyDocument as { Statement: { Action: string | string[] }[] };
    document.Statement = document.Statement.flatMap((s) => {
      const actions = [s.Action].flat().filter((a) => a !== action);
      return actions.length === 0 ? [] : [{ ...s, Action: actions }];
    });
  }
  return copy as CfnTemplate;
}

describe('IAM on the embedded stack', () => {
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-iam-'));
  let stack: LocalStack;
  let planId: string;
  let stateMachineId: string;
  let dailyId: string;
  let sweepId: string;

  beforeAll(async () => {
    stack = await startLocalStack({
      stateDir,
      changeTemplate: (template) => {
        planId = logicalIdOf(template, PLAN_ENTRY);
        const planRole = roleOf(template, planId) ?? '';
        stateMachineId = Object.entries(template.Resources).find(([, r]) => r.Type === 'AWS::StepFunctions::StateMachine')?.[0] ?? '';
        const withoutDescribe = withoutGrant(template, planRole, 'dynamodb:DescribeTable');
        // The state machine's role, too, loses its grant on one function: the plan step's.
        const machineRole = roleOf(template, stateMachineId) ?? '';
        const copy = structuredClone(withoutDescribe) as { Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }> };
        for (const resource of Object.values(copy.Resources)) {
          if (resource.Type !== 'AWS::IAM::Policy' || !((resource.Properties?.Roles ?? []) as { Ref?: string }[]).some((r) => r.Ref === machineRole)) continue;
          const document = resource.Properties?.PolicyDocument as { Statement: { Resource: unknown }[] };
          document.Statement = document.Statement.filter((s) => !JSON.stringify(s.Resource).includes(`"${planId}"`));
        }
        // The daily re-segmentation's schedule loses its grant to start the state machine; the
        // hourly sweep of deferred sends keeps its grant to invoke the dispatch function.
        const schedules = localSchedules(copy as CfnTemplate);
        dailyId = schedules.find((s) => s.target.kind === 'workflow')?.logicalId ?? '';
        sweepId = schedules.find((s) => s.target.kind === 'function' && s.input === JSON.stringify({ trigger: 'schedule' }))?.logicalId ?? '';
        return withoutGrant(copy as CfnTemplate, roleOf(copy as CfnTemplate, dailyId) ?? '', 'states:StartExecution');
      },
    });
  }, 300_000);

  afterAll(async () => {
    await stack?.stop();
    fs.rmSync(stateDir, { recursive: true, force: true });
  });

  it('fails a function whose role lost a grant, naming the action and the resource', async () => {
    const table = `arn:aws:dynamodb:us-east-1:000000000000:table/${stack.tableName}`;
    await expect(stack.invoke(PLAN_ENTRY, { run })).rejects.toThrow(
      `User: arn:aws:sts::000000000000:assumed-role/${roleOf(stack.template, planId)}/local-${planId} is not authorized to perform: dynamodb:DescribeTable on resource: ${table} because no identity-based policy allows the dynamodb:DescribeTable action`,
    );
  });

  it("refuses the state machine's invocation of a function its role no longer names", async () => {
    await expect(stack.checkInvoke(stateMachineId, planId)).rejects.toThrow(
      new RegExp(`lambda:InvokeFunction on resource: arn:aws:lambda:us-east-1:000000000000:function:local-${planId} because no identity-based policy allows`),
    );
  });

  it("refuses a schedule's start of the state machine its role may no longer start", async () => {
    expect(dailyId).not.toBe('');
    await expect(fireSchedule(stack, dailyId, new Date('1998-07-01T03:00:00Z'))).rejects.toThrow(
      new RegExp(`assumed-role/${roleOf(stack.template, dailyId)}/${dailyId} is not authorized to perform: states:StartExecution on resource: arn:aws:states:us-east-1:000000000000:stateMachine:resegment because`),
    );
  });

  it('fires a schedule whose role may invoke its function, with its input', async () => {
    expect(sweepId).not.toBe('');
    const firing = await fireSchedule(stack, sweepId, new Date('1998-07-01T03:00:00Z'));
    expect(firing.kind).toBe('function');
  });

  describe('a function calling outside its role', () => {
    let gates: FunctionGates;
    let dynamodb: DynamoDBClient;
    let s3: S3Client;
    let gatedS3: S3Client;

    beforeAll(async () => {
      // The gates of the model refit function, whose role may Scan the table and put objects under models/ only.
      const refitId = logicalIdOf(stack.template, 'functions/model-refit/handler.ts');
      gates = functionGates(stack.template);
      const endpoints = await gates.endpointsOf(refitId, { AWS_ENDPOINT_URL_DYNAMODB: stack.endpoints.dynamodb, AWS_ENDPOINT_URL_S3: stack.endpoints.s3 });
      const config = { region: 'us-east-1', credentials: LOCAL_CREDENTIALS };
      dynamodb = new DynamoDBClient({ ...config, endpoint: endpoints.AWS_ENDPOINT_URL_DYNAMODB, maxAttempts: 1 });
      gatedS3 = new S3Client({ ...config, endpoint: endpoints.AWS_ENDPOINT_URL_S3, forcePathStyle: true, maxAttempts: 1 });
      s3 = new S3Client({ ...config, endpoint: stack.endpoints.s3, forcePathStyle: true });
    });

    afterAll(async () => {
      dynamodb.destroy();
      s3.destroy();
      gatedS3.destroy();
      await gates.close();
    });

    it('is refused with DynamoDB AccessDeniedException', async () => {
      const put = dynamodb.send(new PutItemCommand({ TableName: stack.tableName, Item: { pk: { S: 'X' }, sk: { S: 'X' } } }));
      await expect(put).rejects.toMatchObject({ name: 'AccessDeniedException', $metadata: { httpStatusCode: 400 } });
      await expect(put).rejects.toThrow(/is not authorized to perform: dynamodb:PutItem on resource: arn:aws:dynamodb:us-east-1:000000000000:table\//);
      await expect(dynamodb.send(new DescribeTableCommand({ TableName: stack.tableName }))).rejects.toMatchObject({ name: 'AccessDeniedException' });
    });

    it('is refused with S3 AccessDenied, while what the role grants passes', async () => {
      await s3.send(new PutObjectCommand({ Bucket: stack.bucketName, Key: 'reports/iam-probe.txt', Body: 'probe' }));
      await expect(gatedS3.send(new GetObjectCommand({ Bucket: stack.bucketName, Key: 'reports/iam-probe.txt' }))).rejects.toMatchObject({
        name: 'AccessDenied',
        $metadata: { httpStatusCode: 403 },
      });
      await gatedS3.send(new PutObjectCommand({ Bucket: stack.bucketName, Key: 'models/iam-probe.txt', Body: 'allowed' }));
      const stored = await s3.send(new GetObjectCommand({ Bucket: stack.bucketName, Key: 'models/iam-probe.txt' }));
      expect(await stored.Body?.transformToString()).toBe('allowed');
    });
  });
});
