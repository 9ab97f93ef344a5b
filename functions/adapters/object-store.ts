import { GetObjectCommand, NoSuchKey, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { Readable } from 'node:stream';

export interface ObjectStore {
  openStream(key: string): Promise<Readable>;
  /** The object's text, or undefined when there is no such object. */
  readText(key: string): Promise<string | undefined>;
  put(key: string, body: string, contentType: string): Promise<void>;
}

export function s3ObjectStore(client: S3Client, bucket: string): ObjectStore {
  return {
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
    async put(key, body, contentType) {
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: contentType }));
    },
  };
}
