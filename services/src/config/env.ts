import { z } from 'zod';

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');
const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const list = z
  .string()
  .transform((v) => v.split(',').map((s) => s.trim()).filter(Boolean));
const optionalText = z
  .string()
  .optional()
  .transform((v) => (v && v.trim() !== '' ? v : undefined));

/**
 * Every environment variable any role reads, with its default. One schema for all roles so that the
 * chart's ConfigMap, the README table and the code cannot drift apart.
 */
export const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),

  REDIS_URL: z.url({ protocol: /^rediss?$/ }).default('redis://127.0.0.1:6379'),
  REDIS_KEY_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,64}$/, 'letters, digits, _ . - only (1-64 chars)')
    .default('pca'),

  PORT: int(1, 65535).default(8000),
  TRUST_PROXY_HOPS: int(0, 10).default(0),
  SHUTDOWN_DELAY_MS: int(0, 120_000).default(5000),
  SHUTDOWN_TIMEOUT_MS: int(1000, 300_000).default(20_000),
  BODY_LIMIT_BYTES: int(1024, 50 * 1024 * 1024).default(1024 * 1024),
  HTTP_HEADERS_TIMEOUT_MS: int(1000, 120_000).default(10_000),
  // 300 s carries a 20 MB upload (UPLOAD_MAX_BYTES) over a 0.6 Mbit/s link.
  HTTP_REQUEST_TIMEOUT_MS: int(1000, 3_600_000).default(300_000),
  // Above the 60 s idle timeout of common load balancers and ingress controllers.
  HTTP_KEEP_ALIVE_TIMEOUT_MS: int(1000, 600_000).default(65_000),
  HTTP_MAX_CONNECTIONS: int(1, 100_000).default(1000),
  CORS_ORIGINS: list.default([]),

  API_KEYS: list.default([]),
  API_KEYS_READ_ONLY: list.default([]),
  JWT_SECRET: optionalText,
  JWT_PUBLIC_KEY: optionalText,
  JWT_ISSUER: optionalText,
  JWT_AUDIENCE: optionalText,

  RATE_LIMIT_PER_MINUTE: int(1, 1_000_000).default(100),
  RATE_LIMIT_WINDOW_MS: int(1000, 3_600_000).default(60_000),
  RATE_LIMIT_FAIL_OPEN: bool.default(true),
  REDIS_COMMAND_TIMEOUT_MS: int(50, 60_000).default(2000),
  STATS_FLUSH_INTERVAL_MS: int(100, 60_000).default(1000),
  STATS_WINDOW_MINUTES: int(1, 60).default(5),

  WORKER_QUEUES: list.default([]),
  WORKER_CONCURRENCY: int(1, 256).default(4),
  WORKER_HTTP_PORT: int(1, 65535).default(9464),
  WORKER_SHUTDOWN_TIMEOUT_MS: int(1000, 600_000).default(25_000),
  WORKER_CONCURRENCY_REPORTS: int(1, 256).optional(),
  WORKER_CONCURRENCY_UPLOADS: int(1, 256).optional(),
  WORKER_CONCURRENCY_MAINTENANCE: int(1, 256).optional(),
  WORKER_LOCK_DURATION_MS: int(1000, 600_000).default(30_000),
  WORKER_STALLED_INTERVAL_MS: int(1000, 600_000).default(30_000),
  WORKER_MAX_STALLED_COUNT: int(2, 100).default(2),
  JOB_ATTEMPTS: int(1, 20).default(3),
  JOB_BACKOFF_MS: int(100, 600_000).default(5000),
  UPLOAD_MAX_UNCOMPRESSED_BYTES: int(1024, 2 * 1024 * 1024 * 1024).default(256 * 1024 * 1024),
  HEALTH_MAX_REDIS_LATENCY_MS: int(1, 60_000).default(250),
  HEALTH_MAX_BACKLOG: int(0, 100_000_000).default(1000),
  HEALTH_MAX_OLDEST_WAITING_SECONDS: int(1, 30 * 86_400).default(900),
  HEALTH_MAX_FAILED_LAST_HOUR: int(0, 100_000_000).default(50),
  HEALTH_MIN_WORKERS: int(0, 1000).default(1),
  REPORT_RETENTION_DAYS: int(1, 3650).default(7),
  REPORT_MAX_BYTES: int(1024, 512 * 1024 * 1024).default(50 * 1024 * 1024),
  UPLOAD_MAX_BYTES: int(1024, 512 * 1024 * 1024).default(20 * 1024 * 1024),
  UPLOAD_TTL_SECONDS: int(60, 7 * 86_400).default(3600),
  BENCHMARK_WINDOW_DAYS: int(1, 3650).default(90),
  SCHEDULER_ENABLED: bool.default(false),

  DASHBOARD_PORT: int(1, 65535).default(5555),
  DASHBOARD_USERNAME: optionalText,
  DASHBOARD_PASSWORD: optionalText,
  DASHBOARD_READ_ONLY: bool.default(false),
  DASHBOARD_LOGIN_MAX_FAILURES: int(1, 10_000).default(10),
  DASHBOARD_LOGIN_WINDOW_MS: int(1000, 86_400_000).default(900_000),
  DASHBOARD_BASE_PATH: z
    .string()
    .regex(/^(\/[A-Za-z0-9._~-]+)*\/?$/, 'a URL path such as /queues')
    .default('/')
    .transform((v) => (v.length > 1 ? v.replace(/\/$/, '') : '/')),
});

export type Config = z.infer<typeof envSchema>;

/** A variable's default as the schema resolves it; the chart's values take their defaults from here. */
export function envDefault<K extends keyof Config>(name: K): Config[K] {
  return envSchema.shape[name].parse(undefined) as Config[K];
}

export const LOG_LEVELS = envSchema.shape.LOG_LEVEL.unwrap().options;

export class ConfigError extends Error {
  constructor(readonly issues: { variable: string; message: string }[]) {
    super(`invalid configuration: ${issues.map((i) => `${i.variable}: ${i.message}`).join('; ')}`);
    this.name = this.constructor.name;
  }
}

/** Reads and validates the environment once; the error names each bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((i) => ({ variable: String(i.path[0] ?? '?'), message: i.message })),
    );
  }
  const cfg = parsed.data;
  if (cfg.HTTP_HEADERS_TIMEOUT_MS > cfg.HTTP_REQUEST_TIMEOUT_MS) {
    throw new ConfigError([{ variable: 'HTTP_HEADERS_TIMEOUT_MS', message: `must not exceed HTTP_REQUEST_TIMEOUT_MS (${cfg.HTTP_REQUEST_TIMEOUT_MS})` }]);
  }
  if (cfg.JWT_SECRET && cfg.JWT_PUBLIC_KEY) {
    throw new ConfigError([{ variable: 'JWT_SECRET', message: 'set JWT_SECRET or JWT_PUBLIC_KEY, not both' }]);
  }
  if (cfg.JWT_SECRET && cfg.JWT_SECRET.length < 32) {
    throw new ConfigError([{ variable: 'JWT_SECRET', message: 'must be at least 32 characters' }]);
  }
  return cfg;
}
