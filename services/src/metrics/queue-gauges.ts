import type { RedisClient } from '../lib/redis';
import { Gauge, type Registry } from 'prom-client';
import { sampled } from '../lib/sampled';
import { registerQueueDepthGauge } from '../queues/queue-depth';
import type { Queues } from '../queues/queues';

interface QueueSample {
  readonly queue: string;
  readonly oldestWaitingSeconds: number;
  readonly workers: number;
}

async function sampleQueues(queues: Queues, redis: RedisClient, now: () => number): Promise<QueueSample[]> {
  return Promise.all(
    Object.entries(queues).map(async ([queue, q]) => {
      // Jobs enter the wait list at the head and leave from the tail: the tail is the oldest.
      const oldestId = await redis.lindex(q.keys.wait!, -1);
      const oldest = oldestId ? await q.getJob(oldestId) : undefined;
      const oldestWaitingSeconds = oldest ? Math.max(0, (now() - oldest.timestamp) / 1000) : 0;
      const workers = (await q.getWorkers()).length;
      return { queue, oldestWaitingSeconds, workers };
    }),
  );
}

/**
 * The queue-state gauges every process that holds the queues can export (API, worker, dashboard), so
 * the backlog stays visible while KEDA has scaled the workers to zero: jobs per state, the age of the
 * oldest waiting job and the workers connected to each queue. Sampled at most every `maxAgeMs`.
 */
export function registerQueueGauges(registry: Registry, queues: Queues, redis: RedisClient, maxAgeMs = 5000, now: () => number = Date.now): void {
  registerQueueDepthGauge(registry, queues, maxAgeMs);
  const current = sampled(() => sampleQueues(queues, redis, now), [], maxAgeMs);
  const perQueue = (name: string, help: string, pick: (s: QueueSample) => number) =>
    new Gauge({
      name,
      help,
      labelNames: ['queue'],
      registers: [registry],
      async collect() {
        const samples = await current();
        this.reset();
        for (const s of samples) this.set({ queue: s.queue }, pick(s));
      },
    });
  perQueue('pca_queue_oldest_waiting_job_age_seconds', 'Age of the oldest job waiting in the queue (0 when none waits)', (s) => s.oldestWaitingSeconds);
  perQueue('pca_queue_workers', 'Workers connected to the queue (BullMQ workers, any process)', (s) => s.workers);
}
