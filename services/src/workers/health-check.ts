import { UnrecoverableError } from 'bullmq';
import { QUEUE_NAMES, type HealthReport, type QueueHealth } from '../queues/contract';
import { saveSystemHealth } from '../storage/json-records';
import type { Processor } from './processor-context';

const HOUR_MS = 3_600_000;
/** A scaled-to-zero worker has this long to start before waiting jobs with no worker count as a failure. */
export const WORKER_START_GRACE_SECONDS = 60;

/** used_memory and maxmemory from INFO memory. */
async function redisMemory(info: () => Promise<string>): Promise<{ used: number; max: number }> {
  const text = await info();
  const field = (name: string) => Number(new RegExp(`^${name}:(\\d+)`, 'm').exec(text)?.[1] ?? 0);
  return { used: field('used_memory'), max: field('maxmemory') };
}
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
    max_redis_memory_percent: cfg.HEALTH_MAX_REDIS_MEMORY_PERCENT,
  };
  const failures: string[] = [];
  const latency = await redisLatencyMs(() => ctx.redis.ping());
  if (latency > thresholds.max_redis_latency_ms) {
    failures.push(`redis latency ${latency} ms > ${thresholds.max_redis_latency_ms} ms`);
  }
  // noeviction: a full Redis refuses every write, enqueue and rate-limit count, so headroom is a health signal.
  const memory = await redisMemory(() => ctx.redis.info('memory'));
  const memoryPercent = memory.max > 0 ? Math.round((memory.used / memory.max) * 1000) / 10 : null;
  if (memoryPercent !== null && memoryPercent > thresholds.max_redis_memory_percent) {
    failures.push(`redis memory ${memoryPercent}% of maxmemory > ${thresholds.max_redis_memory_percent}%`);
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
    // Too few workers matters only when work waits for them: with empty queues KEDA may rightly scale to zero.
    const waitingLong = health.oldest_waiting_seconds !== null && health.oldest_waiting_seconds >= WORKER_START_GRACE_SECONDS;
    if (workers < thresholds.min_workers && waitingLong) {
      failures.push(`${name}: ${workers} workers connected < ${thresholds.min_workers} while jobs wait`);
    }
  }

  const report: HealthReport = {
    status: failures.length ? 'fail' : 'ok',
    checked_at: new Date(now).toISOString(),
    redis: { latency_ms: latency, used_memory_bytes: memory.used, maxmemory_bytes: memory.max, memory_used_percent: memoryPercent },
    queues,
    thresholds,
    failures,
  };
  await saveSystemHealth(ctx.redis, cfg.REDIS_KEY_PREFIX, report, RESULT_TTL_SECONDS);
  if (failures.length) throw new UnrecoverableError(`unhealthy: ${failures.join('; ')}`);
  return report;
};
