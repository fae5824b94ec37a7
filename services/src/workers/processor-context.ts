import type { RedisClient } from '../lib/redis';
import type { Logger } from 'pino';
import type { Config } from '../config/env';
import { CampaignStore } from '../domain/campaign-store';
import type { JobName, PayloadOf, ResultOf } from '../queues/contract';
import type { Queues } from '../queues/queues';
import { ArtifactStore } from '../storage/artifact-store';
import { UploadStore } from '../storage/upload-store';

/** What a processor needs from the job: a BullMQ Job fits, and so does the task's inline stand-in. */
export interface JobLike<D = unknown> {
  readonly id?: string;
  readonly name: string;
  readonly data: D;
  updateProgress(progress: number | object): Promise<void>;
  /** Aborted at the job's deadline: long work checks it between chunks and stops. */
  readonly signal?: AbortSignal;
}

/** Everything a processor may touch, built once per process. */
export interface ProcessorContext {
  readonly cfg: Config;
  readonly redis: RedisClient;
  readonly store: CampaignStore;
  readonly artifacts: ArtifactStore;
  readonly uploads: UploadStore;
  readonly queues: Queues;
  readonly logger: Logger;
  readonly now: () => Date;
}

export type Processor<J extends JobName> = (job: JobLike<PayloadOf<J>>, ctx: ProcessorContext) => Promise<ResultOf<J>>;

export function createProcessorContext(
  cfg: Config,
  redis: RedisClient,
  queues: Queues,
  logger: Logger,
  now: () => Date = () => new Date(),
): ProcessorContext {
  const prefix = cfg.REDIS_KEY_PREFIX;
  return {
    cfg,
    redis,
    queues,
    logger,
    now,
    store: new CampaignStore(redis, prefix, now),
    artifacts: new ArtifactStore(redis, prefix, { retentionDays: cfg.REPORT_RETENTION_DAYS, maxBytes: cfg.REPORT_MAX_BYTES }, now),
    uploads: new UploadStore(redis, prefix, { maxBytes: cfg.UPLOAD_MAX_BYTES, ttlSeconds: cfg.UPLOAD_TTL_SECONDS }),
  };
}

/** A report id derived from the job id, so a retried job replaces its artifact instead of adding one. */
export function reportIdFor(job: JobLike): string {
  const id = (job.id ?? 'inline').replace(/[^A-Za-z0-9_-]/g, '_');
  return `rpt_${id}`.slice(0, 64);
}
