import type { HealthReport } from '../../services/src/queues/contract';

/**
 * What a no-op `health_check` returns in both worker benches: pca-agent's worker checks every result
 * against the contract, so its no-op must return a valid report, and the bare worker returns the same
 * one, so both write the same completed job to Redis and the difference is the wiring alone.
 */
export const NOOP_HEALTH_REPORT: HealthReport = {
  status: 'ok',
  checked_at: new Date(0).toISOString(),
  redis: { latency_ms: 0, used_memory_bytes: 0, maxmemory_bytes: 0, memory_used_percent: null },
  queues: {},
  thresholds: { max_redis_latency_ms: 0, max_backlog: 0, max_oldest_waiting_seconds: 0, max_failed_last_hour: 0, min_workers: 0, max_redis_memory_percent: 0 },
  failures: [],
};
