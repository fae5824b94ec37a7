import { envDefault, LOG_LEVELS } from '../../services/src/config/env';
import { SCHEDULED_JOBS, type ScheduledJobName } from '../../services/src/queues/contract';
import { v, valueRefs, type JsonSchema } from './helm/values-definition';

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

function scheduling(what: string) {
  return {
    podAnnotations: v.block({}, `extra annotations on the ${what} pods`, stringMap),
    nodeSelector: v.block({}, `node selector of the ${what} pods`, stringMap),
    tolerations: v.block([], `tolerations of the ${what} pods`, objectList),
    affinity: v.block({}, `affinity of the ${what} pods`, anyObject),
  };
}

function image(repository: string, tag: string, what: string) {
  return v.group(`${what} image (pinned tag, never latest)`, {
    repository: v.str(repository, `${what} image repository`, { minLength: 1 }),
    tag: v.str(tag, `${what} image tag`, { pattern: '^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$', notEnum: ['latest'] }),
  });
}

/** Five-field cron expression (or a @macro) as Kubernetes CronJob accepts it. */
export const CRON_PATTERN =
  '^(@(yearly|annually|monthly|weekly|daily|midnight|hourly)|([0-9*?/,A-Za-z-]+ ){4}[0-9*?/,A-Za-z-]+)$';

/** Values key of each scheduled job (camelCase so `--set cronJobs.healthCheck.suspend=true` stays simple). */
export const CRON_VALUES_KEY = {
  cleanup_old_reports: 'cleanupOldReports',
  refresh_benchmarks: 'refreshBenchmarks',
  health_check: 'healthCheck',
} as const satisfies Record<ScheduledJobName, string>;

function cronJob(job: ScheduledJobName) {
  return v.group(`CronJob running the task \`${job}\``, {
    enabled: v.bool(true, `render the ${job} CronJob`),
    schedule: v.str(SCHEDULED_JOBS[job].schedule, 'cron schedule (five fields)', { pattern: CRON_PATTERN }),
    timeZone: v.str('Etc/UTC', 'IANA time zone of the schedule', { minLength: 1 }),
    suspend: v.bool(false, 'suspend future runs'),
    startingDeadlineSeconds: v.int(300, 'seconds after a missed schedule during which the job may still start', { minimum: 1 }),
    backoffLimit: v.int(1, 'retries of a failed run', { minimum: 0, maximum: 10 }),
    activeDeadlineSeconds: v.int(900, 'seconds a run may take before it is killed', { minimum: 1 }),
    ttlSecondsAfterFinished: v.int(86400, 'seconds finished Jobs are kept', { minimum: 0 }),
    successfulJobsHistoryLimit: v.int(3, 'finished successful Jobs kept', { minimum: 0, maximum: 100 }),
    failedJobsHistoryLimit: v.int(3, 'finished failed Jobs kept', { minimum: 0, maximum: 100 }),
  });
}

