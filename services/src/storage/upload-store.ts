import type { Readable } from 'node:stream';
import { PcaError, PermanentError } from '../lib/errors';
import { blobNamespace, readAll, type BlobBody, type BlobStore } from './blob-store';

export interface UploadStoreOptions {
  /** Larger uploads are refused while they stream in. */
  readonly maxBytes: number;
  /** An upload older than this counts as expired (and cleanup_old_reports removes it). */
  readonly ttlSeconds: number;
}

export class UploadTooLargeError extends PcaError {
  constructor(readonly max: number) {
    super(`upload exceeds UPLOAD_MAX_BYTES=${max}`);
  }
}

/** The file expired (or was never stored): no retry brings it back. */
export class UploadMissingError extends PermanentError {
  constructor(readonly id: string) {
    super(`input expired: upload ${id} is gone (older than UPLOAD_TTL_SECONDS, or never stored)`);
  }
}

/** Where an upload's bytes live in the blob store. */
export const uploadBlobKey = (prefix: string, id: string) => `${blobNamespace(prefix)}/uploads/${id}`;

/**
 * Uploaded files handed from the API to a worker through the blob store (never the queue Redis).
 * Streamed in and read back by range, so neither side holds more than a chunk at a time; the blob store
 * makes an upload visible only once complete.
 */
export class UploadStore {
  constructor(
    private readonly blobs: BlobStore,
    private readonly prefix: string,
    private readonly opts: UploadStoreOptions,
    private readonly now: () => Date = () => new Date(),
  ) {}

  private key(id: string): string {
    return uploadBlobKey(this.prefix, id);
  }

  /** Streams the body into the store; returns its size. */
  write(id: string, body: BlobBody): Promise<number> {
    const max = this.opts.maxBytes;
    return this.blobs.put(this.key(id), body, { maxBytes: max, tooLarge: () => new UploadTooLargeError(max) });
  }

  /** The size, or null when the upload is missing or older than the TTL. */
  async size(id: string): Promise<number | null> {
    const info = await this.blobs.stat(this.key(id));
    if (!info) return null;
    return this.now().getTime() - info.lastModified.getTime() > this.opts.ttlSeconds * 1000 ? null : info.size;
  }

  /** Bytes [start, end] inclusive (negative offsets count from the end, as GETRANGE does); small ranges only. */
  async readRange(id: string, start: number, end: number): Promise<Buffer> {
    let from = start;
    let to = end;
    if (from < 0 || to < 0) {
      const info = await this.blobs.stat(this.key(id));
      if (!info) throw new UploadMissingError(id);
      if (from < 0) from = Math.max(0, info.size + from);
      if (to < 0) to = info.size + to;
    }
    if (to < from) return Buffer.alloc(0);
    const stream = await this.blobs.get(this.key(id), { start: from, end: to });
    if (!stream) throw new UploadMissingError(id);
    return readAll(stream);
  }

  /** The upload as a stream; throws UploadMissingError when it has expired. */
  async open(id: string): Promise<Readable> {
    if ((await this.size(id)) === null) throw new UploadMissingError(id);
    const stream = await this.blobs.get(this.key(id));
    if (!stream) throw new UploadMissingError(id);
    return stream;
  }

  async delete(id: string): Promise<void> {
    await this.blobs.delete(this.key(id));
  }

  /** Removes uploads past the TTL; returns how many and their bytes. Idempotent. */
  async removeExpired(): Promise<{ removed: number; bytesFreed: number }> {
    const olderThan = new Date(this.now().getTime() - this.opts.ttlSeconds * 1000);
    let removed = 0;
    let bytesFreed = 0;
    for await (const blob of this.blobs.list(uploadBlobKey(this.prefix, ''), { olderThan })) {
      if (await this.blobs.delete(blob.key)) {
        removed++;
        bytesFreed += blob.size;
      }
    }
    return { removed, bytesFreed };
  }
}
