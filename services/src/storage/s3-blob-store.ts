import { Readable } from 'node:stream';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  S3Client,
  S3ServiceException,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import {
  assertBlobKey,
  BlobStoreConfigError,
  BlobStoreUnavailableError,
  limitBytes,
  type BlobBody,
  type BlobInfo,
  type BlobPutOptions,
  type BlobRange,
  type BlobStore,
  type PresignOptions,
} from './blob-store';
import type { S3BlobStoreOptions } from './s3-blob-store-options';

const PART_SIZE = 8 * 1024 * 1024;

function statusOf(err: unknown): number | undefined {
  return err instanceof S3ServiceException ? err.$metadata.httpStatusCode : undefined;
}

const isMissing = (err: unknown) =>
  statusOf(err) === 404 || (err as { name?: string }).name === 'NoSuchKey' || (err as { name?: string }).name === 'NotFound';

/**
 * Blobs in an S3-compatible bucket (AWS S3, GCS interoperability, Ceph RGW, MinIO, ...). Credentials come
 * from the SDK's default chain (AWS_* variables, a web-identity token for IRSA / Workload Identity, an
 * instance profile) unless given. Puts stream through a multipart upload that is aborted on failure, so a
 * half-written object never becomes visible.
 */
export class S3BlobStore implements BlobStore {
  readonly backend = 's3' as const;
  private readonly client: S3Client;
  private readonly bucket: string;
  private readonly prefix: string;
  private closed = false;

  constructor(opts: S3BlobStoreOptions) {
    const config: S3ClientConfig = {
      region: opts.region,
      forcePathStyle: opts.forcePathStyle ?? false,
      maxAttempts: opts.maxAttempts ?? 3,
      requestHandler: { connectionTimeout: opts.connectTimeoutMs ?? 5000, requestTimeout: opts.requestTimeoutMs ?? 60_000 },
      ...(opts.endpoint ? { endpoint: opts.endpoint } : {}),
      ...(opts.credentials ? { credentials: opts.credentials } : {}),
    };
    this.client = new S3Client(config);
    this.bucket = opts.bucket;
    this.prefix = opts.prefix ? `${opts.prefix.replace(/\/+$/, '')}/` : '';
  }

  private objectKey(key: string): string {
    assertBlobKey(key);
    return `${this.prefix}${key}`;
  }

  async put(key: string, body: BlobBody, opts?: BlobPutOptions): Promise<number> {
    let size = 0;
    let bodyError: Error | undefined;
    const counted = Readable.from(
      (async function* () {
        try {
          for await (const chunk of limitBytes(body, opts)) {
            size += chunk.length;
            yield chunk;
          }
        } catch (err) {
          bodyError = err instanceof Error ? err : new Error(String(err));
          throw bodyError;
        }
      })(),
    );
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.bucket, Key: this.objectKey(key), Body: counted, ContentType: opts?.contentType },
      partSize: PART_SIZE,
      queueSize: 1,
      leavePartsOnError: false,
    });
    try {
      await upload.done();
    } catch (err) {
      counted.destroy();
      // the body's own failure (too large, client gone) is the caller's to see, not a store outage
      throw bodyError ?? this.translate(err, `put ${key}`);
    }
    return size;
  }

  async get(key: string, range?: BlobRange): Promise<Readable | null> {
    try {
      const out = await this.client.send(
        new GetObjectCommand({
          Bucket: this.bucket,
          Key: this.objectKey(key),
          ...(range ? { Range: `bytes=${range.start}-${range.end}` } : {}),
        }),
      );
      return out.Body as Readable;
    } catch (err) {
      if (isMissing(err)) return null;
      throw this.translate(err, `get ${key}`);
    }
  }

  async stat(key: string): Promise<BlobInfo | null> {
    try {
      const out = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) }));
      return { key, size: out.ContentLength ?? 0, lastModified: out.LastModified ?? new Date(0) };
    } catch (err) {
      if (isMissing(err)) return null;
      throw this.translate(err, `stat ${key}`);
    }
  }

  async delete(key: string): Promise<boolean> {
    // S3's DELETE answers 204 whether or not the object existed: ask first, so the caller can count.
    const existed = (await this.stat(key)) !== null;
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) }));
    } catch (err) {
      if (!isMissing(err)) throw this.translate(err, `delete ${key}`);
    }
    return existed;
  }

  async *list(prefix: string, opts: { readonly olderThan?: Date } = {}): AsyncIterable<BlobInfo> {
    let token: string | undefined;
    do {
      let page;
      try {
        page = await this.client.send(
          new ListObjectsV2Command({ Bucket: this.bucket, Prefix: `${this.prefix}${prefix}`, ContinuationToken: token, MaxKeys: 1000 }),
        );
      } catch (err) {
        throw this.translate(err, `list ${prefix}`);
      }
      for (const o of page.Contents ?? []) {
        if (!o.Key) continue;
        const lastModified = o.LastModified ?? new Date(0);
        if (opts.olderThan && lastModified >= opts.olderThan) continue;
        yield { key: o.Key.slice(this.prefix.length), size: o.Size ?? 0, lastModified };
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  presignedUrl(key: string, opts: PresignOptions): Promise<string> {
    const command = new GetObjectCommand({
      Bucket: this.bucket,
      Key: this.objectKey(key),
      ResponseContentType: opts.contentType,
      ResponseContentDisposition: `attachment; filename="${opts.filename.replace(/[^A-Za-z0-9._-]/g, '_')}"`,
    });
    return getSignedUrl(this.client, command, { expiresIn: opts.expiresSeconds });
  }

  async check(timeoutMs = 2000): Promise<void> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }), { abortSignal: AbortSignal.timeout(timeoutMs) });
    } catch (err) {
      throw this.translate(err, 'check the bucket');
    }
  }

  /** S3 answers a missing bucket or refused credentials with a status; everything else is the network. */
  private translate(err: unknown, what: string): Error {
    const status = statusOf(err);
    const name = (err as { name?: string }).name;
    if (name === 'NoSuchBucket' || (status === 404 && what === 'check the bucket')) {
      return new BlobStoreConfigError(`S3 bucket "${this.bucket}" does not exist (S3_BUCKET); create it or fix the name`, { cause: err });
    }
    if (status === 403 || name === 'AccessDenied' || name === 'InvalidAccessKeyId' || name === 'SignatureDoesNotMatch') {
      return new BlobStoreConfigError(`S3 refused access to bucket "${this.bucket}" (${name ?? status}): check the credentials and the bucket policy`, { cause: err });
    }
    if (status !== undefined && status < 500) return err as Error;
    return new BlobStoreUnavailableError(`object store unreachable (${what}): ${(err as Error).message || name}`, { cause: err });
  }

  close(): Promise<void> {
    if (!this.closed) this.client.destroy();
    this.closed = true;
    return Promise.resolve();
  }
}
