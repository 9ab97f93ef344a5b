import { AUDIENCE_PLATFORMS, audienceCsv, audienceKey, type AudiencePlatform } from '../core/audience.ts';
import { recipientHash } from '../adapters/campaign-store.ts';
import type { CampaignStore } from '../adapters/ports/campaigns.ts';
import type { ObjectStore } from '../adapters/ports/objects.ts';

export interface AudienceExport {
  readonly segment: string;
  readonly members: number;
  /** Members left out: no address, no consent, or suppressed. */
  readonly excluded: number;
  readonly files: readonly { platform: AudiencePlatform; key: string; rows: number; invalid: number }[];
}

export interface AudienceDeps {
  readonly members: (segment: string) => AsyncGenerator<string[]>;
  readonly store: Pick<CampaignStore, 'recipients' | 'suppressedHashes'>;
  readonly objects: Pick<ObjectStore, 'put'>;
}

/**
 * A segment as customer-match files for ad platforms (hashed e-mails only), under exports/. Only
 * customers who may be marketed to are in it: consent not refused and the address not suppressed.
 */
export async function exportAudience(deps: AudienceDeps, segment: string, now: Date): Promise<AudienceExport> {
  const emails: string[] = [];
  let members = 0;
  for await (const ids of deps.members(segment)) {
    members += ids.length;
    const recipients = [...(await deps.store.recipients(ids, [])).values()];
    const suppressed = await deps.store.suppressedHashes(recipients.flatMap((r) => recipientHash(r) ?? []));
    for (const r of recipients) {
      const hash = recipientHash(r);
      if (r.contact?.email && r.contact.consent !== false && hash !== undefined && !suppressed.has(hash)) emails.push(r.contact.email);
    }
  }
  const files = [];
  for (const platform of AUDIENCE_PLATFORMS) {
    const { csv, rows, invalid } = audienceCsv(emails, platform);
    const key = audienceKey(segment, now, platform);
    await deps.objects.put(key, csv, 'text/csv');
    files.push({ platform, key, rows, invalid });
  }
  return { segment, members, excluded: members - emails.length, files };
}
