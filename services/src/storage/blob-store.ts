import type { Readable } from 'node:stream';

export const BLOB_BACKENDS = ['filesystem', 's3'] as const;
export type BlobBackend = (typeof BLOB_BACKENDS)[number];

/** One stored object as a listing or a stat sees it. */
export interface BlobInfo {
  readonly key: string;
  readonly size: number;
  readonly lastModified: Date;
}

export type BlobBody = Readable | AsyncIterable<Buffer | string> | Iterable<Buffer | string>;

export interface BlobPutOptions {
  readonly contentType?: string;
  /** The put fails with `tooLarge()` once the body passes this many bytes; nothing is left visible. */
  readonly maxBytes?: number;
  readonly tooLarge?: () => Error;
}

/** An inclusive byte range, as an HTTP Range header says it. */
export interface BlobRange {
  readonly start: number;
  readonly end: number;
}

export interface PresignOptions {
  readonly expiresSeconds: number;
  readonly filename: string;
  readonly contentType: string;
}

/**
 * Where file bytes live (report artifacts, uploads, backups): never the queue Redis. Keys are
 * slash-separated paths. A put is all-or-nothing: a reader sees the whole object or none.
 */
export interface BlobStore {
  readonly backend: BlobBackend;
  /** Streams the body in and returns its size; replaces an object with the same key. */
  put(key: string, body: BlobBody, opts?: BlobPutOptions): Promise<number>;
  /** The object (or the range of it) as a stream; null when there is none. */
  get(key: string, range?: BlobRange): Promise<Readable | null>;
  stat(key: string): Promise<BlobInfo | null>;
  /** Idempotent: true when this call removed the object. */
  delete(key: string): Promise<boolean>;
  /** Every object under the prefix, optionally only those last written before `olderThan`. */
  list(prefix: string, opts?: { readonly olderThan?: Date }): AsyncIterable<BlobInfo>;
  /**
   * Removes what interrupted puts left behind (a process killed mid-write) before `olderThan`; never a
   * finished object. Backends whose server cleans up itself (S3: a lifecycle rule aborting incomplete
   * multipart uploads) have none.
   */
  sweepIncomplete?(olderThan: Date): Promise<{ readonly removed: number; readonly bytesFreed: number }>;
  /** A short-lived URL a client downloads the object from directly; undefined when the backend has none. */
  presignedUrl?(key: string, opts: PresignOptions): Promise<string>;
  /** Throws BlobStoreUnavailableError or BlobStoreConfigError when the store cannot be used. */
  check(timeoutMs?: number): Promise<void>;
  /** Safe to call twice. */
  close(): Promise<void>;
}

/** The store cannot be reached now (network, server down): worth retrying. */
export class BlobStoreUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = this.constructor.name;
  }
}

/** The store is reachable but configured wrong (missing bucket, no permission, unwritable directory). */
export class BlobStoreConfigError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = this.constructor.name;
  }
}

/**
 * The folder of an install's blobs: its Redis key prefix without the braces of a cluster hash tag
 * (`{pca}` → `pca`), which no blob key may contain.
 */
export const blobNamespace = (redisPrefix: string): string => redisPrefix.replace(/[{}]/g, '');

/** Refuses keys that could escape a directory or bucket prefix. */
export function assertBlobKey(key: string): void {
  if (!/^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/.test(key) || key.split('/').some((p) => p === '.' || p === '..')) {
    throw new RangeError(`invalid blob key "${key}"`);
  }
}

/** Passes the body through as Buffers, failing once it exceeds `maxBytes`; holds one chunk at a time. */
export async function* limitBytes(body: BlobBody, opts: BlobPutOptions = {}): AsyncGenerator<Buffer> {
  let size = 0;
  for await (const chunk of body as AsyncIterable<Buffer | string>) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    size += buf.length;
    if (opts.maxBytes !== undefined && size > opts.maxBytes) {
      throw opts.tooLarge?.() ?? new RangeError(`blob exceeds ${opts.maxBytes} bytes`);
    }
    yield buf;
  }
}

/** Collects a (small) stream: ranges read for sniffing and zip directories, tests. */
export async function readAll(stream: AsyncIterable<Buffer | string>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of stream) parts.push(typeof c === 'string' ? Buffer.from(c) : c);
  return Buffer.concat(parts);
}

/**
 * Start-up check of every role that touches files: a store configured wrong (missing bucket, refused
 * credentials, unwritable directory) stops the process with one clear error; a store that is only
 * unreachable now is logged, and /ready reports it until it answers.
 */
export async function checkBlobStoreAtStart(blobs: BlobStore, warn: (msg: string) => void): Promise<void> {
  try {
    await blobs.check(5000);
  } catch (err) {
    if (err instanceof BlobStoreConfigError) throw err;
    warn(`blob store (${blobs.backend}) not reachable at start-up, /ready reports it until it answers: ${(err as Error).message}`);
  }
}
