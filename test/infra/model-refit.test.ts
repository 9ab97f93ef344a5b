import { describe, expect, it } from 'vitest';
import { actionsOf, logicalIdWhere, resourcesOf, roleOfFunction, statementsOfRole, synthesize } from './stack-template.ts';

const { json } = synthesize();
const dataBucket = logicalIdWhere(json, 'AWS::S3::Bucket', (p) => p.VersioningConfiguration !== undefined);
const table = logicalIdWhere(json, 'AWS::DynamoDB::Table', () => true);
const ENTRY = 'functions/model-refit/handler.ts';

describe('model refit', () => {
  const grants = statementsOfRole(json, roleOfFunction(json, ENTRY))
    .filter((s) => actionsOf(s).some((a) => a.startsWith('dynamodb:') || a.startsWith('s3:')))
    .flatMap((s) => actionsOf(s).flatMap((action) => resourcesOf(s).map((resource) => ({ action, resource }))));

  it('can only scan the table and write objects under models/', () => {
    expect(grants).toEqual([
      { action: 'dynamodb:Scan', resource: { 'Fn::GetAtt': [table, 'Arn'] } },
      { action: 's3:PutObject', resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [dataBucket, 'Arn'] }, '/models/*']] } },
    ]);
  });

  it('has the time and memory a fit of a large ledger needs, and knows its table and bucket', () => {
    const fn = logicalIdWhere(json, 'AWS::Lambda::Function', (_p, m) => m['strata:entry'] === ENTRY);
    const props = json.Resources[fn]!.Properties!;
    expect(props).toMatchObject({ Timeout: 900, MemorySize: 2048, Architectures: ['arm64'] });
    expect(props.Environment).toMatchObject({ Variables: { TABLE_NAME: { Ref: table }, BUCKET_NAME: { Ref: dataBucket } } });
  });
});