export const valuesDefinition = v.group('pca-agent chart values', {
  nameOverride: v.str('', 'replaces the chart name in object names', { pattern: '^([a-z0-9]([-a-z0-9]*[a-z0-9])?)?$', maxLength: 32 }),
  fullnameOverride: v.str('', 'replaces <release>-pca-agent in object names', { pattern: '^([a-z0-9]([-a-z0-9]*[a-z0-9])?)?$', maxLength: 32 }),
  commonLabels: v.block({}, 'labels added to every object', stringMap),
  image: v.group('application image (API, worker, dashboard, tasks, helm test)', {
    repository: v.str('ghcr.io/pca-agent/pca-agent', 'image repository', { minLength: 1 }),
    tag: v.str('', "image tag; empty means the chart's appVersion", { pattern: '^([A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?$', notEnum: ['latest'] }),
    pullPolicy: v.str('IfNotPresent', 'image pull policy of every container', { enum: ['Always', 'IfNotPresent', 'Never'] }),
  }),
  imagePullSecrets: v.block([], 'pull secrets for every pod, e.g. [{name: regcred}]', {
    type: 'array',
    items: { type: 'object', additionalProperties: false, required: ['name'], properties: { name: { type: 'string' } } },
  }),
  redisKeyPrefix: v.str(envDefault('REDIS_KEY_PREFIX'), 'prefix of every Redis key (BullMQ queues live under <prefix>:bull)', { pattern: '^[A-Za-z0-9_.-]{1,64}$' }),
  logLevel: v.str(envDefault('LOG_LEVEL'), 'log level of every service', { enum: [...LOG_LEVELS] }),
  rateLimit: v.group('API rate limiting', {
    perMinute: v.int(envDefault('RATE_LIMIT_PER_MINUTE'), 'requests per client per minute', { minimum: 1, maximum: 1000000 }),
  }),
  trustProxyHops: v.autoInt('auto', 'reverse proxies in front of the API whose X-Forwarded-For is trusted; auto: 1 when the chart renders an Ingress or HTTPRoute, else 0; a number wins (0 behind a proxy puts every client in one rate-limit bucket)', { minimum: 0, maximum: 10 }),
  auth: v.group('API authentication', {
    existingSecret: v.str('', 'Secret with keys API_KEYS and JWT_SECRET; when empty the chart creates one (values kept across upgrades)'),
    apiKeys: v.block([], 'API keys; when empty one random key is generated on first install', { type: 'array', items: { type: 'string', minLength: 16 } }),
    jwtIssuer: v.str('', 'expected JWT issuer (empty: not checked)'),
    jwtAudience: v.str('', 'expected JWT audience (empty: not checked)'),
  }),
  api: v.group('HTTP API (port 8000)', {
    replicaCount: v.int(2, 'replicas when autoscaling is off', { minimum: 0, maximum: 100 }),
    resources: resources('100m', '128Mi', '1', '512Mi'),
    shutdownDelayMs: v.int(envDefault('SHUTDOWN_DELAY_MS'), 'ms the API keeps serving after SIGTERM while endpoints drain (SHUTDOWN_DELAY_MS)', { minimum: 0, maximum: 120000 }),
    shutdownTimeoutMs: v.int(envDefault('SHUTDOWN_TIMEOUT_MS'), 'ms in-flight requests get to finish after the delay (SHUTDOWN_TIMEOUT_MS)', { minimum: 1000, maximum: 300000 }),
    service: v.group('API Service', {
      type: v.str('ClusterIP', 'Service type', { enum: ['ClusterIP', 'NodePort', 'LoadBalancer'] }),
      port: v.int(envDefault('PORT'), 'Service port', { minimum: 1, maximum: 65535 }),
    }),
    autoscaling: v.group('CPU HorizontalPodAutoscaler for the API', {
      enabled: v.bool(false, 'scale the API on CPU'),
      minReplicas: v.int(2, 'minimum replicas', { minimum: 1, maximum: 100 }),
      maxReplicas: v.int(10, 'maximum replicas', { minimum: 1, maximum: 100 }),
      targetCPUUtilizationPercentage: v.int(70, 'target average CPU utilisation', { minimum: 1, maximum: 100 }),
    }),
    pdb: v.group('PodDisruptionBudget (rendered when replicas > 1 or autoscaling is on)', {
      minAvailable: v.int(1, 'pods that must stay available during voluntary disruptions', { minimum: 0 }),
    }),
    ...scheduling('API'),
  }),
  worker: v.group('BullMQ workers (HTTP /health /ready /metrics on port 9464)', {
    replicaCount: v.int(1, 'replicas when autoscaling is off', { minimum: 0, maximum: 100 }),
    concurrency: v.int(envDefault('WORKER_CONCURRENCY'), 'jobs processed in parallel per worker pod', { minimum: 1, maximum: 256 }),
    shutdownTimeoutMs: v.int(envDefault('WORKER_SHUTDOWN_TIMEOUT_MS'), 'ms running jobs get to finish after SIGTERM', { minimum: 1000, maximum: 600000 }),
    resources: resources('100m', '192Mi', '1', '1Gi'),
    autoscaling: v.group('queue-depth autoscaling: KEDA ScaledObject when the cluster has KEDA, else a CPU HPA', {
      enabled: v.bool(true, 'autoscale the workers'),
      minReplicaCount: v.int(0, 'minimum replicas (0 allowed with KEDA; the CPU HPA uses at least 1)', { minimum: 0, maximum: 100 }),
      maxReplicaCount: v.int(10, 'maximum replicas', { minimum: 1, maximum: 100 }),
      listLength: v.int(10, 'jobs per replica, per queue, waiting or running (KEDA listLength)', { minimum: 1 }),
      activationListLength: v.int(0, 'waiting jobs above which KEDA scales from zero', { minimum: 0 }),
      pollingInterval: v.int(15, 'seconds between KEDA queue checks', { minimum: 1 }),
      cooldownPeriod: v.int(300, 'seconds after the last active trigger before scaling to zero', { minimum: 0 }),
      targetCPUUtilizationPercentage: v.int(70, 'CPU target of the fallback HPA (cluster without KEDA)', { minimum: 1, maximum: 100 }),
    }),
    ...scheduling('worker'),
  }),
  cronJobs: v.group('scheduled tasks, each a CronJob running the task entry point', {
    [CRON_VALUES_KEY.cleanup_old_reports]: cronJob('cleanup_old_reports'),
    [CRON_VALUES_KEY.refresh_benchmarks]: cronJob('refresh_benchmarks'),
    [CRON_VALUES_KEY.health_check]: cronJob('health_check'),
    resources: resources('50m', '128Mi', '500m', '512Mi'),
  }),
  dashboard: v.group('BullMQ queue dashboard (port 5555)', {
    enabled: v.bool(true, 'deploy the dashboard'),
    replicaCount: v.int(1, 'replicas', { minimum: 0, maximum: 10 }),
    username: v.str('admin', 'basic-auth user name', { minLength: 1 }),
    password: v.str('', 'basic-auth password; empty means generated on first install and kept across upgrades'),
    existingSecret: v.str('', 'Secret with keys DASHBOARD_USERNAME and DASHBOARD_PASSWORD instead of the generated one'),
    readOnly: v.bool(false, 'hide retry/remove actions'),
    basePath: v.str('/', 'URL path the dashboard is served under', { pattern: '^(/[A-Za-z0-9._~-]+)*/?$' }),
    resources: resources('50m', '128Mi', '500m', '256Mi'),
    ...scheduling('dashboard'),
  }),
  redis: v.group('embedded Redis (StatefulSet with AOF persistence); disable to use externalRedis', {
    enabled: v.bool(true, 'deploy the embedded Redis'),
    image: image('redis', '7.4.2', 'Redis'),
    password: v.str('', 'Redis password; empty means generated on first install and kept across upgrades', { pattern: '^[A-Za-z0-9._~-]*$' }),
    existingSecret: v.str('', 'Secret with the key redis-password instead of the generated one'),
    maxmemory: v.str('256mb', 'Redis maxmemory (policy is always noeviction: BullMQ must not lose keys)', { pattern: '^[0-9]+(kb|mb|gb)?$' }),
    persistence: v.group('PersistentVolumeClaim for /data (AOF)', {
      enabled: v.bool(true, 'use a PVC; false uses an emptyDir (data lost on restart)'),
      size: v.str('1Gi', 'PVC size', { pattern: '^[0-9]+(Mi|Gi|Ti)$' }),
      storageClass: v.str('', 'StorageClass; empty uses the cluster default'),
    }),
    resources: resources('50m', '128Mi', '500m', '384Mi'),
    ...scheduling('Redis'),
  }),
  externalRedis: v.group('Redis outside the chart, used when redis.enabled is false', {
    url: v.str('', 'redis:// or rediss:// URL including the password', { pattern: '^(rediss?://.+)?$' }),
    existingSecret: v.str('', 'Secret with keys redis-url and, for KEDA, redis-address (host:port) and redis-password'),
    tls: v.bool(false, 'KEDA connects with TLS (set for rediss:// URLs)'),
  }),
  otelCollector: v.group('OpenTelemetry Collector every service sends traces to', {
    enabled: v.bool(true, 'deploy the Collector (false: services export to otelCollector.exporter.endpoint directly, or not at all)'),
    image: image('otel/opentelemetry-collector-contrib', '0.120.0', 'Collector'),
    exporter: v.group('where the Collector sends traces', {
      endpoint: v.str('', 'OTLP gRPC host:port; empty means the chart\'s Jaeger'),
      insecure: v.bool(true, 'plaintext gRPC to the exporter endpoint'),
    }),
    memoryLimitMiB: v.int(200, 'memory_limiter hard limit in MiB (keep below the container limit)', { minimum: 16 }),
    resources: resources('50m', '128Mi', '500m', '256Mi'),
    ...scheduling('Collector'),
  }),
  jaeger: v.group('Jaeger v2 (in-memory storage) for viewing traces', {
    enabled: v.bool(true, 'deploy Jaeger'),
    image: image('jaegertracing/jaeger', '2.4.0', 'Jaeger'),
    maxTraces: v.int(50000, 'traces kept in memory before the oldest are dropped', { minimum: 1000 }),
    resources: resources('50m', '256Mi', '500m', '1Gi'),
    ...scheduling('Jaeger'),
  }),
  ingress: v.group('Ingress for the API', {
    enabled: v.bool(false, 'create an Ingress'),
    className: v.str('', 'IngressClass name'),
    annotations: v.block({}, 'Ingress annotations', stringMap),
    host: v.str('pca-agent.local', 'host name', { minLength: 1 }),
    path: v.str('/', 'path routed to the API', { pattern: '^/' }),
    tls: v.group('TLS for the host', {
      enabled: v.bool(false, 'serve TLS'),
      secretName: v.str('', 'TLS Secret; empty means <fullname>-api-tls'),
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
    metricsFrom: v.block([], 'Prometheus peers allowed to scrape /metrics (worker :9464, and the API :8000 that apiIngressFrom otherwise closes); empty: any source on the worker port, and required with apiIngressFrom when the ServiceMonitor renders', objectList),
    externalRedisPort: v.int(6379, 'TCP port egress is allowed to when externalRedis is used', { minimum: 1, maximum: 65535 }),
    exporterPort: v.int(4317, 'TCP port the Collector may reach when exporting outside the chart', { minimum: 1, maximum: 65535 }),
  }),
  serviceMonitor: v.group('Prometheus Operator ServiceMonitor for the worker metrics (when the CRD exists); scrape annotations otherwise', {
    enabled: v.bool(false, 'create the ServiceMonitor when monitoring.coreos.com/v1 is served'),
    interval: v.str('30s', 'scrape interval', { pattern: '^[0-9]+(ms|s|m)$' }),
    labels: v.block({}, 'extra labels the Prometheus selector needs', stringMap),
  }),
});

export type PcaValues = typeof valuesDefinition;
export const values = valueRefs(valuesDefinition);
export type ValueRefs = typeof values;
