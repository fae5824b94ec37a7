import type { RedisClient } from '../lib/redis';
import type { Logger } from 'pino';
import type { Config } from '../config/env';
import type { CampaignStore } from '../domain/campaign-store';
import type { JobName, PayloadOf, ResultOf } from '../queues/contract';
import type { Queues } from '../queues/queues';
import { ScheduledRunRecorder } from '../queues/scheduled-runs';
import type { ArtifactStore } from '../storage/artifact-store';
import type { BlobStore } from '../storage/blob-store';
import type { Stores } from '../storage/stores';
import type { UploadImports } from '../storage/upload-imports';
import type { UploadStore } from '../storage/upload-store';
import type { Finishing } from './job-deadline';

/** What a processor needs from the job: a BullMQ Job fits, and so does the task's inline stand-in. */
export interface JobLike<D = unknown> {
  readonly id?: string;
  readonly name: string;
  readonly data: D;
  updateProgress(progress: number | object): Promise<void>;
  /** Aborted at the job's deadline: long work checks it between chunks and stops. */
  readonly signal?: AbortSignal;
  /** Work the deadline must wait for once begun (an import's commit); without a deadline, the work itself. */
  readonly finishing?: Finishing;
}

/** Everything a processor may touch, built once per process. */
export interface ProcessorContext {
  readonly cfg: Config;
  readonly redis: RedisClient;
  readonly store: CampaignStore;
  readonly artifacts: ArtifactStore;
  readonly uploads: UploadStore;
  readonly imports: UploadImports;
  readonly blobs: BlobStore;
  readonly queues: Queues;
  readonly logger: Logger;
  readonly now: () => Date;
  /** Where scheduled tasks' successes go (pca_scheduled_task_last_success_timestamp_seconds). */
  readonly scheduledRuns: ScheduledRunRecorder;
}

export type Processor<J extends JobName> = (job: JobLike<PayloadOf<J>>, ctx: ProcessorContext) => Promise<ResultOf<J>>;

/** The processors' view of the process: the stores come from createStores(), built by the entry point. */
export function createProcessorContext(
  cfg: Config,
  redis: RedisClient,
  queues: Queues,
  logger: Logger,
  stores: Stores,
  now: () => Date = () => new Date(),
): ProcessorContext {
  return {
    cfg,
    redis,
    queues,
    logger,
    now,
    scheduledRuns: new ScheduledRunRecorder(redis, cfg.REDIS_KEY_PREFIX),
    store: stores.campaigns,
    artifacts: stores.artifacts,
    uploads: stores.uploads,
    imports: stores.imports,
    blobs: stores.blobs,
  };
}

/** A report id derived from the job id, so a retried job replaces its artifact instead of adding one. */
export function reportIdFor(job: JobLike): string {
  const id = (job.id ?? 'inline').replace(/[^A-Za-z0-9_-]/g, '_');
  return `rpt_${id}`.slice(0, 64);
}
