import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';
import { registerQueueDepthGauge } from '../queues/queue-depth';
import type { Queues } from '../queues/queues';

export interface WorkerMetrics {
  readonly registry: Registry;
  /** Times one processor run and counts it as completed or failed. */
  observe<T>(queue: string, job: string, run: () => Promise<T>): Promise<T>;
}

export function createWorkerMetrics(queues: Queues): WorkerMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const completed = new Counter({
    name: 'pca_jobs_completed_total',
    help: 'Jobs completed, by queue and job name',
    labelNames: ['queue', 'job'],
    registers: [registry],
  });
  const failed = new Counter({
    name: 'pca_jobs_failed_total',
    help: 'Job attempts that failed, by queue and job name',
    labelNames: ['queue', 'job'],
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'pca_job_duration_seconds',
    help: 'Processor run time, by queue and job name',
    labelNames: ['queue', 'job'],
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
    registers: [registry],
  });
  registerQueueDepthGauge(registry, queues);
  return {
    registry,
    async observe(queue, job, run) {
      const end = duration.startTimer({ queue, job });
      try {
        const result = await run();
        completed.inc({ queue, job });
        return result;
      } catch (err) {
        failed.inc({ queue, job });
        throw err;
      } finally {
        end();
      }
    },
  };
}
