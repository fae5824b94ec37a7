import type { Queue } from 'bullmq';
import type { RedisClient } from '../lib/redis';
import { Gauge, type Registry } from 'prom-client';
import type { Queues } from './queues';

const STATES = ['waiting', 'active', 'delayed', 'failed', 'completed', 'prioritized'] as const;

/**
 * `pca_queue_jobs{queue,state}`: sampled with getJobCounts at most once per `maxAgeMs`, however often
 * Prometheus scrapes, so a busy scraper does not turn into Redis load.
 */
export function registerQueueDepthGauge(registry: Registry, queues: Queues, maxAgeMs = 5000): void {
  let sampledAt = 0;
  let sample: Promise<[string, Record<string, number>][]> | undefined;
  const take = () =>
    Promise.all(
      Object.entries(queues).map(async ([name, q]) => [name, await q.getJobCounts(...STATES)] as [string, Record<string, number>]),
    );
  new Gauge({
    name: 'pca_queue_jobs',
    help: 'Jobs per queue and state (sampled at most every few seconds)',
    labelNames: ['queue', 'state'],
    registers: [registry],
    async collect() {
      if (!sample || Date.now() - sampledAt > maxAgeMs) {
        sampledAt = Date.now();
        sample = take().catch(() => []);
      }
      this.reset();
      for (const [queue, counts] of await sample) {
        for (const state of STATES) this.set({ queue, state }, counts[state] ?? 0);
      }
    },
  });
}

/** Work a queue holds outside its wait list, which KEDA's Redis list trigger cannot see. */
export interface PendingWork {
  readonly queue: string;
  /** Jobs given a priority: BullMQ keeps them in a sorted set, not in `wait`. */
  readonly prioritized: number;
  /** Delayed jobs (retries in backoff, jobs added with a delay) due by now + the horizon. */
  readonly delayed_due: number;
  /** prioritized + delayed_due: what KEDA's metrics-api trigger reads. */
  readonly value: number;
}

/** BullMQ scores a delayed job `timestamp * 0x1000 + counter` (scripts/addDelayedJob). */
const DELAY_SCORE_FACTOR = 0x1000;

/**
 * Pending work of one queue: with the workers at zero nobody promotes a due delayed job to `wait`
 * (workers do that), so it and every prioritized job would wait for ever without this count.
 */
export async function pendingWork(redis: RedisClient, queue: Queue, now: number, horizonMs: number): Promise<PendingWork> {
  const [prioritized, delayedDue] = await Promise.all([
    redis.zcard(queue.keys.prioritized!),
    redis.zcount(queue.keys.delayed!, 0, (now + horizonMs + 1) * DELAY_SCORE_FACTOR - 1),
  ]);
  return { queue: queue.name, prioritized, delayed_due: delayedDue, value: prioritized + delayedDue };
}
