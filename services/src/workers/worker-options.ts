import type { WorkerOptions } from 'bullmq';
import { ConfigError, type Config } from '../config/env';
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

/**
 * Per-queue limits inside the pod's budget (WORKER_CONCURRENCY): uploads and maintenance have their own
 * (1 each by default), reports get what the budget leaves after the other consumed queues unless set.
 * The limits of the consumed queues must add up to no more than the budget, so a pod never runs more
 * jobs at once than WORKER_CONCURRENCY says.
 */
export function concurrencyPlan(cfg: WorkerConfig, queues: readonly QueueName[] = consumedQueues(cfg)): Record<QueueName, number> {
  const fixed = { uploads: cfg.WORKER_CONCURRENCY_UPLOADS, maintenance: cfg.WORKER_CONCURRENCY_MAINTENANCE };
  const others = queues.filter((q) => q !== 'reports').reduce((sum, q) => sum + fixed[q], 0);
  const reports = cfg.WORKER_CONCURRENCY_REPORTS ?? Math.max(1, cfg.WORKER_CONCURRENCY - others);
  const plan: Record<QueueName, number> = { reports, ...fixed };
  const total = queues.reduce((sum, q) => sum + plan[q], 0);
  if (total > cfg.WORKER_CONCURRENCY) {
    const parts = queues.map((q) => `${q} ${plan[q]}`).join(' + ');
    // A ConfigError: the worker stops at start-up with this one line (exit 78), as for any bad variable.
    throw new ConfigError([
      {
        variable: 'WORKER_CONCURRENCY',
        message: `${cfg.WORKER_CONCURRENCY} is the per-pod budget, but the per-queue limits add up to ${parts} = ${total}: raise it or lower WORKER_CONCURRENCY_REPORTS/UPLOADS/MAINTENANCE`,
      },
    ]);
  }
  return plan;
}

export function concurrencyFor(cfg: WorkerConfig, queue: QueueName): number {
  return concurrencyPlan(cfg)[queue];
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
