import type { RedisClient } from '../lib/redis';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { registerRedisGauges } from './redis-gauges';
import { registerQueueGauges } from './queue-gauges';
import type { Queues } from '../queues/queues';
import { registerScheduledTaskGauge } from '../queues/scheduled-runs';

/**
 * Request latency buckets (seconds), the one definition of latency: the Prometheus histogram uses them, and
 * the deployment-wide /gateway/stats keeps the same buckets (in ms) of the same observation.
 */
export const HTTP_LATENCY_BUCKETS_SECONDS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] as const;

export type AuthFailureReason = 'missing' | 'invalid_key' | 'invalid_token' | 'expired' | 'insufficient_scope';

export interface ApiMetrics {
  readonly registry: Registry;
  readonly httpDuration: Histogram<'method' | 'route' | 'status_code'>;
  readonly rateLimited: Counter;
  readonly authFailures: Counter<'reason'>;
  readonly inFlight: Gauge;
}

/** What the API's queue and Redis gauges read (the API always runs, so they stay visible at zero workers). */
export interface ApiMetricsSources {
  readonly redis: RedisClient;
  readonly prefix: string;
  readonly queues: Queues;
  /** When the last backup_data run succeeded (epoch seconds), read at scrape time; null before the first. */
  readonly backupLastSuccess?: () => Promise<number | null>;
}

/**
 * A registry per app (never prom-client's global one), so two apps in one process, as in the tests,
 * keep separate counts.
 */
export function createApiMetrics(sources?: ApiMetricsSources): ApiMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  if (sources) {
    registerQueueGauges(registry, sources.queues, sources.redis);
    registerRedisGauges(registry, sources.redis, sources.prefix);
    registerScheduledTaskGauge(registry, sources.redis, sources.prefix);
    const lastBackup = sources.backupLastSuccess;
    if (lastBackup) {
      // Served by the API (always running), not the workers (scaled to zero between jobs): an alert on its
      // age catches a schedule that stopped succeeding. Absent until the first backup.
      new Gauge({
        name: 'pca_backup_last_success_timestamp_seconds',
        help: 'Unix time of the last successful backup_data run',
        registers: [registry],
        async collect() {
          const at = await lastBackup().catch(() => null);
          if (at === null) this.reset();
          else this.set(at);
        },
      });
    }
  }
  return {
    registry,
    httpDuration: new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP request duration by method, route template and status code',
      labelNames: ['method', 'route', 'status_code'],
      buckets: [...HTTP_LATENCY_BUCKETS_SECONDS],
      registers: [registry],
    }),
    rateLimited: new Counter({
      name: 'http_rate_limited_total',
      help: 'Requests refused with 429 by the gateway rate limit',
      registers: [registry],
    }),
    authFailures: new Counter({
      name: 'http_auth_failures_total',
      help: 'Requests refused by authentication (401) or authorization (403), by reason',
      labelNames: ['reason'],
      registers: [registry],
    }),
    inFlight: new Gauge({
      name: 'http_requests_in_flight',
      help: 'Requests this process has received and not yet answered',
      registers: [registry],
    }),
  };
}
