import { DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, NoSuchKey, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { once } from 'node:events';
import { PassThrough, type Readable } from 'node:stream';
import { Upload } from '@aws-sdk/lib-storage';

import type { ObjectRemover, RangedObjectStore } from './ports/objects.ts';

export function s3ObjectStore(client: S3Client, bucket: string): RangedObjectStore & ObjectRemover {
  return {
    async delete(key) {
      await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
    },
    async size(key) {
      const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
      return head.ContentLength ?? 0;
    },
    async openRange(key, start, end) {
      const response = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key, Range: `bytes=${start}-${end === undefined ? '' : end - 1}` }));
      return response.Body as Readable;
    },
    async readBytes(key) {
      try {
        const response = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        return await response.Body?.transformToByteArray();
      } catch (error) {
        if (error instanceof NoSuchKey || (error as { name?: string }).name === 'NoSuchKey') return undefined;
        throw error;
      }
    },
    async putBytes(key, body) {
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: 'application/octet-stream' }));
    },
    async openStream(key) {
      const response = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      return response.Body as Readable;
    },
    async readText(key) {
      try {
        const response = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        return await response.Body?.transformToString('utf-8');
      } catch (error) {
        if (error instanceof NoSuchKey || (error as { name?: string }).name === 'NoSuchKey') return undefined;
        throw error;
      }
    },
    async readVersioned(key) {
      try {
        const response = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        const text = (await response.Body?.transformToString('utf-8')) ?? '';
        return { text, version: `${response.ETag ?? ''}@${response.LastModified?.toISOString() ?? ''}` };
      } catch (error) {
        if (error instanceof NoSuchKey || (error as { name?: string }).name === 'NoSuchKey') return undefined;
        throw error;
      }
    },
    async put(key, body, contentType) {
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: contentType }));
    },
    async list(prefix) {
      const keys: string[] = [];
      let token: string | undefined;
      do {
        const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
        keys.push(...(page.Contents ?? []).flatMap((o) => (o.Key === undefined ? [] : [o.Key])));
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
      return keys.sort();
    },
    createWriter(key, contentType) {
      // A multipart upload fed by a stream: parts of 5 MiB leave as they fill.
      const body = new PassThrough();
      const upload = new Upload({ client, params: { Bucket: bucket, Key: key, Body: body, ContentType: contentType } });
      const done = upload.done();
      done.catch(() => undefined); // surfaced by close()
      return {
        async write(text) {
          if (!body.write(text)) await once(body, 'drain');
        },
        async close() {
          body.end();
          await done;
        },
      };
    },
  };
}
