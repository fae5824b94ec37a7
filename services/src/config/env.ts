import { z } from 'zod';

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');
const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const list = z
  .string()
  .transform((v) => v.split(',').map((s) => s.trim()).filter(Boolean));
/** A key prefix, optionally with one Redis Cluster hash tag (`{pca}`, `app-{pca}`): every key then hashes to one slot. */
const KEY_PREFIX = /^[A-Za-z0-9_.-]*(\{[A-Za-z0-9_.-]+\})?[A-Za-z0-9_.-]*$/;
const optionalText = z
  .string()
  .optional()
  .transform((v) => (v && v.trim() !== '' ? v : undefined));

/**
 * Every environment variable any role reads, with its default. One schema for all roles so that the
 * chart's ConfigMap, the README table and the code cannot drift apart.
 */
export const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development').describe('production in the container: JSON logs only'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info').describe('fatal…trace, silent'),

  REDIS_URL: z.url({ protocol: /^rediss?$/ }).default('redis://127.0.0.1:6379').describe('Redis for data, rate limits, stats, queues (rediss:// for TLS)'),
  REDIS_KEY_PREFIX: z
    .string()
    .min(1, 'letters, digits, _ . - only (1-64 chars), optionally one {hash tag} such as {pca}')
    .max(64, 'letters, digits, _ . - only (1-64 chars), optionally one {hash tag} such as {pca}')
    .regex(KEY_PREFIX, 'letters, digits, _ . - only (1-64 chars), optionally one {hash tag} such as {pca}')
    .default('pca').describe('every key of an install lives under it, so several installs or tests share one Redis; may carry one hash tag such as {pca}, required on Redis Cluster (a changed prefix starts from empty data)'),
  REDIS_USERNAME: optionalText.describe('Redis ACL user, used when REDIS_URL carries no credentials (no URL encoding needed)'),
  REDIS_PASSWORD: optionalText.describe('Redis password, used when REDIS_URL carries no credentials (no URL encoding needed)'),
  // High availability and managed Redis (README "Redis in production"). In sentinel and cluster mode REDIS_URL's
  // scheme (rediss:// = TLS), credentials and database still apply; its host:port is not dialled.
  REDIS_SENTINELS: list.default([]).describe('comma-separated host:port of Redis Sentinels: the primary is asked for by REDIS_SENTINEL_NAME and followed through failovers'),
  REDIS_SENTINEL_NAME: optionalText.describe('master set name the sentinels monitor (required with REDIS_SENTINELS)'),
  REDIS_SENTINEL_USERNAME: optionalText.describe('ACL user of the sentinels themselves, with REDIS_SENTINEL_PASSWORD (the primary uses REDIS_USERNAME)'),
  REDIS_SENTINEL_PASSWORD: optionalText.describe('password of the sentinels themselves (the primary uses REDIS_PASSWORD)'),
  REDIS_SENTINEL_TLS: bool.optional().describe('the sentinels speak TLS, verified with REDIS_TLS_CA_FILE like the primary (unset: TLS to the sentinels exactly when the primary has it, rediss:// or a CA file)'),
  REDIS_CLUSTER_NODES: list.default([]).describe('comma-separated host:port of Redis Cluster nodes to discover the cluster from (REDIS_KEY_PREFIX must then carry a hash tag such as {pca})'),
  REDIS_TLS_CA_FILE: optionalText.describe('PEM CA bundle that signs the Redis server certificates (turns TLS on, as rediss:// does)'),

  PORT: int(1, 65535).default(8000).describe('API port'),
  TRUST_PROXY_HOPS: int(0, 10).default(0).describe('number of proxies in front of the API whose X-Forwarded-For is trusted'),
  SHUTDOWN_DELAY_MS: int(0, 120_000).default(5000).describe('after SIGTERM, how long the API keeps serving with /ready at 503'),
  SHUTDOWN_TIMEOUT_MS: int(1000, 300_000).default(20_000).describe('deadline for in-flight requests after the delay; then exit 1'),
  BODY_LIMIT_BYTES: int(1024, 50 * 1024 * 1024).default(1024 * 1024).describe('JSON body limit (413 above)'),
  HTTP_HEADERS_TIMEOUT_MS: int(1000, 120_000).default(10_000).describe('a client must send its request headers within this, or gets 408 and is disconnected'),
  // 300 s carries a 20 MB upload (UPLOAD_MAX_BYTES) over a 0.6 Mbit/s link.
  HTTP_REQUEST_TIMEOUT_MS: int(1000, 3_600_000).default(300_000).describe('a whole request (body included) must arrive within this'),
  // Above the 60 s idle timeout of common load balancers and ingress controllers.
  HTTP_KEEP_ALIVE_TIMEOUT_MS: int(1000, 600_000).default(65_000).describe('idle keep-alive connections are closed after this (keep above the load balancer idle timeout)'),
  HTTP_MAX_CONNECTIONS: int(1, 100_000).default(1000).describe('open connections per API process; more are refused'),
  CORS_ORIGINS: list.default([]).describe('comma-separated allowed origins'),

  API_KEYS: list.default([]).describe('comma-separated API keys with read and write scope'),
  API_KEYS_READ_ONLY: list.default([]).describe('comma-separated API keys with read scope'),
  JWT_SECRET: optionalText.describe('HS256 secret (≥ 32 characters) for bearer JWTs'),
  JWT_PUBLIC_KEY: optionalText.describe('PEM public key for RS256/ES256 JWTs (instead of JWT_SECRET)'),
  JWT_ISSUER: optionalText.describe('required iss of bearer JWTs when set'),
  JWT_AUDIENCE: optionalText.describe('required aud of bearer JWTs when set'),

  RATE_LIMIT_PER_MINUTE: int(1, 1_000_000).default(100).describe('requests per window per client IP'),
  RATE_LIMIT_WINDOW_MS: int(1000, 3_600_000).default(60_000).describe('rate-limit window'),
  RATE_LIMIT_FAIL_OPEN: bool.default(true).describe('when Redis is down: true lets requests through uncounted, false answers 503'),
  REDIS_COMMAND_TIMEOUT_MS: int(50, 60_000).default(2000).describe('bound on a request-path Redis command: past it the API answers 503'),
  STATS_FLUSH_INTERVAL_MS: int(100, 60_000).default(1000).describe('how often each API instance adds its gateway counters to Redis'),
  STATS_WINDOW_MINUTES: int(1, 60).default(5).describe('latency window of /gateway/stats'),

  WORKER_QUEUES: list.default([]).describe('comma-separated queues this worker consumes: reports, uploads, maintenance'),
  WORKER_CONCURRENCY: int(1, 256).default(4).describe('jobs in parallel per worker pod, all queues together (the per-queue limits share it)'),
  WORKER_HTTP_PORT: int(1, 65535).default(9464).describe('worker /health, /ready, /metrics'),
  WORKER_SHUTDOWN_TIMEOUT_MS: int(1000, 600_000).default(25_000).describe('how long active jobs may run after SIGTERM (keep below the pod\'s grace period)'),
  WORKER_CONCURRENCY_REPORTS: int(1, 256).optional().describe('jobs in parallel on the reports queue (default: what WORKER_CONCURRENCY leaves after the other consumed queues)'),
  WORKER_CONCURRENCY_UPLOADS: int(1, 256).default(1).describe('jobs in parallel on the uploads queue (an import streams its file and stages every row in Redis before the commit: one at a time bounds the Redis memory and load of commits)'),
  WORKER_CONCURRENCY_MAINTENANCE: int(1, 256).default(1).describe('jobs in parallel on the maintenance queue'),
  WORKER_LOCK_DURATION_MS: int(2000, 600_000).default(30_000).describe('BullMQ job lock; a worker that dies loses its jobs to another after this'),
  WORKER_STALLED_INTERVAL_MS: int(1000, 600_000).default(30_000).describe('how often stalled jobs are looked for'),
  WORKER_MAX_STALLED_COUNT: int(2, 100).default(2).describe('a job interrupted this many times is still retried, not failed'),
  JOB_ATTEMPTS: int(1, 20).default(3).describe('attempts for transient failures (bad input is never retried)'),
  JOB_BACKOFF_MS: int(100, 600_000).default(5000).describe('first exponential backoff delay'),
  UPLOAD_MAX_UNCOMPRESSED_BYTES: int(1024, 2 * 1024 * 1024 * 1024).default(256 * 1024 * 1024).describe('XLSX refused when its entries would expand beyond this (zip bombs)'),
  HEALTH_MAX_REDIS_LATENCY_MS: int(1, 60_000).default(250).describe('health_check fails above this Redis round trip'),
  HEALTH_MAX_BACKLOG: int(0, 100_000_000).default(1000).describe('health_check fails above this many waiting jobs in a queue'),
  HEALTH_MAX_OLDEST_WAITING_SECONDS: int(1, 30 * 86_400).default(900).describe('health_check fails when a queue\'s oldest waiting job is older (seconds)'),
  HEALTH_MAX_FAILED_LAST_HOUR: int(0, 100_000_000).default(50).describe('health_check fails above this many failures in the last hour'),
  HEALTH_MAX_REDIS_MEMORY_PERCENT: int(1, 100).default(80).describe('health_check fails when Redis uses more than this share of its maxmemory (writes fail at 100%)'),
  HEALTH_MIN_WORKERS: int(0, 1000).default(1).describe('health_check fails below this many connected workers while jobs wait'),
  REPORT_RETENTION_DAYS: int(1, 3650).default(7).describe('artifacts and their metadata are removed after this'),
  REPORT_MAX_BYTES: int(1024, 512 * 1024 * 1024).default(50 * 1024 * 1024).describe('size cap of one artifact'),
  UPLOAD_MAX_BYTES: int(1024, 512 * 1024 * 1024).default(20 * 1024 * 1024).describe('upload size limit (413 above)'),
  UPLOAD_TTL_SECONDS: int(60, 7 * 86_400).default(3600).describe('how long an uploaded file waits in the blob store for its worker'),
  BENCHMARK_WINDOW_DAYS: int(1, 3650).default(90).describe('campaigns considered by refresh_benchmarks'),
  // Per-job deadlines (seconds): past it the attempt is aborted and fails "timed out after N s"; retries as any failure.
  JOB_TIMEOUT_GENERATE_CAMPAIGN_REPORT: int(1, 86_400).default(300).describe('deadline of one generate_campaign_report attempt, in seconds'),
  JOB_TIMEOUT_GENERATE_PDF_REPORT: int(1, 86_400).default(300).describe('deadline of one generate_pdf_report attempt, in seconds'),
  JOB_TIMEOUT_GENERATE_EXCEL_REPORT: int(1, 86_400).default(300).describe('deadline of one generate_excel_report attempt, in seconds'),
  JOB_TIMEOUT_PROCESS_BULK_UPLOAD: int(1, 86_400).default(600).describe('deadline of one process_bulk_upload attempt, in seconds'),
  JOB_TIMEOUT_CLEANUP_OLD_REPORTS: int(1, 86_400).default(300).describe('deadline of one cleanup_old_reports attempt, in seconds'),
  JOB_TIMEOUT_REFRESH_BENCHMARKS: int(1, 86_400).default(300).describe('deadline of one refresh_benchmarks attempt, in seconds'),
  JOB_TIMEOUT_HEALTH_CHECK: int(1, 86_400).default(30).describe('deadline of one health_check attempt, in seconds'),
  JOB_TIMEOUT_BACKUP_DATA: int(1, 86_400).default(1800).describe('deadline of one backup_data attempt (the snapshot streamed into the blob store), in seconds'),
  TASK_RUN_ID: optionalText.describe('the scheduled run a `task` belongs to (the CronJob sets its Job name): its queued job id derives from it, so a retried pod attaches to the same job'),
  SCHEDULER_ENABLED: bool.default(false).describe('the worker registers the maintenance schedules itself (npm start sets it; the chart uses CronJobs)'),

  DASHBOARD_PORT: int(1, 65535).default(5555).describe('queue dashboard port'),
  DASHBOARD_USERNAME: optionalText.describe('dashboard basic-auth user; the dashboard refuses to start without it'),
  DASHBOARD_PASSWORD: optionalText.describe('dashboard basic-auth password; the dashboard refuses to start without it'),
  DASHBOARD_READ_ONLY: bool.default(true).describe('true: the dashboard only shows jobs; false allows retry, add, duplicate, clean and obliterate (an explicit choice)'),
  DASHBOARD_LOGIN_MAX_FAILURES: int(1, 10_000).default(10).describe('refused dashboard logins per client IP and window before 429 with Retry-After'),
  DASHBOARD_LOGIN_WINDOW_MS: int(1000, 86_400_000).default(900_000).describe('window of DASHBOARD_LOGIN_MAX_FAILURES'),
  DASHBOARD_BASE_PATH: z
    .string()
    .regex(/^(\/[A-Za-z0-9._~-]+)*\/?$/, 'a URL path such as /queues')
    .default('/')
    .transform((v) => (v.length > 1 ? v.replace(/\/$/, '') : '/')).describe('sub-path when served behind a reverse proxy'),

  BLOB_BACKEND: z.enum(['filesystem', 's3']).default('filesystem').describe('where report artifacts, uploads and backups live: filesystem (one machine or a shared volume) or s3'),
  BLOB_FS_DIR: z.string().min(1).default('.data/blobs').describe('directory of the filesystem blob store (every API and worker process must see the same one)'),
  S3_BUCKET: optionalText.describe('bucket of the s3 blob store (required with BLOB_BACKEND=s3); credentials come from the standard AWS_* variables, IRSA or Workload Identity'),
  S3_REGION: z.string().min(1).default('us-east-1').describe('region of the s3 blob store'),
  S3_ENDPOINT: z.url({ protocol: /^https?$/ }).optional().describe('S3-compatible endpoint URL (MinIO, Ceph RGW, GCS interoperability); empty for AWS S3'),
  S3_PREFIX: z.string().regex(/^([A-Za-z0-9._-]+\/)*[A-Za-z0-9._-]*$/, 'a key prefix such as pca/prod').default('').describe('object keys start with this prefix, so several installs share a bucket'),
  S3_FORCE_PATH_STYLE: bool.default(false).describe('path-style S3 URLs (MinIO, Ceph and most self-hosted S3 need it)'),
  REPORT_DOWNLOAD_MODE: z.enum(['stream', 'redirect']).default('stream').describe('GET /api/v1/reports/{id}: stream through the API, or redirect to a presigned URL (s3 only)'),
  BACKUP_KEEP_DAILY: int(1, 366).default(7).describe('backup_data keeps the newest backup of each of this many most recent days'),
  BACKUP_KEEP_WEEKLY: int(0, 520).default(4).describe('…and of each of this many most recent ISO weeks'),
  REPORT_PRESIGN_SECONDS: int(10, 7 * 86_400).default(300).describe('lifetime of a presigned download URL (REPORT_DOWNLOAD_MODE=redirect)'),
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
  const redisIssue = redisTopologyIssue(cfg);
  if (redisIssue) throw new ConfigError([redisIssue]);
  if (cfg.JWT_SECRET && cfg.JWT_PUBLIC_KEY) {
    throw new ConfigError([{ variable: 'JWT_SECRET', message: 'set JWT_SECRET or JWT_PUBLIC_KEY, not both' }]);
  }
  if (cfg.JWT_SECRET && cfg.JWT_SECRET.length < 32) {
    throw new ConfigError([{ variable: 'JWT_SECRET', message: 'must be at least 32 characters' }]);
  }
  if (cfg.BLOB_BACKEND === 's3' && !cfg.S3_BUCKET) {
    throw new ConfigError([{ variable: 'S3_BUCKET', message: 'required with BLOB_BACKEND=s3' }]);
  }
  if (cfg.REPORT_DOWNLOAD_MODE === 'redirect' && cfg.BLOB_BACKEND !== 's3') {
    throw new ConfigError([{ variable: 'REPORT_DOWNLOAD_MODE', message: 'redirect needs BLOB_BACKEND=s3 (a filesystem store has no URL of its own)' }]);
  }
  return cfg;
}

