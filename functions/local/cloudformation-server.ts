import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A stack as DescribeStacks describes it: its name and its outputs. */
export interface PublishedStack {
  readonly stackName: string;
  readonly outputs: readonly { readonly key: string; readonly value: string; readonly description?: string | undefined }[];
}

export interface CloudFormationServer {
  readonly endpoint: string;
  close(): Promise<void>;
}

const NAMESPACE = 'http://cloudformation.amazonaws.com/doc/2010-05-15/';

const xml = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/**
 * CloudFormation's DescribeStacks on loopback, answering for the embedded stack with the outputs of
 * the synthesized template resolved to the local resources: the CLI finds the embedded stack's
 * table, bucket, functions and state machine exactly as it finds a deployed stack's.
 */
export async function startCloudFormationServer(stack: PublishedStack): Promise<CloudFormationServer> {
  const stackId = `arn:aws:cloudformation:us-east-1:000000000000:stack/${stack.stackName}/${randomUUID()}`;
  const createdAt = new Date().toISOString();
  const server = createServer((request, response) => {
    const parts: Buffer[] = [];
    request.on('data', (part: Buffer) => parts.push(part));
    request.on('end', () => {
      const params = new URLSearchParams(Buffer.concat(parts).toString('utf-8'));
      const requestId = randomUUID();
      const reply = (status: number, body: string) => {
        response.writeHead(status, { 'content-type': 'text/xml', 'x-amzn-requestid': requestId });
        response.end(`<?xml version="1.0" encoding="UTF-8"?>\n${body}`);
      };
      const fail = (code: string, message: string) =>
        reply(400, `<ErrorResponse xmlns="${NAMESPACE}"><Error><Type>Sender</Type><Code>${code}</Code><Message>${xml(message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`);
      if (params.get('Action') !== 'DescribeStacks') return fail('InvalidAction', `only DescribeStacks is served locally, not ${params.get('Action') ?? 'no action'}`);
      const name = params.get('StackName');
      if (name !== null && name !== stack.stackName && name !== stackId) return fail('ValidationError', `Stack with id ${name} does not exist`);
      const outputs = stack.outputs
        .map((o) => `<member><OutputKey>${xml(o.key)}</OutputKey><OutputValue>${xml(o.value)}</OutputValue>${o.description === undefined ? '' : `<Description>${xml(o.description)}</Description>`}</member>`)
        .join('');
      return reply(
        200,
        `<DescribeStacksResponse xmlns="${NAMESPACE}"><DescribeStacksResult><Stacks><member><StackId>${stackId}</StackId><StackName>${xml(stack.stackName)}</StackName><CreationTime>${createdAt}</CreationTime><StackStatus>CREATE_COMPLETE</StackStatus><Outputs>${outputs}</Outputs></member></Stacks></DescribeStacksResult><ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></DescribeStacksResponse>`,
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
