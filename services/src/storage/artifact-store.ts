import type { Readable } from 'node:stream';
import { PermanentError } from '../lib/errors';
import type { RedisClient } from '../lib/redis';
import { appKeys, type AppKeys } from '../lib/keys';
import type { ReportFormat } from '../queues/contract';
import { blobNamespace, readAll, type BlobBody, type BlobStore } from './blob-store';

export type ArtifactFormat = ReportFormat;

export const CONTENT_TYPES: Readonly<Record<ArtifactFormat, string>> = {
  json: 'application/json',
  pdf: 'application/pdf',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
};

export interface ArtifactMeta {
  readonly report_id: string;
  readonly format: ArtifactFormat;
  readonly content_type: string;
  readonly filename: string;
  readonly size_bytes: number;
  readonly created_at: string;
  readonly expires_at: string;
  readonly job_id: string;
}

export interface ArtifactStoreOptions {
  /** Artifacts older than this are removed by cleanup_old_reports. */
  readonly retentionDays: number;
  /** Larger artifacts are refused. */
  readonly maxBytes: number;
}

/** The same input renders the same size again: retrying cannot help. */
export class ArtifactTooLargeError extends PermanentError {
  constructor(
    readonly size: number,
    readonly max: number,
  ) {
    super(`artifact of ${size} bytes exceeds REPORT_MAX_BYTES=${max}`);
  }
}

const DAY_MS = 86_400_000;
// Redis TTLs on the metadata are a backstop one day behind the retention: cleanup_old_reports is what
// removes artifacts (bytes and metadata), and a missed run must not keep the metadata forever.
const TTL_GRACE_MS = DAY_MS;

/** Where an artifact's bytes live in the blob store. */
export const artifactBlobKey = (prefix: string, id: string) => `${blobNamespace(prefix)}/artifacts/${id}`;

export interface RemovedArtifacts {
  readonly ids: string[];
  readonly bytesFreed: number;
}

/**
 * Report artifacts: the bytes in the blob store, a JSON metadata record and an index by creation time in
 * Redis. The bytes are written first, so metadata never points at a missing or partial file; a crash in
 * between leaves an orphan that the cleanup's sweep by age removes.
 */
export class ArtifactStore {
  private readonly keys: AppKeys;

  constructor(
    private readonly redis: RedisClient,
    private readonly blobs: BlobStore,
    private readonly prefix: string,
    private readonly opts: ArtifactStoreOptions,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.keys = appKeys(prefix);
  }

  /** Streams (or replaces: idempotent per id) an artifact into the blob store and records its metadata. */
  async put(
    id: string,
    body: BlobBody | Buffer,
    meta: Pick<ArtifactMeta, 'format' | 'filename' | 'job_id'>,
  ): Promise<ArtifactMeta> {
    const max = this.opts.maxBytes;
    if (Buffer.isBuffer(body) && body.length > max) throw new ArtifactTooLargeError(body.length, max);
    const size = await this.blobs.put(artifactBlobKey(this.prefix, id), Buffer.isBuffer(body) ? [body] : body, {
      contentType: CONTENT_TYPES[meta.format],
      maxBytes: max,
      tooLarge: () => new ArtifactTooLargeError(max + 1, max),
    });
    const created = this.now();
    const full: ArtifactMeta = {
      report_id: id,
      format: meta.format,
      content_type: CONTENT_TYPES[meta.format],
      filename: meta.filename,
      size_bytes: size,
      created_at: created.toISOString(),
      expires_at: new Date(created.getTime() + this.opts.retentionDays * DAY_MS).toISOString(),
      job_id: meta.job_id,
    };
    const ttl = this.opts.retentionDays * DAY_MS + TTL_GRACE_MS;
    await this.redis
      .multi()
      .set(this.keys.artifactMeta(id), JSON.stringify(full), 'PX', ttl)
      .zadd(this.keys.artifactIndex, created.getTime(), id)
      .exec();
    return full;
  }

  async getMeta(id: string): Promise<ArtifactMeta | null> {
    const raw = await this.redis.get(this.keys.artifactMeta(id));
    return raw ? (JSON.parse(raw) as ArtifactMeta) : null;
  }

  /** The artifact's metadata and its bytes as a stream (never read whole); null when either is gone. */
  async open(id: string): Promise<{ meta: ArtifactMeta; body: Readable } | null> {
    const meta = await this.getMeta(id);
    if (!meta) return null;
    const body = await this.blobs.get(artifactBlobKey(this.prefix, id));
    return body ? { meta, body } : null;
  }

  /** A short-lived direct download URL when the blob store offers one (S3), else undefined. */
  async presignedUrl(meta: ArtifactMeta, expiresSeconds: number): Promise<string | undefined> {
    return this.blobs.presignedUrl?.(artifactBlobKey(this.prefix, meta.report_id), {
      expiresSeconds,
      filename: meta.filename,
      contentType: meta.content_type,
    });
  }

  /** The artifact read whole: for small artifacts and tests only (downloads use open()). */
  async get(id: string): Promise<{ meta: ArtifactMeta; body: Buffer } | null> {
    const opened = await this.open(id);
    return opened ? { meta: opened.meta, body: await readAll(opened.body) } : null;
  }

  /**
   * Removes every artifact created before the cutoff (default: now minus the retention), bytes and
   * metadata, then sweeps blobs older than the cutoff that no metadata points at (a crash between the
   * two writes, metadata expired by its TTL). Each removal is counted by the run whose ZREM took it out
   * of the index, so two concurrent runs report no double; a second run finds nothing to do.
   */
  async removeOlderThan(
    cutoff: Date = new Date(this.now().getTime() - this.opts.retentionDays * DAY_MS),
    sweepBefore: Date = cutoff,
  ): Promise<RemovedArtifacts> {
    const removed: string[] = [];
    let bytesFreed = 0;
    for (;;) {
      const ids = await this.redis.zrangebyscore(this.keys.artifactIndex, '-inf', `(${cutoff.getTime()}`, 'LIMIT', 0, 500);
      if (ids.length === 0) break;
      const metas = await this.redis.mget(ids.map((id) => this.keys.artifactMeta(id)));
      const multi = this.redis.multi();
      for (const id of ids) multi.zrem(this.keys.artifactIndex, id).unlink(this.keys.artifactMeta(id));
      const replies = (await multi.exec()) ?? [];
      for (const [n, id] of ids.entries()) {
        if (replies[n * 2]?.[1] !== 1) continue;
        removed.push(id);
        const stat = await this.blobs.stat(artifactBlobKey(this.prefix, id));
        if (await this.blobs.delete(artifactBlobKey(this.prefix, id))) {
          bytesFreed += stat?.size ?? (metas[n] ? (JSON.parse(metas[n]) as ArtifactMeta).size_bytes : 0);
        }
      }
    }
    const folder = artifactBlobKey(this.prefix, '');
    for await (const blob of this.blobs.list(folder, { olderThan: sweepBefore })) {
      const id = blob.key.slice(folder.length);
      if (await this.redis.exists(this.keys.artifactMeta(id))) continue;
      if (await this.blobs.delete(blob.key)) {
        bytesFreed += blob.size;
        if (!removed.includes(id)) removed.push(id);
      }
    }
    return { ids: removed, bytesFreed };
  }
}
