import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { iamRequests } from '../../functions/local/iam-gate.ts';
import { Authorizer, resolvePolicyValue } from '../../functions/local/iam-policies.ts';
import type { CfnTemplate } from '../../functions/local/cloud-template.ts';

const context = { partitionKeys: new Map([['Customers', 'pk']]) };
const call = (method: string, url: string, headers: Record<string, string> = {}) => ({ method, url, headers }) as unknown as IncomingMessage;
const json = (value: unknown) => Buffer.from(JSON.stringify(value));

describe('the IAM requests of an API call', () => {
  it('maps DynamoDB calls by target, table and index, batches per table, with the leading keys', () => {
    const target = (op: string) => ({ 'x-amz-target': `DynamoDB_20120810.${op}` });
    expect(iamRequests('dynamodb', call('POST', '/', target('Query')), json({ TableName: 'Customers', IndexName: 'gsi1' }), context)).toEqual([
      { action: 'dynamodb:Query', resource: 'arn:aws:dynamodb:us-east-1:000000000000:table/Customers/index/gsi1' },
    ]);
    expect(iamRequests('dynamodb', call('POST', '/', target('PutItem')), json({ TableName: 'Customers', Item: { pk: { S: 'SUPPRESS#a' } } }), context)).toEqual([
      { action: 'dynamodb:PutItem', resource: 'arn:aws:dynamodb:us-east-1:000000000000:table/Customers', context: { 'dynamodb:LeadingKeys': ['SUPPRESS#a'] } },
    ]);
    const batch = { RequestItems: { Customers: [{ PutRequest: { Item: { pk: { S: 'C#1' } } } }], Other: [{ DeleteRequest: { Key: { id: { S: '1' } } } }] } };
    expect(iamRequests('dynamodb', call('POST', '/', target('BatchWriteItem')), json(batch), context).map((r) => r.resource)).toEqual([
      'arn:aws:dynamodb:us-east-1:000000000000:table/Customers',
      'arn:aws:dynamodb:us-east-1:000000000000:table/Other',
    ]);
  });

  it('maps S3 calls by method, path and query', () => {
    const s3 = (method: string, url: string) => iamRequests('s3', call(method, url), undefined, context);
    expect(s3('GET', '/data/incoming/a%20b.csv')).toEqual([{ action: 's3:GetObject', resource: 'arn:aws:s3:::data/incoming/a b.csv' }]);
    expect(s3('GET', '/data/k?versionId=3')).toEqual([{ action: 's3:GetObjectVersion', resource: 'arn:aws:s3:::data/k' }]);
    expect(s3('PUT', '/data/k?partNumber=1&uploadId=u')).toEqual([{ action: 's3:PutObject', resource: 'arn:aws:s3:::data/k' }]);
    expect(s3('DELETE', '/data/k?versionId=3')).toEqual([{ action: 's3:DeleteObjectVersion', resource: 'arn:aws:s3:::data/k' }]);
    expect(s3('GET', '/data?list-type=2&prefix=config%2F')).toEqual([{ action: 's3:ListBucket', resource: 'arn:aws:s3:::data', context: { 's3:prefix': 'config/' } }]);
    expect(s3('GET', '/data?versions&prefix=x')).toEqual([{ action: 's3:ListBucketVersions', resource: 'arn:aws:s3:::data', context: { 's3:prefix': 'x' } }]);
    expect(s3('HEAD', '/data/k')).toEqual([{ action: 's3:GetObject', resource: 'arn:aws:s3:::data/k' }]);
  });

  it('maps SES v2 sends to the identity, configuration set and template', () => {
    const send = { FromEmailAddress: 'Shop <marketing@example.com>', ConfigurationSetName: 'Set', DefaultContent: { Template: { TemplateName: 'strata-welcome' } } };
    expect(iamRequests('ses', call('POST', '/v2/email/outbound-bulk-emails'), json(send), context).map((r) => r.resource)).toEqual([
      'arn:aws:ses:us-east-1:000000000000:identity/marketing@example.com',
      'arn:aws:ses:us-east-1:000000000000:configuration-set/Set',
      'arn:aws:ses:us-east-1:000000000000:template/strata-welcome',
    ]);
  });
});

describe('the decision on a request', () => {
  const template = { Resources: { T: { Type: 'AWS::DynamoDB::Table' }, B: { Type: 'AWS::S3::Bucket' } } } as CfnTemplate;
  const policy = resolvePolicyValue(template, {
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Action: 'dynamodb:PutItem', Resource: { 'Fn::GetAtt': ['T', 'Arn'] }, Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['SUPPRESS#*'] } } }],
  }) as { Statement: unknown };
  const authorizer = new Authorizer({ roleName: 'Role', sessionName: 'fn', policies: [{ name: 'p', policy }] });
  const table = 'arn:aws:dynamodb:us-east-1:000000000000:table/T';

  it('allows what the policy grants and refuses the rest, as AWS words it', async () => {
    expect(await authorizer.deny({ action: 'dynamodb:PutItem', resource: table, context: { 'dynamodb:LeadingKeys': ['SUPPRESS#x'] } })).toBeUndefined();
    expect(await authorizer.deny({ action: 'dynamodb:PutItem', resource: table, context: { 'dynamodb:LeadingKeys': ['CUSTOMER#x'] } })).toBe(
      `User: arn:aws:sts::000000000000:assumed-role/Role/fn is not authorized to perform: dynamodb:PutItem on resource: ${table} because no identity-based policy allows the dynamodb:PutItem action`,
    );
    expect(await authorizer.deny({ action: 'dynamodb:DeleteItem', resource: table })).toMatch(/dynamodb:DeleteItem on resource/);
  });
});
