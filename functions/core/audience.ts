import { createHash } from 'node:crypto';

/**
 * Ad platforms match customers by hashed e-mail. Both want SHA-256 hex of the trimmed, lower-case
 * address; Google Customer Match also drops dots and anything after "+" in the local part of
 * gmail.com and googlemail.com addresses before hashing.
 */
export type AudiencePlatform = 'google' | 'meta';
export const AUDIENCE_PLATFORMS: readonly AudiencePlatform[] = ['google', 'meta'];

function normalizeForPlatform(email: string, platform: AudiencePlatform): string | undefined {
  const trimmed = email.trim().toLowerCase();
  const at = trimmed.lastIndexOf('@');
  if (at < 1 || at === trimmed.length - 1 || /\s/.test(trimmed)) return undefined;
  const local = trimmed.slice(0, at);
  const domain = trimmed.slice(at + 1);
  if (platform === 'google' && (domain === 'gmail.com' || domain === 'googlemail.com')) {
    return `${local.split('+')[0]?.replace(/\./g, '') ?? ''}@${domain}`;
  }
  return trimmed;
}

function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf-8').digest('hex');
}

/** Column headers the platforms' upload templates use for a hashed e-mail. */
const HEADER: Readonly<Record<AudiencePlatform, string>> = { google: 'Email', meta: 'email' };

/** One CSV per platform: a header and one hashed, de-duplicated address per line. */
export function audienceCsv(emails: Iterable<string>, platform: AudiencePlatform): { csv: string; rows: number; invalid: number } {
  const hashes = new Set<string>();
  let invalid = 0;
  for (const email of emails) {
    const normalized = normalizeForPlatform(email, platform);
    if (normalized === undefined) invalid++;
    else hashes.add(sha256Hex(normalized));
  }
  const sorted = [...hashes].sort();
  return { csv: [HEADER[platform], ...sorted].join('\n') + '\n', rows: sorted.length, invalid };
}

/** exports/audiences/<segment>/<date>/<platform>.csv */
export function audienceKey(segment: string, at: Date, platform: AudiencePlatform): string {
  return `exports/audiences/${segment}/${at.toISOString().slice(0, 10)}/${platform}.csv`;
}
