import type { Redis } from 'ioredis';
import { PermanentError } from '../lib/errors';
import { appKeys, type AppKeys } from '../lib/keys';
import type { ReportFormat } from '../queues/contract';

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
// Redis TTLs are a backstop one day behind the retention: cleanup_old_reports is what removes artifacts,
// and a missed run must not keep them forever.
const TTL_GRACE_MS = DAY_MS;

/** Report artifacts: the bytes, a JSON metadata record and an index by creation time. */
export class ArtifactStore {
  private readonly keys: AppKeys;

  constructor(
    private readonly redis: Redis,
    prefix: string,
    private readonly opts: ArtifactStoreOptions,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.keys = appKeys(prefix);
  }

  /** Stores (or replaces: idempotent per id) an artifact and its metadata. */
  async put(
    id: string,
    body: Buffer,
    meta: Pick<ArtifactMeta, 'format' | 'filename' | 'job_id'>,
  ): Promise<ArtifactMeta> {
    if (body.length > this.opts.maxBytes) throw new ArtifactTooLargeError(body.length, this.opts.maxBytes);
    const created = this.now();
    const full: ArtifactMeta = {
      report_id: id,
      format: meta.format,
      content_type: CONTENT_TYPES[meta.format],
      filename: meta.filename,
      size_bytes: body.length,
      created_at: created.toISOString(),
      expires_at: new Date(created.getTime() + this.opts.retentionDays * DAY_MS).toISOString(),
      job_id: meta.job_id,
    };
    const ttl = this.opts.retentionDays * DAY_MS + TTL_GRACE_MS;
    await this.redis
      .multi()
      .set(this.keys.artifact(id), body, 'PX', ttl)
      .set(this.keys.artifactMeta(id), JSON.stringify(full), 'PX', ttl)
      .zadd(this.keys.artifactIndex, created.getTime(), id)
      .exec();
    return full;
  }

  async getMeta(id: string): Promise<ArtifactMeta | null> {
    const raw = await this.redis.get(this.keys.artifactMeta(id));
    return raw ? (JSON.parse(raw) as ArtifactMeta) : null;
  }

  async get(id: string): Promise<{ meta: ArtifactMeta; body: Buffer } | null> {
    const [meta, body] = await Promise.all([this.getMeta(id), this.redis.getBuffer(this.keys.artifact(id))]);
    return meta && body ? { meta, body } : null;
  }

  /**
   * Removes every artifact created before the cutoff (default: now minus the retention). Each removal is
   * counted by the run whose ZREM took it out of the index, so two concurrent runs report no double.
   */
  async removeOlderThan(cutoff: Date = new Date(this.now().getTime() - this.opts.retentionDays * DAY_MS)): Promise<string[]> {
    const removed: string[] = [];
    for (;;) {
      const ids = await this.redis.zrangebyscore(this.keys.artifactIndex, '-inf', `(${cutoff.getTime()}`, 'LIMIT', 0, 500);
      if (ids.length === 0) return removed;
      const multi = this.redis.multi();
      for (const id of ids) {
        multi.zrem(this.keys.artifactIndex, id).unlink(this.keys.artifact(id), this.keys.artifactMeta(id));
      }
      const replies = (await multi.exec()) ?? [];
      ids.forEach((id, n) => {
        if (replies[n * 2]?.[1] === 1) removed.push(id);
      });
    }
  }
}
