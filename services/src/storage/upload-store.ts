import { Readable } from 'node:stream';
import type { Redis } from 'ioredis';
import { PcaError, PermanentError } from '../lib/errors';
import { appKeys, type AppKeys } from '../lib/keys';

export interface UploadStoreOptions {
  /** Larger uploads are refused while they stream in. */
  readonly maxBytes: number;
  /** Uploads disappear after this many seconds whether or not a worker read them. */
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
    super(`upload ${id} is gone (expired or never stored)`);
  }
}

/**
 * Uploaded files handed from the API to a worker through Redis (the pods share nothing else). Written
 * chunk by chunk and read back by range, so neither side holds more than a chunk at a time.
 */
export class UploadStore {
  private readonly keys: AppKeys;

  constructor(
    private readonly redis: Redis,
    prefix: string,
    private readonly opts: UploadStoreOptions,
  ) {
    this.keys = appKeys(prefix);
  }

  /** Streams the body into Redis; the upload becomes visible only once complete. Returns its size. */
  async write(id: string, body: AsyncIterable<Buffer | string> | Iterable<Buffer | string>): Promise<number> {
    const key = this.keys.upload(id);
    const partial = `${key}:partial`;
    let size = 0;
    try {
      await this.redis.del(partial);
      for await (const chunk of body) {
        const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
        size += buf.length;
        if (size > this.opts.maxBytes) throw new UploadTooLargeError(this.opts.maxBytes);
        await this.redis.multi().append(partial, buf).expire(partial, this.opts.ttlSeconds).exec();
      }
      if (size === 0) await this.redis.set(key, '', 'EX', this.opts.ttlSeconds);
      else await this.redis.multi().rename(partial, key).expire(key, this.opts.ttlSeconds).exec();
      return size;
    } catch (err) {
      await this.redis.del(partial).catch(() => undefined);
      throw err;
    }
  }

  async size(id: string): Promise<number | null> {
    const key = this.keys.upload(id);
    const replies = (await this.redis.multi().exists(key).strlen(key).exec()) ?? [];
    return replies[0]?.[1] === 1 ? Number(replies[1]?.[1] ?? 0) : null;
  }

  /** Bytes [start, end] inclusive (negative offsets count from the end, as GETRANGE does). */
  async readRange(id: string, start: number, end: number): Promise<Buffer> {
    return this.redis.getrangeBuffer(this.keys.upload(id), start, end);
  }

  /** The upload as a stream of chunks; throws UploadMissingError when it has expired. */
  async open(id: string, chunkSize = 256 * 1024): Promise<Readable> {
    const size = await this.size(id);
    if (size === null) throw new UploadMissingError(id);
    const readRange = (from: number, to: number) => this.readRange(id, from, to);
    async function* chunks(): AsyncGenerator<Buffer> {
      for (let offset = 0; offset < size!; offset += chunkSize) {
        yield await readRange(offset, Math.min(size!, offset + chunkSize) - 1);
      }
    }
    return Readable.from(chunks(), { objectMode: false });
  }

  async delete(id: string): Promise<void> {
    await this.redis.del(this.keys.upload(id));
  }
}
