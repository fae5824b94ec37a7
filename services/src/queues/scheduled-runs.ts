import { Gauge, type Registry } from 'prom-client';
import type { Redis } from 'ioredis';
import { appKeys } from '../lib/keys';
import { sampled } from '../lib/sampled';
import { SCHEDULED_JOBS, type ScheduledJobName } from './contract';

/**
 * When a scheduled task last succeeded, kept in Redis: the run may happen in a worker or inline in a
 * CronJob pod that exits right after, so no process's own memory can hold it.
 */
export async function recordScheduledSuccess(redis: Redis, prefix: string, task: ScheduledJobName, at: Date): Promise<void> {
  await redis.hset(appKeys(prefix).scheduledLastSuccess, task, String(at.getTime() / 1000));
}

export function isScheduledTask(name: string): name is ScheduledJobName {
  return Object.hasOwn(SCHEDULED_JOBS, name);
}

/** `pca_scheduled_task_last_success_timestamp_seconds{task}` for every task that has succeeded once. */
export function registerScheduledTaskGauge(registry: Registry, redis: Redis, prefix: string, maxAgeMs = 5000): void {
  const current = sampled(() => redis.hgetall(appKeys(prefix).scheduledLastSuccess), {}, maxAgeMs);
  new Gauge({
    name: 'pca_scheduled_task_last_success_timestamp_seconds',
    help: 'Unix time of the last successful run of each scheduled task (CronJob or job scheduler), from Redis',
    labelNames: ['task'],
    registers: [registry],
    async collect() {
      const runs = await current();
      this.reset();
      for (const [task, seconds] of Object.entries(runs)) {
        if (isScheduledTask(task) && Number.isFinite(Number(seconds))) this.set({ task }, Number(seconds));
      }
    },
  });
}
