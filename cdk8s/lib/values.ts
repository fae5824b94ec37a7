import { envDefault } from '../../services/src/config/env';
import { WORKER_NODE_OPTIONS } from '../../services/src/config/node-flags';
import { SCHEDULED_JOBS, type ScheduledJobName } from '../../services/src/queues/contract';
import { DEFAULT_SAMPLE_RATIO, DEFAULT_SAMPLER, SUPPORTED_SAMPLERS } from '../../services/src/telemetry/sampler';
import { fromEnv } from './env-values';
import { v, valueRefs, type JsonSchema } from './helm/values-definition';
import { alertsValues, dashboardsValues } from './monitoring/monitoring-values';

const quantity: JsonSchema = { anyOf: [{ type: 'string', pattern: '^[0-9]+(\\.[0-9]+)?(m|k|Ki|M|Mi|G|Gi|T|Ti)?$' }, { type: 'integer', minimum: 0 }] };
const resourceList: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  properties: { cpu: quantity, memory: quantity, 'ephemeral-storage': quantity },
};
const resourcesSchema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  properties: { requests: resourceList, limits: resourceList },
};
const stringMap: JsonSchema = { type: 'object', additionalProperties: { type: 'string' } };
const objectList: JsonSchema = { type: 'array', items: { type: 'object' } };
const anyObject: JsonSchema = { type: 'object' };
/** host:port entries (sentinels, cluster nodes). */
const endpointList: JsonSchema = { type: 'array', items: { type: 'string', pattern: '^[^\\s:,]+:[0-9]{1,5}$' } };
const DNS_LABEL = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$';
/** Gateway API Hostname: a DNS name, optionally with a leading `*.` wildcard label. */
const hostnames: JsonSchema = {
  type: 'array',
  maxItems: 16,
  items: { type: 'string', maxLength: 253, pattern: '^(\\*\\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$' },
};

function resources(cpuReq: string, memReq: string, cpuLim: string, memLim: string) {
  return v.block(
    { requests: { cpu: cpuReq, memory: memReq }, limits: { cpu: cpuLim, memory: memLim } },
    'CPU/memory requests and limits of the container',
    resourcesSchema,
  );
}

/** RFC 1123 DNS name (a Kubernetes object or host name part). */
const DNS_NAME = '^([a-z0-9]([-a-z0-9]*[a-z0-9])?)(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$';
/** A host name as Ingress/HTTPRoute accept it: a DNS name, optionally with a leading `*.` wildcard. */
export const HOST_PATTERN = '^(\\*\\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$';

/** Where and how a component's pods are scheduled, plus their extra labels and annotations. */
function scheduling(what: string) {
  return {
    podAnnotations: v.block({}, `extra annotations on the ${what} pods (a key the chart also sets, such as prometheus.io/scrape, wins over the chart's)`, stringMap),
    podLabels: v.block({}, `extra labels on the ${what} pods (selector labels cannot be overridden)`, stringMap),
    nodeSelector: v.block({}, `node selector of the ${what} pods`, stringMap),
    tolerations: v.block([], `tolerations of the ${what} pods`, objectList),
    affinity: v.block({}, `affinity of the ${what} pods`, anyObject),
    topologySpreadConstraints: v.block([], `topology spread constraints of the ${what} pods (empty: the chart's soft spread over nodes, where it has one)`, objectList),
    priorityClassName: v.str('', `PriorityClass of the ${what} pods`, { pattern: '^([a-z0-9]([-a-z0-9.]*[a-z0-9])?)?$' }),
  };
}

/** What the app-image pods of one component can be given besides the chart's own settings. */
function extras(what: string) {
  return {
    extraEnv: v.block([], `extra env entries of the ${what} container (Kubernetes EnvVar objects; they come last, so they win)`, {
      type: 'array',
      items: { type: 'object', required: ['name'], properties: { name: { type: 'string', minLength: 1 } } },
    }),
    extraEnvFrom: v.block([], `extra envFrom sources of the ${what} container (ConfigMap/Secret refs)`, objectList),
    extraVolumes: v.block([], `extra volumes of the ${what} pods`, objectList),
    extraVolumeMounts: v.block([], `extra volume mounts of the ${what} container`, objectList),
  };
}

/**
 * An image reference: `registry/repository:tag@digest`, each part its own key so one image can be pulled
 * from a mirror or pinned by digest without touching the others. `global.imageRegistry` overrides
 * every registry.
 */
