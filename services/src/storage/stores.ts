import type { RedisClient } from '../lib/redis';
import type { Config } from '../config/env';
import { CampaignStore } from '../domain/campaign-store';
import { ArtifactStore } from './artifact-store';
import type { BlobStore } from './blob-store';
import { FsBlobStore } from './fs-blob-store';
import { S3BlobStore } from './s3-blob-store';
import { UploadImports } from './upload-imports';
import { UploadStore } from './upload-store';

/** Every store a process uses, built once by each entry point (API, worker, task). */
export interface Stores {
  readonly campaigns: CampaignStore;
  readonly artifacts: ArtifactStore;
  readonly uploads: UploadStore;
  /** Staged, all-or-nothing imports of uploads, with their state per upload. */
  readonly imports: UploadImports;
  /** File bytes (artifacts, uploads, backups): never the queue Redis. */
  readonly blobs: BlobStore;
  /** Closes the blob store's and the stores' own connections (not `redis`, which the caller owns); safe to call twice. */
  close(): Promise<void>;
}

export type StoreConfig = Pick<
  Config,
  | 'REDIS_KEY_PREFIX'
  | 'BLOB_BACKEND'
  | 'BLOB_FS_DIR'
  | 'S3_BUCKET'
  | 'S3_REGION'
  | 'S3_ENDPOINT'
  | 'S3_PREFIX'
  | 'S3_FORCE_PATH_STYLE'
  | 'REPORT_RETENTION_DAYS'
  | 'REPORT_MAX_BYTES'
  | 'UPLOAD_MAX_BYTES'
  | 'UPLOAD_TTL_SECONDS'
>;

export function createBlobStore(cfg: StoreConfig): BlobStore {
  if (cfg.BLOB_BACKEND === 's3') {
    return new S3BlobStore({
      bucket: cfg.S3_BUCKET!,
      region: cfg.S3_REGION,
      endpoint: cfg.S3_ENDPOINT,
      prefix: cfg.S3_PREFIX,
      forcePathStyle: cfg.S3_FORCE_PATH_STYLE,
    });
  }
  return new FsBlobStore(cfg.BLOB_FS_DIR);
}

export interface CreateStoresOptions {
  /** @default createBlobStore(config), closed by close() */
  readonly blobs?: BlobStore;
  /** The clock of campaign timestamps and artifact ages. @default () => new Date() */
  readonly now?: () => Date;
  /** Keep the campaign store's version in memory between announced changes (CampaignStoreOptions). @default false */
  readonly trackCampaignVersion?: boolean;
}

export function createStores(redis: RedisClient, cfg: StoreConfig, opts: CreateStoresOptions = {}): Stores {
  const prefix = cfg.REDIS_KEY_PREFIX;
  const now = opts.now ?? (() => new Date());
  const blobs = opts.blobs ?? createBlobStore(cfg);
  const campaigns = new CampaignStore(redis, prefix, now, { trackVersion: opts.trackCampaignVersion ?? false });
  return {
    blobs,
    campaigns,
    imports: new UploadImports(redis, prefix, campaigns),
    artifacts: new ArtifactStore(redis, blobs, prefix, { retentionDays: cfg.REPORT_RETENTION_DAYS, maxBytes: cfg.REPORT_MAX_BYTES }, now),
    uploads: new UploadStore(blobs, prefix, { maxBytes: cfg.UPLOAD_MAX_BYTES, ttlSeconds: cfg.UPLOAD_TTL_SECONDS }),
    close: async () => {
      await campaigns.close();
      if (!opts.blobs) await blobs.close();
    },
  };
}
