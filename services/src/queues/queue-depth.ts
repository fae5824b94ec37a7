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