/** Redis topology combinations the schema cannot express; undefined when the combination works. */
export function redisTopologyIssue(cfg: Config): { variable: string; message: string } | undefined {
  const endpoint = /^[^\s:,]+:\d{1,5}$/;
  for (const name of ['REDIS_SENTINELS', 'REDIS_CLUSTER_NODES'] as const) {
    const bad = cfg[name].find((e) => !endpoint.test(e));
    if (bad !== undefined) return { variable: name, message: `"${bad}" is not host:port` };
  }
  if (cfg.REDIS_SENTINELS.length && cfg.REDIS_CLUSTER_NODES.length) {
    return { variable: 'REDIS_CLUSTER_NODES', message: 'set REDIS_SENTINELS or REDIS_CLUSTER_NODES, not both' };
  }
  if (cfg.REDIS_SENTINELS.length && !cfg.REDIS_SENTINEL_NAME) {
    return { variable: 'REDIS_SENTINEL_NAME', message: 'required with REDIS_SENTINELS (the master set name the sentinels monitor)' };
  }
  if (cfg.REDIS_CLUSTER_NODES.length && !cfg.REDIS_KEY_PREFIX.includes('{')) {
    return {
      variable: 'REDIS_KEY_PREFIX',
      message: `"${cfg.REDIS_KEY_PREFIX}" has no hash tag: on Redis Cluster every key of the project must hash to one slot; use e.g. {${cfg.REDIS_KEY_PREFIX}}`,
    };
  }
  if (cfg.REDIS_CLUSTER_NODES.length && !/^\/?0?$/.test(new URL(cfg.REDIS_URL).pathname)) {
    return { variable: 'REDIS_URL', message: 'Redis Cluster has only database 0' };
  }
  return undefined;
}
