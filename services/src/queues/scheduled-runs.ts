import { Gauge, type Registry } from 'prom-client';
import type { RedisClient } from '../lib/redis';
import { appKeys } from '../lib/keys';
import { sampled } from '../lib/sampled';
import { SCHEDULED_JOBS, type ScheduledJobName } from './contract';

/**
 * When a scheduled task last succeeded, kept in Redis: the run may happen in a worker or inline in a
 * CronJob pod that exits right after, so no process's own memory can hold it.
 */
export async function recordScheduledSuccess(redis: RedisClient, prefix: string, task: ScheduledJobName, at: Date): Promise<void> {
  await redis.hset(appKeys(prefix).scheduledLastSuccess, task, String(at.getTime() / 1000));
}

/**
 * `recordScheduledSuccess` for one process, writing a task's time only when it is at least
 * `minIntervalMs` newer than the last one written: a backlog of runs drained in a burst costs one HSET
 * per task per interval instead of a Redis round trip per job. The stored time lags the newest success
 * by less than the interval; the first success (and any earlier time, a clock set back) always writes.
 */
export class ScheduledRunRecorder {
  private readonly written = new Map<ScheduledJobName, number>();

  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
    private readonly minIntervalMs = 1000,
  ) {}

  async record(task: ScheduledJobName, at: Date): Promise<void> {
    const ms = at.getTime();
    const last = this.written.get(task);
    if (last !== undefined && ms >= last && ms - last < this.minIntervalMs) return;
    this.written.set(task, ms);
    try {
      await recordScheduledSuccess(this.redis, this.prefix, task, at);
    } catch (err) {
      // Not written: the next success must try again.
      if (this.written.get(task) === ms) this.written.delete(task);
      throw err;
    }
  }
}

export function isScheduledTask(name: string): name is ScheduledJobName {
  return Object.hasOwn(SCHEDULED_JOBS, name);
}

/** `pca_scheduled_task_last_success_timestamp_seconds{task}` for every task that has succeeded once. */
export function registerScheduledTaskGauge(registry: Registry, redis: RedisClient, prefix: string, maxAgeMs = 5000): void {
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
