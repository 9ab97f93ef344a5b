import { dynamoDocumentClient, s3Client } from '../../functions/adapters/aws-clients.ts';
import { dynamoCampaignStore } from '../../functions/adapters/campaign-store.ts';
import { dynamoCustomerStore } from '../../functions/adapters/customer-store.ts';
import { s3ObjectStore } from '../../functions/adapters/object-store.ts';
import { exportAudience, type AudienceExport } from '../../functions/campaign-dispatch/export-audience.ts';
import type { StackNames } from './target.ts';

/** `strata audience export SEGMENT`: the segment's customer-match files in the local bucket under exports/. */
export async function exportSegmentAudience(stack: StackNames, segment: string, now: Date): Promise<AudienceExport & { bucket: string }> {
  const client = dynamoDocumentClient();
  const customers = dynamoCustomerStore(client, stack.tableName);
  const result = await exportAudience(
    { members: (s) => customers.listSegmentMembers(s), store: dynamoCampaignStore(client, stack.tableName), objects: s3ObjectStore(s3Client(), stack.bucketName) },
    segment,
    now,
  );
  return { ...result, bucket: stack.bucketName };
}

export function formatAudienceExport(r: AudienceExport & { bucket: string }): string {
  return [
    `segment ${r.segment}: ${r.members} members, ${r.members - r.excluded} exportable (${r.excluded} without address, consent or with a suppressed address)`,
    ...r.files.map((f) => `  ${f.platform.padEnd(6)} s3://${r.bucket}/${f.key}  ${f.rows} hashed e-mails${f.invalid > 0 ? `, ${f.invalid} unusable addresses` : ''}`),
  ].join('\n');
}
