import type { WorkerOptions } from 'bullmq';
import type { Config } from '../config/env';
import { PcaError } from '../lib/errors';
import { QUEUE_NAMES, type QueueName } from '../queues/contract';

type WorkerConfig = Pick<
  Config,
  | 'WORKER_QUEUES'
  | 'WORKER_CONCURRENCY'
  | 'WORKER_CONCURRENCY_REPORTS'
  | 'WORKER_CONCURRENCY_UPLOADS'
  | 'WORKER_CONCURRENCY_MAINTENANCE'
  | 'WORKER_LOCK_DURATION_MS'
  | 'WORKER_STALLED_INTERVAL_MS'
  | 'WORKER_MAX_STALLED_COUNT'
>;

export class WorkerConfigError extends PcaError {}

/** The queues this process consumes: WORKER_QUEUES, or every queue when it is empty. */
export function consumedQueues(cfg: Pick<Config, 'WORKER_QUEUES'>): QueueName[] {
  if (cfg.WORKER_QUEUES.length === 0) return [...QUEUE_NAMES];
  const unknown = cfg.WORKER_QUEUES.filter((q) => !(QUEUE_NAMES as string[]).includes(q));
  if (unknown.length) {
    throw new WorkerConfigError(`WORKER_QUEUES="${cfg.WORKER_QUEUES.join(',')}": unknown queue ${unknown.join(', ')} (known: ${QUEUE_NAMES.join(', ')})`);
  }
  return [...new Set(cfg.WORKER_QUEUES)] as QueueName[];
}

export function concurrencyFor(cfg: WorkerConfig, queue: QueueName): number {
  const override = { reports: cfg.WORKER_CONCURRENCY_REPORTS, uploads: cfg.WORKER_CONCURRENCY_UPLOADS, maintenance: cfg.WORKER_CONCURRENCY_MAINTENANCE }[queue];
  return override ?? cfg.WORKER_CONCURRENCY;
}

/**
 * Stalled-job recovery: a job whose lock lapses (its worker died) goes back to wait on the next stalled
 * check; it fails only after more than `maxStalledCount` interruptions, so two are survived.
 */
export function workerOptions(cfg: WorkerConfig, queue: QueueName): Omit<WorkerOptions, 'connection'> {
  return {
    concurrency: concurrencyFor(cfg, queue),
    lockDuration: cfg.WORKER_LOCK_DURATION_MS,
    stalledInterval: cfg.WORKER_STALLED_INTERVAL_MS,
    maxStalledCount: cfg.WORKER_MAX_STALLED_COUNT,
  };
}
