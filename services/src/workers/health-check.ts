import { UnrecoverableError } from 'bullmq';
import { QUEUE_NAMES } from '../queues/contract';
import { saveSystemHealth } from '../storage/json-records';
import type { Processor } from './processor-context';

export interface QueueHealth {
  readonly waiting: number;
  readonly active: number;
  readonly delayed: number;
  readonly failed: number;
  readonly failed_last_hour: number;
  readonly oldest_waiting_seconds: number | null;
  readonly workers: number;
}

export interface HealthReport {
  readonly status: 'ok' | 'fail';
  readonly checked_at: string;
  readonly redis: { readonly latency_ms: number };
  readonly queues: Record<string, QueueHealth>;
  readonly thresholds: {
    readonly max_redis_latency_ms: number;
    readonly max_backlog: number;
    readonly max_oldest_waiting_seconds: number;
    readonly max_failed_last_hour: number;
    readonly min_workers: number;
  };
  /** One line per crossed threshold; empty when healthy. */
  readonly failures: string[];
}

const HOUR_MS = 3_600_000;
const RESULT_TTL_SECONDS = 86_400;

async function redisLatencyMs(ping: () => Promise<unknown>): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t = process.hrtime.bigint();
    await ping();
    samples.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  return Math.round(samples.sort((a, b) => a - b)[1]! * 100) / 100;
}

/**
 * Measures Redis latency and, per queue, backlog, oldest waiting job, failures in the last hour and
 * connected workers; stores the result for `GET /api/v1/system/health`, then fails the job when any
 * threshold is crossed (so the CronJob and the dashboard show it).
 */
export const healthCheck: Processor<'health_check'> = async (_job, ctx) => {
  const { cfg } = ctx;
  const now = ctx.now().getTime();
  const thresholds = {
    max_redis_latency_ms: cfg.HEALTH_MAX_REDIS_LATENCY_MS,
    max_backlog: cfg.HEALTH_MAX_BACKLOG,
    max_oldest_waiting_seconds: cfg.HEALTH_MAX_OLDEST_WAITING_SECONDS,
    max_failed_last_hour: cfg.HEALTH_MAX_FAILED_LAST_HOUR,
    min_workers: cfg.HEALTH_MIN_WORKERS,
  };
  const failures: string[] = [];
  const latency = await redisLatencyMs(() => ctx.redis.ping());
  if (latency > thresholds.max_redis_latency_ms) {
    failures.push(`redis latency ${latency} ms > ${thresholds.max_redis_latency_ms} ms`);
  }

  const queues: Record<string, QueueHealth> = {};
  for (const name of QUEUE_NAMES) {
    const queue = ctx.queues[name];
    const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'failed');
    // The failed set is scored by finish time, so the last hour is one ZCOUNT.
    const failedLastHour = await ctx.redis.zcount(queue.keys.failed!, now - HOUR_MS, '+inf');
    // Jobs enter the wait list at the head and leave from the tail: the tail is the oldest.
    const oldestId = await ctx.redis.lindex(queue.keys.wait!, -1);
    const oldest = oldestId ? await queue.getJob(oldestId) : undefined;
    const workers = (await queue.getWorkers()).length;
    const health: QueueHealth = {
      waiting: counts.waiting ?? 0,
      active: counts.active ?? 0,
      delayed: counts.delayed ?? 0,
      failed: counts.failed ?? 0,
      failed_last_hour: failedLastHour,
      oldest_waiting_seconds: oldest ? Math.max(0, Math.round((now - oldest.timestamp) / 1000)) : null,
      workers,
    };
    queues[name] = health;
    if (health.waiting > thresholds.max_backlog) failures.push(`${name}: ${health.waiting} jobs waiting > ${thresholds.max_backlog}`);
    if (health.oldest_waiting_seconds !== null && health.oldest_waiting_seconds > thresholds.max_oldest_waiting_seconds) {
      failures.push(`${name}: oldest waiting job ${health.oldest_waiting_seconds} s > ${thresholds.max_oldest_waiting_seconds} s`);
    }
    if (failedLastHour > thresholds.max_failed_last_hour) {
      failures.push(`${name}: ${failedLastHour} failures in the last hour > ${thresholds.max_failed_last_hour}`);
    }
    if (workers < thresholds.min_workers) failures.push(`${name}: ${workers} workers connected < ${thresholds.min_workers}`);
  }

  const report: HealthReport = {
    status: failures.length ? 'fail' : 'ok',
    checked_at: new Date(now).toISOString(),
    redis: { latency_ms: latency },
    queues,
    thresholds,
    failures,
  };
  await saveSystemHealth(ctx.redis, cfg.REDIS_KEY_PREFIX, report, RESULT_TTL_SECONDS);
  if (failures.length) throw new UnrecoverableError(`unhealthy: ${failures.join('; ')}`);
  return report;
};