function image(registry: string, repository: string, tag: string, what: string, pullPolicy = 'IfNotPresent', advisories = '') {
  return v.group(`${what} image${advisories}`, {
    registry: v.str(registry, `${what} image registry (empty: Docker Hub); global.imageRegistry overrides it`, { pattern: '^([a-z0-9.-]+(:[0-9]+)?(/[a-z0-9._-]+)*)?$' }),
    repository: v.str(repository, `${what} image repository (may include a registry when registry is empty)`, { minLength: 1, pattern: '^[a-z0-9]([a-z0-9._/:-]*[a-z0-9])?$' }),
    tag: v.str(tag, `${what} image tag${tag === '' ? "; empty means the chart's appVersion" : ''} (never latest)`, {
      pattern: '^([A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?$',
      notEnum: ['latest'],
      ...(tag === '' ? {} : { minLength: 1 }),
    }),
    digest: v.str('', `${what} image digest (sha256:…); when set it pins the image and the tag is informational`, { pattern: '^(sha256:[a-f0-9]{64})?$' }),
    pullPolicy: v.str(pullPolicy, `${what} image pull policy`, { enum: ['Always', 'IfNotPresent', 'Never'] }),
  });
}

/** Five-field cron expression (or a @macro) as Kubernetes CronJob accepts it. */
export const CRON_PATTERN =
  '^(@(yearly|annually|monthly|weekly|daily|midnight|hourly)|([0-9*?/,A-Za-z-]+ ){4}[0-9*?/,A-Za-z-]+)$';

/** IANA zone names CronJob `timeZone` accepts (Node's tz database, plus the UTC aliases). */
export const TIME_ZONES = [...new Set(['UTC', 'Etc/UTC', ...Intl.supportedValuesOf('timeZone')])].sort();

/** Values key of each scheduled job (camelCase so `--set cronJobs.healthCheck.suspend=true` stays simple). */
export const CRON_VALUES_KEY = {
  cleanup_old_reports: 'cleanupOldReports',
  refresh_benchmarks: 'refreshBenchmarks',
  health_check: 'healthCheck',
  backup_data: 'backupData',
} as const satisfies Record<ScheduledJobName, string>;

/** `--timeout` of each scheduled task: how long one CronJob pod waits for its run. */
export const CRON_TIMEOUT_SECONDS: Record<ScheduledJobName, number> = {
  cleanup_old_reports: 600,
  refresh_benchmarks: 600,
  health_check: 60,
  backup_data: 2400,
};

/** Seconds a CronJob pod may need beyond its task's --timeout: image start, connecting, shutdown. */
export const CRON_POD_OVERHEAD_SECONDS = 60;

function cronJob(job: ScheduledJobName) {
  return v.group(`CronJob running the task \`${job}\``, {
    enabled: v.bool(true, `render the ${job} CronJob`),
    schedule: v.str(SCHEDULED_JOBS[job].schedule, 'cron schedule (five fields)', { pattern: CRON_PATTERN }),
    timeZone: v.str('Etc/UTC', 'IANA time zone of the schedule (e.g. Europe/Berlin)', { enum: TIME_ZONES }),
    suspend: v.bool(false, 'suspend future runs'),
    startingDeadlineSeconds: v.int(300, 'seconds after a missed schedule during which the job may still start', { minimum: 1 }),
    timeoutSeconds: v.int(CRON_TIMEOUT_SECONDS[job], 'the task\'s --timeout: one pod gives up after this (counted from its start, connecting included), removes its job if no worker started it, and exits 3', { minimum: 1, maximum: 86400 }),
    backoffLimit: v.int(1, 'pods a failed run may retry with (a retried pod attaches to the job its run already queued); the Job\'s activeDeadlineSeconds is (backoffLimit + 1) × (timeoutSeconds + 60)', { minimum: 0, maximum: 10 }),
    ttlSecondsAfterFinished: v.int(86400, 'seconds finished Jobs are kept', { minimum: 0 }),
    successfulJobsHistoryLimit: v.int(3, 'finished successful Jobs kept', { minimum: 0, maximum: 100 }),
    failedJobsHistoryLimit: v.int(3, 'finished failed Jobs kept', { minimum: 0, maximum: 100 }),
  });
}

/** The embedded Redis pin and the advisories it is past (values.yaml says which). */
export const REDIS_IMAGE_TAG = '8.6.3';
const REDIS_ADVISORIES = ` (${REDIS_IMAGE_TAG} includes the fixes for CVE-2025-21605, CVE-2025-49844 and CVE-2026-23479)`;

/** Where a release publishes the app image (.github/workflows/release.yml pushes exactly this). */
export const APP_IMAGE_REGISTRY = 'ghcr.io';
export const APP_IMAGE_REPOSITORY = 'pca-agent/pca-agent';

