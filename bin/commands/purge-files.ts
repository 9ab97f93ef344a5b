import type { Readable } from 'node:stream';
import { DeleteObjectCommand, GetObjectCommand, ListObjectVersionsCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { classifyIncomingKey, mappingKeyFor, PREFIXES } from '../../functions/core/object-key.ts';
import { parseMapping, recognizeMapping, type Mapping } from '../../functions/core/mapping.ts';
import { rowMentions, type ErasureTarget } from '../../functions/core/mentions.ts';
import { readRows } from '../../functions/ingest-pipeline/read-rows.ts';

interface ObjectVersion {
  readonly key: string;
  /** undefined where the bucket keeps no versions (the local emulator). */
  readonly versionId: string | undefined;
  /** A delete marker: no data to search, but part of the key's history, so removed with it. */
  readonly marker: boolean;
}

/**
 * Deletes every version of each upload under incoming/ that mentions the erased customer (their id
 * in the customer-id column, or any address they had, compared by hash), found by streaming each
 * version. Returns the keys purged; never the address.
 */
export async function purgeUploads(s3: S3Client, bucket: string, target: ErasureTarget): Promise<string[]> {
  const byKey = new Map<string, ObjectVersion[]>();
  for (const version of await listVersions(s3, bucket)) byKey.set(version.key, [...(byKey.get(version.key) ?? []), version]);
  const purged: string[] = [];
  for (const [key, versions] of byKey) {
    const object = dataObject(key);
    if (object === undefined) continue;
    const declared = await readMapping(s3, bucket, key);
    let mentions = false;
    for (const version of versions.filter((v) => !v.marker)) {
      if (await versionMentions(s3, bucket, object, version, declared, target)) {
        mentions = true;
        break;
      }
    }
    if (!mentions) continue;
    for (const version of versions) {
      await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key, ...(version.versionId === undefined ? {} : { VersionId: version.versionId }) }));
    }
    purged.push(key);
  }
  return purged;
}

function dataObject(key: string) {
  try {
    const object = classifyIncomingKey(key);
    return object.type === 'data' ? object : undefined;
  } catch {
    return undefined;
  }
}

async function versionMentions(
  s3: S3Client,
  bucket: string,
  object: NonNullable<ReturnType<typeof dataObject>>,
  version: ObjectVersion,
  declared: Mapping | undefined,
  target: ErasureTarget,
): Promise<boolean> {
  const response = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: version.key, ...(version.versionId === undefined ? {} : { VersionId: version.versionId }) }));
  const body = response.Body as Readable;
  const source = readRows(body, object.format, object.gzip, declared?.encoding);
  let idColumn: string | undefined | null = declared?.columns.customerId ?? null;
  try {
    for await (const row of source.rows) {
      if ('malformed' in row) {
        if (rowMentions([row.raw], undefined, target)) return true;
        continue;
      }
      if (idColumn === null) idColumn = customerIdColumn(object.kind, source.headers());
      if (rowMentions(Object.values(row.values), idColumn === undefined ? undefined : row.values[idColumn], target)) return true;
    }
    return false;
  } finally {
    body.destroy();
  }
}

/** The customer-id column as ingest would recognize it; undefined when none is (then only addresses are searched). */
function customerIdColumn(kind: Parameters<typeof recognizeMapping>[0], headers: readonly string[]): string | undefined {
  try {
    return recognizeMapping(kind, headers).columns.customerId;
  } catch {
    return undefined;
  }
}

async function readMapping(s3: S3Client, bucket: string, key: string): Promise<Mapping | undefined> {
  try {
    const response = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: mappingKeyFor(key) }));
    const text = (await response.Body?.transformToString('utf-8')) ?? '';
    return parseMapping(JSON.parse(text) as unknown, mappingKeyFor(key));
  } catch {
    return undefined;
  }
}

/** Every version of every object under incoming/; a bucket or emulator without versioning lists plain objects. */
async function listVersions(s3: S3Client, bucket: string): Promise<ObjectVersion[]> {
  const versions: ObjectVersion[] = [];
  try {
    let keyMarker: string | undefined;
    let versionIdMarker: string | undefined;
    do {
      const page = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: PREFIXES.incoming, KeyMarker: keyMarker, VersionIdMarker: versionIdMarker }));
      for (const v of page.Versions ?? []) if (v.Key !== undefined) versions.push({ key: v.Key, versionId: v.VersionId, marker: false });
      // Delete markers hold no data but keep the key's history: removed with the versions.
      for (const m of page.DeleteMarkers ?? []) if (m.Key !== undefined) versions.push({ key: m.Key, versionId: m.VersionId, marker: true });
      keyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
      versionIdMarker = page.IsTruncated ? page.NextVersionIdMarker : undefined;
    } while (keyMarker !== undefined);
    return versions;
  } catch (error) {
    // s3rver answers MethodNotAllowed to ?versions; S3 itself lists versions, suspended or not.
    if (!['NotImplemented', 'MethodNotAllowed'].includes((error as { name?: string }).name ?? '')) throw error;
  }
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: PREFIXES.incoming, ContinuationToken: token }));
    for (const o of page.Contents ?? []) if (o.Key !== undefined) versions.push({ key: o.Key, versionId: undefined, marker: false });
    token = page.NextContinuationToken;
  } while (token !== undefined);
  return versions;
}
