import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { resourcesOfType, type CfnTemplate } from './cloud-template.ts';

interface CustomResourceResponse {
  readonly Status: 'SUCCESS' | 'FAILED';
  readonly Reason?: string;
}

/**
 * Runs the template's custom resources of one type as CloudFormation does: their function gets a
 * Create request the first time, an Update when the resource's properties changed since (recorded
 * in the state folder, as CloudFormation keeps the stack's state), and answers at a presigned URL,
 * here a loopback one. Unchanged properties run nothing, like a deploy that changes nothing.
 */
export async function runCustomResources(
  template: CfnTemplate,
  type: string,
  stateDir: string,
  invoke: (functionLogicalId: string, event: unknown) => Promise<unknown>,
): Promise<void> {
  for (const [logicalId, resource] of resourcesOfType(template, type)) {
    const { ServiceToken, ...properties } = resource.Properties ?? {};
    const functionLogicalId = (ServiceToken as { 'Fn::GetAtt'?: [string, string] } | undefined)?.['Fn::GetAtt']?.[0];
    if (functionLogicalId === undefined) throw new Error(`custom resource ${logicalId} has no function as its service token`);
    const file = path.join(stateDir, `custom-resource-${logicalId}.json`);
    const applied = fs.existsSync(file) ? fs.readFileSync(file, 'utf-8') : undefined;
    const wanted = JSON.stringify(properties);
    if (applied === wanted) continue;
    const answer = await withResponseUrl(async (url) => {
      await invoke(functionLogicalId, {
        RequestType: applied === undefined ? 'Create' : 'Update',
        ResponseURL: url,
        StackId: 'arn:aws:cloudformation:local:000000000000:stack/strata/local',
        RequestId: crypto.randomUUID(),
        LogicalResourceId: logicalId,
        ResourceType: type,
        ...(applied === undefined ? {} : { PhysicalResourceId: logicalId, OldResourceProperties: JSON.parse(applied) as unknown }),
        ResourceProperties: { ServiceToken: functionLogicalId, ...properties },
      });
    });
    if (answer?.Status !== 'SUCCESS') throw new Error(`custom resource ${logicalId} failed: ${answer?.Reason ?? 'no answer at its response URL'}`);
    fs.mkdirSync(stateDir, { recursive: true });
    fs.writeFileSync(file, wanted);
  }
}

/** A one-off loopback URL the function PUTs its answer to, as to CloudFormation's presigned S3 URL. */
async function withResponseUrl(run: (url: string) => Promise<void>): Promise<CustomResourceResponse | undefined> {
  let answer: CustomResourceResponse | undefined;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      try {
        answer = JSON.parse(Buffer.concat(chunks).toString('utf-8')) as CustomResourceResponse;
        res.writeHead(200).end();
      } catch {
        res.writeHead(400).end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    await run(`http://127.0.0.1:${(server.address() as AddressInfo).port}/response`);
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
  return answer;
}