export const valuesDefinition = v.group('pca-agent chart values', {
  global: v.block({ imageRegistry: '', imagePullSecrets: [] }, 'values a parent chart shares with its subcharts: imageRegistry overrides every image registry, imagePullSecrets are added to every pod', {
    type: 'object',
    properties: {
      imageRegistry: { type: 'string' },
      imagePullSecrets: { type: 'array', items: { anyOf: [{ type: 'string' }, { type: 'object', required: ['name'], properties: { name: { type: 'string' } } }] } },
    },
  }),
  nameOverride: v.str('', 'replaces the chart name in object names', { pattern: '^([a-z0-9]([-a-z0-9]*[a-z0-9])?)?$', maxLength: 32 }),
  fullnameOverride: v.str('', 'replaces <release>-pca-agent in object names', { pattern: '^([a-z0-9]([-a-z0-9]*[a-z0-9])?)?$', maxLength: 32 }),
  commonLabels: v.block({}, 'labels added to every object', stringMap),
  commonAnnotations: v.block({}, 'annotations added to every object', stringMap),
  image: image(APP_IMAGE_REGISTRY, APP_IMAGE_REPOSITORY, '', 'application', 'IfNotPresent', ' (API, worker, dashboard, tasks, helm test)'),
  imagePullSecrets: v.block([], 'pull secrets for every pod, e.g. [{name: regcred}]', {
    type: 'array',
    items: { type: 'object', additionalProperties: false, required: ['name'], properties: { name: { type: 'string' } } },
  }),
  serviceAccount: v.group('ServiceAccount of the app pods (API, worker, dashboard, CronJobs, helm test); Redis, Collector and Jaeger get their own', {
    create: v.bool(true, 'create the ServiceAccount'),
    name: v.str('', 'name to use; empty means <fullname>, and with create=false the namespace default', { pattern: '^([a-z0-9]([-a-z0-9.]*[a-z0-9])?)?$' }),
    annotations: v.block({}, 'annotations, e.g. eks.amazonaws.com/role-arn (IRSA) or iam.gke.io/gcp-service-account (Workload Identity)', stringMap),
    automountServiceAccountToken: v.bool(false, 'mount an API token into the app pods (the app never calls the Kubernetes API; cloud identity webhooks mount their own tokens)'),
  }),
  redisKeyPrefix: fromEnv('REDIS_KEY_PREFIX'),
  redisCommandTimeoutMs: fromEnv('REDIS_COMMAND_TIMEOUT_MS'),
  logLevel: fromEnv('LOG_LEVEL'),
  rateLimit: v.group('API rate limiting (per client IP, shared by every API pod through Redis)', {
    perMinute: fromEnv('RATE_LIMIT_PER_MINUTE'),
    windowMs: fromEnv('RATE_LIMIT_WINDOW_MS'),
    failOpen: fromEnv('RATE_LIMIT_FAIL_OPEN'),
  }),
  trustProxyHops: v.autoInt('auto', 'reverse proxies in front of the API whose X-Forwarded-For is trusted; auto: 1 when the chart renders an Ingress or HTTPRoute, else 0; a number wins (0 behind a proxy puts every client in one rate-limit bucket)', { minimum: 0, maximum: 10 }),
  auth: v.group('API authentication', {
    existingSecret: v.str('', 'Secret with keys API_KEYS, API_KEYS_READ_ONLY and JWT_SECRET (each optional but API_KEYS); when empty the chart creates one (values kept across upgrades)'),
    apiKeys: v.block([], 'API keys with read and write scope; when empty one random key is generated on first install', { type: 'array', items: { type: 'string', minLength: 16, pattern: '^[^,]*$' } }),
    readOnlyApiKeys: v.block([], 'API keys with read scope only', { type: 'array', items: { type: 'string', minLength: 16, pattern: '^[^,]*$' } }),
    jwtPublicKey: fromEnv('JWT_PUBLIC_KEY'),
    jwtIssuer: fromEnv('JWT_ISSUER'),
    jwtAudience: fromEnv('JWT_AUDIENCE'),
  }),
  api: v.group('HTTP API (port 8000)', {
    replicaCount: v.int(2, 'replicas when autoscaling is off', { minimum: 0, maximum: 100 }),
    resources: resources('100m', '128Mi', '1', '512Mi'),
    shutdownDelayMs: fromEnv('SHUTDOWN_DELAY_MS'),
    shutdownTimeoutMs: fromEnv('SHUTDOWN_TIMEOUT_MS'),
    bodyLimitBytes: fromEnv('BODY_LIMIT_BYTES'),
    corsOrigins: fromEnv('CORS_ORIGINS'),
    statsFlushIntervalMs: fromEnv('STATS_FLUSH_INTERVAL_MS'),
    statsWindowMinutes: fromEnv('STATS_WINDOW_MINUTES'),
    http: v.group('HTTP server limits for slow and idle clients', {
      headersTimeoutMs: fromEnv('HTTP_HEADERS_TIMEOUT_MS'),
      requestTimeoutMs: fromEnv('HTTP_REQUEST_TIMEOUT_MS'),
      keepAliveTimeoutMs: fromEnv('HTTP_KEEP_ALIVE_TIMEOUT_MS'),
      maxConnections: fromEnv('HTTP_MAX_CONNECTIONS'),
    }),
    service: v.group('API Service', {
      type: v.str('ClusterIP', 'Service type', { enum: ['ClusterIP', 'NodePort', 'LoadBalancer'] }),
      port: v.int(envDefault('PORT'), 'Service port', { minimum: 1, maximum: 65535 }),
      annotations: v.block({}, 'Service annotations (e.g. for a cloud load balancer)', stringMap),
    }),
    autoscaling: v.group('CPU HorizontalPodAutoscaler for the API', {
      enabled: v.bool(false, 'scale the API on CPU'),
      minReplicas: v.int(2, 'minimum replicas', { minimum: 1, maximum: 100 }),
      maxReplicas: v.int(10, 'maximum replicas', { minimum: 1, maximum: 100 }),
      targetCPUUtilizationPercentage: v.int(70, 'target average CPU utilisation', { minimum: 1, maximum: 100 }),
    }),
    pdb: v.group('PodDisruptionBudget (rendered when replicas > 1 or autoscaling is on)', {
      maxUnavailable: v.int(1, 'API pods a voluntary disruption (node drain) may take down at once; as a maximum it never blocks a drain, whatever the replica count', { minimum: 1 }),
    }),
    ...scheduling('API'),
    ...extras('API'),
  }),
  worker: v.group('BullMQ workers (HTTP /health /ready /metrics on port 9464)', {
    replicaCount: v.int(1, 'replicas when autoscaling is off', { minimum: 0, maximum: 100 }),
    queues: fromEnv('WORKER_QUEUES'),
    concurrency: fromEnv('WORKER_CONCURRENCY'),
    queueConcurrency: v.group('per-queue limits inside worker.concurrency (they must add up to no more than it; reports null: what the others leave)', {
      reports: fromEnv('WORKER_CONCURRENCY_REPORTS'),
      uploads: fromEnv('WORKER_CONCURRENCY_UPLOADS'),
      maintenance: fromEnv('WORKER_CONCURRENCY_MAINTENANCE'),
    }),
    shutdownTimeoutMs: fromEnv('WORKER_SHUTDOWN_TIMEOUT_MS'),
    lockDurationMs: fromEnv('WORKER_LOCK_DURATION_MS'),
    stalledIntervalMs: fromEnv('WORKER_STALLED_INTERVAL_MS'),
    maxStalledCount: fromEnv('WORKER_MAX_STALLED_COUNT'),
    // The request covers an upload's peak under the nodeOptions heap cap (about 210 MB); the limit leaves
    // room above the 384 MB old space for the young generation (3 × 32 MB), code and buffers.
    resources: resources('100m', '256Mi', '1', '1Gi'),
    nodeOptions: v.str(WORKER_NODE_OPTIONS, 'NODE_OPTIONS of the worker container: the V8 heap cap that keeps an import\'s peak memory flat (without it V8 lets garbage grow to hundreds of MB); keep resources.limits.memory well above max-old-space-size; empty: unset, V8\'s own sizing', { pattern: '^[^\\n]*$' }),
    autoscaling: v.group('queue-depth autoscaling: KEDA ScaledObject when the cluster has KEDA, else a CPU HPA', {
      enabled: v.bool(true, 'autoscale the workers'),
      minReplicaCount: v.int(0, 'minimum replicas (0 allowed with KEDA; the CPU HPA uses at least 1)', { minimum: 0, maximum: 100 }),
      maxReplicaCount: v.int(10, 'maximum replicas', { minimum: 1, maximum: 100 }),
      listLength: v.int(10, 'waiting jobs per replica, per queue (KEDA listLength of the wait lists; running jobs count per the queue\'s share of worker.concurrency)', { minimum: 1 }),
      activationListLength: v.int(0, 'waiting jobs above which KEDA scales from zero', { minimum: 0 }),
      pollingInterval: v.int(15, 'seconds between KEDA queue checks', { minimum: 1 }),
      cooldownPeriod: v.int(300, 'seconds after the last active trigger before scaling to zero', { minimum: 0 }),
      targetCPUUtilizationPercentage: v.int(70, 'CPU target of the fallback HPA (cluster without KEDA)', { minimum: 1, maximum: 100 }),
    }),
    ...scheduling('worker'),
    ...extras('worker'),
  }),
  jobs: v.group('job retries (every queue) and deadlines (per job)', {
    attempts: fromEnv('JOB_ATTEMPTS'),
    backoffMs: fromEnv('JOB_BACKOFF_MS'),
    timeoutSeconds: v.group('deadline of one attempt per job, in seconds: past it the attempt is aborted and fails "timed out after N s", then retries like any failure (jobs.attempts)', {
      generateCampaignReport: fromEnv('JOB_TIMEOUT_GENERATE_CAMPAIGN_REPORT'),
      generatePdfReport: fromEnv('JOB_TIMEOUT_GENERATE_PDF_REPORT'),
      generateExcelReport: fromEnv('JOB_TIMEOUT_GENERATE_EXCEL_REPORT'),
      processBulkUpload: fromEnv('JOB_TIMEOUT_PROCESS_BULK_UPLOAD'),
      cleanupOldReports: fromEnv('JOB_TIMEOUT_CLEANUP_OLD_REPORTS'),
      refreshBenchmarks: fromEnv('JOB_TIMEOUT_REFRESH_BENCHMARKS'),
      healthCheck: fromEnv('JOB_TIMEOUT_HEALTH_CHECK'),
      backupData: fromEnv('JOB_TIMEOUT_BACKUP_DATA'),
    }),
  }),
  reports: v.group('report artifacts', {
    retentionDays: fromEnv('REPORT_RETENTION_DAYS'),
    maxBytes: fromEnv('REPORT_MAX_BYTES'),
    benchmarkWindowDays: fromEnv('BENCHMARK_WINDOW_DAYS'),
  }),
  uploads: v.group('bulk CSV/XLSX uploads', {
    maxBytes: fromEnv('UPLOAD_MAX_BYTES'),
    maxUncompressedBytes: fromEnv('UPLOAD_MAX_UNCOMPRESSED_BYTES'),
    ttlSeconds: fromEnv('UPLOAD_TTL_SECONDS'),
  }),
  backups: v.group('backup_data retention (snapshots of the Redis data in the artifacts blob store under backups/)', {
    keepDaily: fromEnv('BACKUP_KEEP_DAILY'),
    keepWeekly: fromEnv('BACKUP_KEEP_WEEKLY'),
  }),
  artifacts: v.group('the blob store of report artifacts, uploads and backups (file bytes never go to the queue Redis)', {
    backend: fromEnv('BLOB_BACKEND', {
      description: 'filesystem: a PVC shared by the API, workers and CronJobs (works on a one-node cluster such as kind; several nodes need accessMode ReadWriteMany or s3); s3: any S3-compatible bucket',
    }),
    downloadMode: fromEnv('REPORT_DOWNLOAD_MODE'),
    presignSeconds: fromEnv('REPORT_PRESIGN_SECONDS'),
    filesystem: v.group('filesystem backend: one PersistentVolumeClaim every app pod mounts at /data/blobs', {
      existingClaim: v.str('', 'use this PVC instead of creating one', { pattern: '^([a-z0-9]([-a-z0-9.]*[a-z0-9])?)?$' }),
      accessMode: v.str('ReadWriteOnce', 'access mode of the PVC: ReadWriteOnce works when every app pod runs on one node (kind, a single-node cluster); pods on several nodes need ReadWriteMany (NFS, EFS, Filestore, CephFS) or artifacts.backend=s3', {
        enum: ['ReadWriteOnce', 'ReadWriteMany', 'ReadWriteOncePod'],
      }),
      size: v.str('10Gi', 'PVC size: reports.maxBytes × reports kept for reports.retentionDays, uploads in flight, and the backups kept', { pattern: '^[0-9]+(Mi|Gi|Ti)$' }),
      storageClass: v.str('', 'StorageClass; empty uses the cluster default'),
    }),
    s3: v.group('s3 backend (AWS S3, GCS interoperability, Ceph RGW, MinIO, …)', {
      endpoint: fromEnv('S3_ENDPOINT'),
      region: fromEnv('S3_REGION'),
      bucket: fromEnv('S3_BUCKET'),
      prefix: fromEnv('S3_PREFIX'),
      pathStyle: fromEnv('S3_FORCE_PATH_STYLE'),
      existingSecret: v.str('', 'Secret with keys AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY; empty sets no keys, so the AWS SDK uses IRSA / Workload Identity (annotate serviceAccount) or the node role', {
        pattern: '^([a-z0-9]([-a-z0-9.]*[a-z0-9])?)?$',
      }),
    }),
  }),
  healthCheck: v.group('thresholds of the health_check task and /api/v1/system/health', {
    maxRedisLatencyMs: fromEnv('HEALTH_MAX_REDIS_LATENCY_MS'),
    maxBacklog: fromEnv('HEALTH_MAX_BACKLOG'),
    maxOldestWaitingSeconds: fromEnv('HEALTH_MAX_OLDEST_WAITING_SECONDS'),
    maxFailedLastHour: fromEnv('HEALTH_MAX_FAILED_LAST_HOUR'),
    minWorkers: fromEnv('HEALTH_MIN_WORKERS'),
    maxRedisMemoryPercent: fromEnv('HEALTH_MAX_REDIS_MEMORY_PERCENT'),
  }),
  cronJobs: v.group('scheduled tasks, each a CronJob running the task entry point', {
    [CRON_VALUES_KEY.cleanup_old_reports]: cronJob('cleanup_old_reports'),
    [CRON_VALUES_KEY.refresh_benchmarks]: cronJob('refresh_benchmarks'),
    [CRON_VALUES_KEY.health_check]: cronJob('health_check'),
    [CRON_VALUES_KEY.backup_data]: cronJob('backup_data'),
    resources: resources('50m', '128Mi', '500m', '512Mi'),
    ...scheduling('CronJob'),
    ...extras('CronJob'),
  }),
  dashboard: v.group('BullMQ queue dashboard (port 5555)', {
    enabled: v.bool(true, 'deploy the dashboard'),
    replicaCount: v.int(1, 'replicas', { minimum: 0, maximum: 10 }),
    username: v.str('admin', 'basic-auth user name', { minLength: 1 }),
    password: v.str('', 'basic-auth password; empty means generated on first install and kept across upgrades'),
    existingSecret: v.str('', 'Secret with keys DASHBOARD_USERNAME and DASHBOARD_PASSWORD instead of the generated one'),
    readOnly: fromEnv('DASHBOARD_READ_ONLY'),
    basePath: fromEnv('DASHBOARD_BASE_PATH'),
    login: v.group('failed-login limit of the dashboard (per client IP, shared through Redis)', {
      maxFailures: fromEnv('DASHBOARD_LOGIN_MAX_FAILURES'),
      windowMs: fromEnv('DASHBOARD_LOGIN_WINDOW_MS'),
    }),
    resources: resources('50m', '128Mi', '500m', '256Mi'),
    service: v.group('dashboard Service', {
      annotations: v.block({}, 'Service annotations', stringMap),
    }),
    ...scheduling('dashboard'),
    ...extras('dashboard'),
  }),
  redis: v.group('embedded Redis (StatefulSet with AOF persistence); disable to use externalRedis', {
    enabled: v.bool(true, 'deploy the embedded Redis'),
    image: image('', 'redis', REDIS_IMAGE_TAG, 'Redis', 'IfNotPresent', REDIS_ADVISORIES),
    password: v.str('', 'Redis password (any characters); empty means generated on first install and kept across upgrades'),
    existingSecret: v.str('', 'Secret with the key redis-password instead of the generated one'),
    maxmemory: v.str('256mb', 'Redis maxmemory: at most 75% of resources.limits.memory (AOF rewrites fork and need headroom); the policy is always noeviction, so a full Redis refuses writes and enqueues. It holds campaigns, job records and metadata only (report and upload bytes live in the artifacts blob store): about 1 KB per campaign plus a few KB per job kept', { pattern: '^[0-9]+(kb|mb|gb)$' }),
    persistence: v.group('PersistentVolumeClaim for /data (AOF)', {
      enabled: v.bool(true, 'use a PVC; false uses an emptyDir (data lost on restart)'),
      size: v.str('2Gi', 'PVC size (AOF and its rewrite: keep ≥ 4 × maxmemory)', { pattern: '^[0-9]+(Mi|Gi|Ti)$' }),
      storageClass: v.str('', 'StorageClass; empty uses the cluster default'),
    }),
    resources: resources('50m', '128Mi', '500m', '384Mi'),
    ...scheduling('Redis'),
  }),
  externalRedis: v.group('Redis outside the chart, used when redis.enabled is false', {
    url: v.str('', 'redis:// or rediss:// URL: user, password (percent-encoded as in any URL), host, port (default 6379), database index; rediss:// turns TLS on for the app and KEDA', { pattern: '^(rediss?://[^\\s]+)?$' }),
    existingSecret: v.str('', 'Secret instead of url, with keys redis-url (redis[s]://host:port/db), redis-address (host:port, for KEDA), redis-username and redis-password (plain, may be empty)'),
    database: v.int(0, 'database index KEDA reads with existingSecret (with url it comes from the URL)', { minimum: 0, maximum: 15 }),
    tls: v.bool(false, 'KEDA connects with TLS, with existingSecret (with url, rediss:// decides)'),
    caFile: fromEnv('REDIS_TLS_CA_FILE', { description: 'path of a PEM CA bundle you mount yourself with extraVolumes/extraVolumeMounts (turns TLS on for the app and KEDA, but KEDA cannot read the file: it trusts only the system CAs then; prefer caSecret); empty: the system CAs' }),
    caSecret: v.group('Secret holding the PEM CA that signs the Redis certificates (a private CA, as cert-manager or bitnami/redis tls.autoGenerated make): every app pod mounts it as REDIS_TLS_CA_FILE and KEDA\'s trigger gets it as its ca; TLS on for both', {
      name: v.str('', 'name of the Secret (in the release namespace); empty: no CA from a Secret (set caSecret or caFile, not both)', { pattern: DNS_NAME.replace('^', '^$|^') }),
      key: v.str('ca.crt', 'key of the PEM CA in that Secret (cert-manager and bitnami/redis: ca.crt)', { pattern: '^[-._a-zA-Z0-9]+$' }),
    }),
    sentinel: v.group('Redis Sentinel (bitnami/redis with sentinel.enabled, self-managed): the app and KEDA ask the sentinels for the primary and follow failovers; url/existingSecret still give the credentials, database and TLS (their host is not dialled)', {
      enabled: v.bool(false, 'connect through the sentinels (KEDA uses its redis-sentinel trigger)'),
      hosts: v.block([], 'host:port of every sentinel', endpointList),
      masterSet: v.str('mymaster', 'master set name the sentinels monitor', { pattern: '^[A-Za-z0-9_.-]+$' }),
      existingSecret: v.str('', 'Secret with the sentinels\' own password under passwordKey; empty: the sentinels ask for none'),
      passwordKey: v.str('sentinel-password', 'key of the sentinel password in sentinel.existingSecret (bitnami/redis: redis-password)'),
      username: v.str('', 'ACL user of the sentinels themselves (sentinels with user ACLs); empty: the sentinels\' default user', { pattern: '^[^\\s]*$' }),
    }),
    cluster: v.group('Redis Cluster or a managed service in cluster mode (ElastiCache, Memorystore, Azure Cache): redisKeyPrefix must carry a hash tag such as {pca}; url/existingSecret still give the credentials and TLS', {
      enabled: v.bool(false, 'connect as a Redis Cluster client (KEDA uses its redis-cluster trigger)'),
      nodes: v.block([], 'host:port of cluster nodes to discover the cluster from (a configuration endpoint is enough)', endpointList),
    }),
  }),
  tracing: v.group('Trace sampling in every service (the standard OTEL_TRACES_SAMPLER and OTEL_TRACES_SAMPLER_ARG)', {
    sampler: v.str(DEFAULT_SAMPLER, 'sampler of new traces; the parentbased_ ones follow an incoming traceparent, so a request sent with a sampled one (helm test does) is traced end to end', {
      enum: [...SUPPORTED_SAMPLERS],
    }),
    sampleRatio: v.num(DEFAULT_SAMPLE_RATIO, 'share of new traces the traceidratio samplers keep; a failed job or 5xx outside a sampled trace still sends one span', { minimum: 0, maximum: 1 }),
  }),
  otelCollector: v.group('OpenTelemetry Collector every service sends traces to', {
    enabled: v.bool(true, 'deploy the Collector (false: services export to otelCollector.exporter.endpoint directly, or not at all)'),
    image: image('', 'otel/opentelemetry-collector-contrib', '0.120.0', 'Collector'),
    exporter: v.group('where the Collector sends traces', {
      endpoint: v.str('', 'OTLP gRPC host:port; empty means the chart\'s Jaeger'),
      insecure: v.bool(true, 'plaintext gRPC to the exporter endpoint'),
    }),
    memoryLimitMiB: v.int(200, 'memory_limiter hard limit in MiB (must stay below resources.limits.memory; checked at install)', { minimum: 16 }),
    resources: resources('50m', '128Mi', '500m', '256Mi'),
    ...scheduling('Collector'),
  }),
  jaeger: v.group('Jaeger v2 (in-memory storage) for viewing traces', {
    enabled: v.bool(true, 'deploy Jaeger'),
    image: image('', 'jaegertracing/jaeger', '2.4.0', 'Jaeger'),
    maxTraces: v.int(50000, 'traces kept in memory before the oldest are dropped', { minimum: 1000 }),
    resources: resources('50m', '256Mi', '500m', '1Gi'),
    ...scheduling('Jaeger'),
  }),
  ingress: v.group('Ingress for the API', {
    enabled: v.bool(false, 'create an Ingress'),
    className: v.str('', 'IngressClass name'),
    annotations: v.block({}, 'Ingress annotations', stringMap),
    host: v.str('pca-agent.local', 'host name (a DNS name, optionally *.wildcard)', { pattern: HOST_PATTERN, maxLength: 253 }),
    path: v.str('/', 'path routed to the API', { pattern: '^/' }),
    tls: v.group('TLS for the host', {
      enabled: v.bool(false, 'serve TLS'),
      secretName: v.str('', 'TLS Secret; empty means <fullname>-api-tls', { pattern: DNS_NAME.replace('^', '^$|^') }),
    }),
  }),
  httpRoute: v.group('Gateway API HTTPRoutes (rendered only when the cluster serves gateway.networking.k8s.io/v1); TLS is set on the Gateway listener', {
    enabled: v.bool(false, 'route the API through a Gateway (needs parentRefs)'),
    annotations: v.block({}, 'annotations on every HTTPRoute of the chart', stringMap),
    parentRefs: v.block([], 'Gateways (and listeners) the routes attach to, e.g. [{name: public, namespace: gateway-system, sectionName: https}]', {
      type: 'array',
      maxItems: 32,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name'],
        properties: {
          name: { type: 'string', minLength: 1, maxLength: 253 },
          namespace: { type: 'string', pattern: DNS_LABEL, maxLength: 63 },
          sectionName: { type: 'string', pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$', maxLength: 253 },
        },
      },
    }),
    hostnames: v.block([], 'host names the API route matches (empty: every host of the listener)', hostnames),
    path: v.str('/', 'PathPrefix routed to the API; the API serves /api/..., so another prefix needs a URLRewrite in filters', { pattern: '^/' }),
    matches: v.block([], 'extra HTTPRouteMatch entries of the API rule (any one of them, or the path prefix, selects the rule)', objectList),
    filters: v.block([], 'HTTPRouteFilter list of the API rule, e.g. [{type: URLRewrite, urlRewrite: {path: {type: ReplacePrefixMatch, replacePrefixMatch: /}}}]', objectList),
    dashboard: v.group('HTTPRoute to the queue dashboard (served under dashboard.basePath)', {
      enabled: v.bool(false, 'route dashboard.basePath to the dashboard'),
      hostnames: v.block([], 'host names of the dashboard route (empty: httpRoute.hostnames)', hostnames),
    }),
    jaeger: v.group('HTTPRoute to the Jaeger UI, which has no login: attach it to an internal Gateway only', {
      enabled: v.bool(false, 'route the Jaeger UI'),
      hostnames: v.block([], 'host names of the Jaeger UI route (required: the UI is served at /)', hostnames),
    }),
  }),
  networkPolicy: v.group('NetworkPolicies: deny all, then allow exactly the flows pca-agent needs', {
    enabled: v.bool(false, 'create the NetworkPolicies'),
    apiIngressFrom: v.block([], 'peers allowed to reach the API, dashboard and Jaeger UI: your Gateway\'s (or Ingress controller\'s) proxy pods, e.g. [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: envoy-gateway-system}}}] (empty: any source)', objectList),
    kedaNamespace: v.str('keda', 'namespace of the KEDA operator, allowed to read Redis queue lengths'),
    metricsFrom: v.block([], 'Prometheus peers allowed to scrape /metrics (worker :9464, the Collector :8888, and the API :8000 that apiIngressFrom otherwise closes); empty: any source on the worker and Collector ports, and required with apiIngressFrom when the ServiceMonitor renders', objectList),
    externalRedisPort: v.int(6379, 'TCP port egress is allowed to when externalRedis is used', { minimum: 1, maximum: 65535 }),
    externalRedisSentinelPort: v.int(26379, 'TCP port egress is allowed to as well when externalRedis.sentinel is enabled', { minimum: 1, maximum: 65535 }),
    exporterPort: v.int(4317, 'TCP port the Collector may reach when exporting outside the chart', { minimum: 1, maximum: 65535 }),
    s3Port: v.int(443, 'TCP port the API, workers and CronJobs (and the helm test, with artifacts.downloadMode redirect) may reach with artifacts.backend s3', { minimum: 1, maximum: 65535 }),
  }),
  serviceMonitor: v.group('Prometheus Operator ServiceMonitors for the API, worker and Collector metrics (when the CRD exists); scrape annotations otherwise', {
    enabled: v.bool(true, 'create the ServiceMonitors when monitoring.coreos.com/v1 is served (the alerts and dashboards need them: they select their job labels)'),
    interval: v.str('30s', 'scrape interval', { pattern: '^[0-9]+(ms|s|m)$' }),
    labels: v.block({}, 'extra labels the Prometheus selector needs', stringMap),
  }),
  alerts: alertsValues,
  dashboards: dashboardsValues,
});

export type PcaValues = typeof valuesDefinition;
export const values = valueRefs(valuesDefinition);
export type ValueRefs = typeof values;
