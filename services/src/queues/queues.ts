import { randomUUID } from 'node:crypto';
import { Queue, type DefaultJobOptions, type Job, type JobsOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Config } from '../config/env';
import { bullPrefix } from '../lib/keys';
import { queueTelemetry } from '../telemetry/bullmq';
import { PAYLOADS, QUEUE_NAMES, queueOf, type JobName, type PayloadOf, type QueueName } from './contract';
import { InvalidPayloadError } from './errors';

export type Queues = Readonly<Record<QueueName, Queue>>;

type QueueConfig = Pick<Config, 'REDIS_KEY_PREFIX' | 'REPORT_RETENTION_DAYS' | 'JOB_ATTEMPTS' | 'JOB_BACKOFF_MS'>;

/**
 * Job options every queue starts from: transient failures retry with exponential backoff, and finished
 * jobs are kept as long as their artifacts (so a task's result stays readable) but never unbounded.
 */
export function defaultJobOptions(cfg: QueueConfig): DefaultJobOptions {
  const age = cfg.REPORT_RETENTION_DAYS * 86_400;
  return {
    attempts: cfg.JOB_ATTEMPTS,
    backoff: { type: 'exponential', delay: cfg.JOB_BACKOFF_MS },
    removeOnComplete: { age, count: 1000 },
    removeOnFail: { age: age * 2, count: 5000 },
  };
}

/** Per-job exceptions: a health check that fails must report now, not after three retries. */
export const JOB_OPTIONS: Partial<Record<JobName, JobsOptions>> = {
  health_check: { attempts: 1 },
};

/** One Queue per name, all under the install's BullMQ prefix, all traced. */
export function createQueues(cfg: QueueConfig, connection: Redis, names: readonly QueueName[] = QUEUE_NAMES): Queues {
  const queues = {} as Record<QueueName, Queue>;
  for (const name of names) {
    queues[name] = new Queue(name, {
      connection,
      prefix: bullPrefix(cfg.REDIS_KEY_PREFIX),
      defaultJobOptions: defaultJobOptions(cfg),
      telemetry: queueTelemetry(),
    });
    // The connection's own errors surface through commands; the Queue re-emits them here.
    queues[name].on('error', () => undefined);
  }
  return queues;
}

/** Closes every queue; each close in its own try so one failure does not leave the others open. */
export async function closeQueues(queues: Partial<Queues>): Promise<void> {
  for (const q of Object.values(queues)) {
    try {
      await q?.close();
    } catch {
      // closing anyway
    }
  }
}

/** Task ids are ours (not BullMQ's per-queue counters) so one id finds a job in any queue. */
export function newTaskId(): string {
  return randomUUID().replace(/-/g, '');
}

/** Validates the payload against the contract and adds the job to its queue under a fresh task id. */
export async function enqueue<J extends JobName>(
  queues: Queues,
  job: J,
  payload: unknown,
  opts: JobsOptions = {},
): Promise<Job<PayloadOf<J>>> {
  const parsed = PAYLOADS[job].safeParse(payload ?? {});
  if (!parsed.success) {
    throw new InvalidPayloadError(
      job,
      parsed.error.issues.map((i) => ({ field: i.path.join('.'), message: i.message })),
    );
  }
  const queue = queues[queueOf(job)];
  return (await queue.add(job, parsed.data, { jobId: newTaskId(), ...JOB_OPTIONS[job], ...opts })) as Job<PayloadOf<J>>;
}

/** Looks a task id up in every queue; undefined when no queue knows it. */
export async function findJob(queues: Partial<Queues>, taskId: string): Promise<Job | undefined> {
  for (const q of Object.values(queues)) {
    const job = await q?.getJob(taskId);
    if (job) return job;
  }
  return undefined;
}
