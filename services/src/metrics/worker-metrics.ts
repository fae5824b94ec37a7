import { performance } from 'node:perf_hooks';
import type { RedisClient } from '../lib/redis';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { registerRedisGauges } from './redis-gauges';
import { registerQueueGauges } from './queue-gauges';
import type { Queues } from '../queues/queues';
import { registerScheduledTaskGauge } from '../queues/scheduled-runs';

export interface WorkerMetrics {
  readonly registry: Registry;
  /** Times one processor run and counts it as completed or failed. */
  observe<T>(queue: string, job: string, run: () => Promise<T>): Promise<T>;
}

export interface WorkerMetricsOptions {
  /** The data connection: Redis gauges and the scheduled tasks' last success are read through it. */
  readonly redis: RedisClient;
  readonly prefix: string;
  /** Jobs in parallel per consumed queue (`pca_worker_concurrency`). */
  readonly concurrency: Readonly<Record<string, number>>;
}

/**
 * The job label is `job_name`, not `job`: Prometheus owns `job` (the scrape job) and would rename ours
 * to `exported_job` on every scrape.
 */
export function createWorkerMetrics(queues: Queues, opts: WorkerMetricsOptions): WorkerMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const completed = new Counter({
    name: 'pca_jobs_completed_total',
    help: 'Jobs completed, by queue and job name',
    labelNames: ['queue', 'job_name'],
    registers: [registry],
  });
  const failed = new Counter({
    name: 'pca_jobs_failed_total',
    help: 'Job attempts that failed, by queue and job name',
    labelNames: ['queue', 'job_name'],
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'pca_job_duration_seconds',
    help: 'Processor run time, by queue and job name',
    labelNames: ['queue', 'job_name'],
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
    registers: [registry],
  });
  const concurrency = new Gauge({
    name: 'pca_worker_concurrency',
    help: 'Jobs this worker process runs in parallel, per consumed queue',
    labelNames: ['queue'],
    registers: [registry],
  });
  for (const [queue, n] of Object.entries(opts.concurrency)) concurrency.set({ queue }, n);
  registerQueueGauges(registry, queues, opts.redis);
  registerRedisGauges(registry, opts.redis, opts.prefix);
  registerScheduledTaskGauge(registry, opts.redis, opts.prefix);
  // One label set per queue and job name, resolved once: prom-client hashes the labels on every call otherwise.
  type Series = { completed: Counter.Internal; failed: Counter.Internal; duration: ReturnType<typeof duration.labels> };
  const series = new Map<string, Series>();
  const seriesFor = (queue: string, job: string) => {
    const key = `${queue}\u0000${job}`;
    let s = series.get(key);
    if (!s) {
      const labels = { queue, job_name: job };
      s = { completed: completed.labels(labels), failed: failed.labels(labels), duration: duration.labels(labels) };
      series.set(key, s);
    }
    return s;
  };
  return {
    registry,
    async observe(queue, job, run) {
      const s = seriesFor(queue, job);
      // performance.now(): a float, where hrtime.bigint() allocates two BigInts per job
      const started = performance.now();
      try {
        const result = await run();
        s.completed.inc();
        return result;
      } catch (err) {
        s.failed.inc();
        throw err;
      } finally {
        s.duration.observe((performance.now() - started) / 1000);
      }
    },
  };
}
