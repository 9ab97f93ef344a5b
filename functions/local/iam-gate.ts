import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { LOCAL_ACCOUNT, LOCAL_REGION, stateMachineArn, type Authorizer, type IamRequest } from './iam-policies.ts';

/** The services whose endpoints a function's worker is given. */
export type GatedService = 'dynamodb' | 's3' | 'ses' | 'lambda' | 'sfn';

export interface IamGate {
  readonly endpoint: string;
  close(): Promise<void>;
}

/** What the gate knows of the stack: the partition key of each table, for dynamodb:LeadingKeys. */
export interface GateContext {
  readonly partitionKeys: ReadonlyMap<string, string>;
}

/** Whether the embedded stack enforces IAM (on unless STRATA_LOCAL_IAM=off). */
export function localIamEnforced(): boolean {
  return process.env.STRATA_LOCAL_IAM !== 'off';
}

/**
 * A loopback proxy in front of one service's endpoint for one function: each request is mapped to
 * the IAM action(s) and resource(s) AWS would authorize, decided against the function's role, and
 * refused as the service refuses it, or forwarded unchanged.
 */
export async function startIamGate(service: GatedService, target: string, authorizer: Authorizer, context: GateContext): Promise<IamGate> {
  const upstream = new URL(target);
  const forward = (request: IncomingMessage, response: ServerResponse, body: Buffer | undefined) => {
    const headers = { ...request.headers };
    const out = httpRequest({ host: upstream.hostname, port: upstream.port, path: request.url, method: request.method, headers }, (res) => {
      response.writeHead(res.statusCode ?? 502, res.headers);
      res.pipe(response);
    });
    out.on('error', (error) => {
      response.destroy(error);
    });
    if (body === undefined) request.pipe(out);
    else out.end(body);
  };
  const server = createServer((request, response) => {
    void (async () => {
      // S3 bodies stream through; the others are small JSON, read whole to see what they touch.
      const body = service === 's3' ? undefined : await readBody(request);
      let requests: IamRequest[];
      try {
        requests = iamRequests(service, request, body, context);
      } catch {
        requests = []; // a request the gate cannot read: the service answers it as it would
      }
      for (const r of requests) {
        const denial = await authorizer.deny(r);
        if (denial !== undefined) {
          if (service === 's3') request.resume();
          return refuse(service, response, denial);
        }
      }
      forward(request, response, body);
    })().catch((error: unknown) => {
      if (!response.headersSent) response.writeHead(500, { 'content-type': 'text/plain' });
      response.end(String(error));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

function readBody(request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    request.on('data', (p: Buffer) => parts.push(p));
    request.on('end', () => resolve(Buffer.concat(parts)));
    request.on('error', reject);
  });
}

function refuse(service: GatedService, response: ServerResponse, message: string): void {
  if (service === 'dynamodb') {
    response.writeHead(400, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-errortype': 'AccessDeniedException' });
    response.end(JSON.stringify({ __type: 'com.amazon.coral.service#AccessDeniedException', message }));
  } else if (service === 's3') {
    response.writeHead(403, { 'content-type': 'application/xml' });
    response.end(`<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code><Message>${escapeXml(message)}</Message><RequestId>local</RequestId></Error>`);
  } else {
    const type = service === 'sfn' ? 'application/x-amz-json-1.0' : 'application/json';
    response.writeHead(403, { 'content-type': type, 'x-amzn-errortype': 'AccessDeniedException' });
    response.end(JSON.stringify({ __type: 'AccessDeniedException', message, Message: message }));
  }
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

const AT = `${LOCAL_REGION}:${LOCAL_ACCOUNT}`;

/** The IAM requests AWS would authorize for one API call. */
export function iamRequests(service: GatedService, request: IncomingMessage, body: Buffer | undefined, context: GateContext): IamRequest[] {
  const url = new URL(request.url ?? '/', 'http://local');
  const json = () => (body === undefined || body.length === 0 ? {} : (JSON.parse(body.toString('utf-8')) as Record<string, unknown>));
  switch (service) {
    case 'dynamodb':
      return dynamoDbRequests(String(request.headers['x-amz-target'] ?? '').split('.').at(-1) ?? '', json(), context);
    case 's3':
      return s3Requests(request.method ?? 'GET', url);
    case 'ses':
      return sesRequests(request.method ?? 'GET', url.pathname, json());
    case 'lambda': {
      const match = /^\/2015-03-31\/functions\/([^/]+)\/invocations/.exec(url.pathname);
      if (match === null) return [];
      const name = decodeURIComponent(match[1] ?? '');
      return [{ action: 'lambda:InvokeFunction', resource: name.startsWith('arn:') ? name : `arn:aws:lambda:${AT}:function:${name}` }];
    }
    case 'sfn': {
      const operation = String(request.headers['x-amz-target'] ?? '').split('.').at(-1) ?? '';
      const input = json();
      if (operation === 'StartExecution' || operation === 'StartSyncExecution') return [{ action: `states:${operation}`, resource: stateMachineArn(String(input.stateMachineArn)) }];
      // Not an ARN: the service refuses it as InvalidArn before anything is authorized.
      if (typeof input.executionArn === 'string') return input.executionArn.startsWith('arn:') ? [{ action: `states:${operation}`, resource: input.executionArn }] : [];
      if (typeof input.stateMachineArn === 'string') return [{ action: `states:${operation}`, resource: stateMachineArn(input.stateMachineArn) }];
      return [];
    }
  }
}

function tableArn(table: string, index?: unknown): string {
  const arn = table.startsWith('arn:') ? table : `arn:aws:dynamodb:${AT}:table/${table}`;
  return typeof index === 'string' ? `${arn}/index/${index}` : arn;
}

type Item = Record<string, Record<string, unknown>>;

function dynamoDbRequests(operation: string, input: Record<string, unknown>, context: GateContext): IamRequest[] {
  const leadingKeys = (table: string, items: (Item | undefined)[]): IamRequest['context'] => {
    const key = context.partitionKeys.get(table);
    if (key === undefined) return undefined;
    const values = items.map((i) => i?.[key]).map((v) => (v === undefined ? undefined : String(v.S ?? v.N ?? v.B))).filter((v): v is string => v !== undefined);
    return values.length === 0 ? undefined : { 'dynamodb:LeadingKeys': [...new Set(values)] };
  };
  const one = (action: string, table: string, items: (Item | undefined)[] = [], index?: unknown): IamRequest => {
    const keys = leadingKeys(table, items);
    return { action: `dynamodb:${action}`, resource: tableArn(table, index), ...(keys === undefined ? {} : { context: keys }) };
  };
  switch (operation) {
    case 'BatchWriteItem':
    case 'BatchGetItem': {
      const requestItems = (input.RequestItems ?? {}) as Record<string, unknown>;
      return Object.entries(requestItems).map(([table, value]) => {
        if (operation === 'BatchGetItem') return one(operation, table, ((value as { Keys?: Item[] }).Keys ?? []));
        const writes = value as { PutRequest?: { Item: Item }; DeleteRequest?: { Key: Item } }[];
        return one(operation, table, writes.map((w) => w.PutRequest?.Item ?? w.DeleteRequest?.Key));
      });
    }
    case 'TransactWriteItems':
    case 'TransactGetItems': {
      const items = (input.TransactItems ?? []) as Record<string, { TableName: string; Key?: Item; Item?: Item }>[];
      return items.flatMap((entry) =>
        Object.entries(entry).map(([kind, spec]) => {
          const action = { Put: 'PutItem', Update: 'UpdateItem', Delete: 'DeleteItem', ConditionCheck: 'ConditionCheckItem', Get: 'GetItem' }[kind] ?? kind;
          return one(action, spec.TableName, [spec.Item ?? spec.Key]);
        }),
      );
    }
    case 'ListTables':
      return [{ action: 'dynamodb:ListTables', resource: '*' }];
    default: {
      if (typeof input.TableName !== 'string') return [];
      const item = (input.Item ?? input.Key) as Item | undefined;
      return [one(operation, input.TableName, [item], input.IndexName)];
    }
  }
}

function s3Requests(method: string, url: URL): IamRequest[] {
  const [, bucket = '', ...rest] = url.pathname.split('/');
  const key = decodeURIComponent(rest.join('/'));
  const bucketArn = `arn:aws:s3:::${bucket}`;
  const objectArn = `${bucketArn}/${key}`;
  const q = url.searchParams;
  if (bucket === '') return [{ action: 's3:ListAllMyBuckets', resource: '*' }];
  if (key === '') {
    if (method === 'GET' && q.has('versions')) return [{ action: 's3:ListBucketVersions', resource: bucketArn, context: { 's3:prefix': q.get('prefix') ?? '' } }];
    if (method === 'GET' && q.has('uploads')) return [{ action: 's3:ListBucketMultipartUploads', resource: bucketArn }];
    if (method === 'GET' && [...q.keys()].every((k) => ['list-type', 'prefix', 'delimiter', 'continuation-token', 'max-keys', 'start-after', 'marker', 'encoding-type', 'fetch-owner', 'x-id'].includes(k)))
      return [{ action: 's3:ListBucket', resource: bucketArn, context: { 's3:prefix': q.get('prefix') ?? '' } }];
    if (method === 'HEAD') return [{ action: 's3:ListBucket', resource: bucketArn }];
    if (method === 'POST' && q.has('delete')) return []; // DeleteObjects: S3 authorizes each key as DeleteObject, which the body names
    return [];
  }
  const versioned = q.has('versionId');
  if (method === 'GET' || method === 'HEAD') {
    if (q.has('uploadId')) return [{ action: 's3:ListMultipartUploadParts', resource: objectArn }];
    if (q.has('tagging')) return [{ action: versioned ? 's3:GetObjectVersionTagging' : 's3:GetObjectTagging', resource: objectArn }];
    return [{ action: versioned ? 's3:GetObjectVersion' : 's3:GetObject', resource: objectArn }];
  }
  if (method === 'PUT' || method === 'POST') {
    if (q.has('tagging')) return [{ action: 's3:PutObjectTagging', resource: objectArn }];
    return [{ action: 's3:PutObject', resource: objectArn }]; // also CreateMultipartUpload, UploadPart, CompleteMultipartUpload, CopyObject's target
  }
  if (method === 'DELETE') {
    if (q.has('uploadId')) return [{ action: 's3:AbortMultipartUpload', resource: objectArn }];
    return [{ action: versioned ? 's3:DeleteObjectVersion' : 's3:DeleteObject', resource: objectArn }];
  }
  return [];
}

function sesRequests(method: string, pathname: string, input: Record<string, unknown>): IamRequest[] {
  const arn = (kind: string, name: string) => `arn:aws:ses:${AT}:${kind}/${name}`;
  const sending = (action: string): IamRequest[] => {
    const from = String(input.FromEmailAddress ?? '').replace(/^.*<([^>]+)>.*$/, '$1');
    const found: IamRequest[] = [{ action, resource: arn('identity', from) }];
    if (typeof input.ConfigurationSetName === 'string') found.push({ action, resource: arn('configuration-set', input.ConfigurationSetName) });
    const content = (input.DefaultContent ?? input.Content) as { Template?: { TemplateName?: unknown } } | undefined;
    if (typeof content?.Template?.TemplateName === 'string') found.push({ action, resource: arn('template', content.Template.TemplateName) });
    return found;
  };
  if (method === 'POST' && pathname === '/v2/email/outbound-bulk-emails') return sending('ses:SendBulkEmail');
  if (method === 'POST' && pathname === '/v2/email/outbound-emails') return sending('ses:SendEmail');
  if (method === 'GET' && pathname === '/v2/email/account') return [{ action: 'ses:GetAccount', resource: '*' }];
  const template = /^\/v2\/email\/templates\/([^/]+)$/.exec(pathname)?.[1];
  if (method === 'POST' && pathname === '/v2/email/templates') return [{ action: 'ses:CreateEmailTemplate', resource: arn('template', String(input.TemplateName ?? '')) }];
  if (template !== undefined && method === 'GET') return [{ action: 'ses:GetEmailTemplate', resource: arn('template', decodeURIComponent(template)) }];
  if (template !== undefined && method === 'PUT') return [{ action: 'ses:UpdateEmailTemplate', resource: arn('template', decodeURIComponent(template)) }];
  if (method === 'PUT' && pathname === '/v2/email/account/sending') return [{ action: 'ses:PutAccountSendingAttributes', resource: '*' }];
  return [];
}
