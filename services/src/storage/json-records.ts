import type { Redis } from 'ioredis';
import { appKeys } from '../lib/keys';
import type { BenchmarkSet, HealthReport } from '../queues/results';

/** The latest benchmarks (written by refresh_benchmarks, read by every report). */
export async function loadBenchmarks(redis: Redis, prefix: string): Promise<BenchmarkSet | null> {
  const raw = await redis.get(appKeys(prefix).benchmarks);
  return raw ? (JSON.parse(raw) as BenchmarkSet) : null;
}

export async function saveBenchmarks(redis: Redis, prefix: string, set: BenchmarkSet): Promise<void> {
  await redis.set(appKeys(prefix).benchmarks, JSON.stringify(set));
}

/** The last health_check result (read by `GET /api/v1/system/health`). */
export async function loadSystemHealth(redis: Redis, prefix: string): Promise<HealthReport | null> {
  const raw = await redis.get(appKeys(prefix).systemHealth);
  return raw ? (JSON.parse(raw) as HealthReport) : null;
}

export async function saveSystemHealth(redis: Redis, prefix: string, report: HealthReport, ttlSeconds: number): Promise<void> {
  await redis.set(appKeys(prefix).systemHealth, JSON.stringify(report), 'EX', ttlSeconds);
}
