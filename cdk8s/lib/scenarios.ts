import type { Json } from './helm/template';

/**
 * Scenario values files written to `charts/pca-agent/ci/`: `helm lint` and the chart tests render
 * each one (chart-testing uses the same folder).
 */
export const SCENARIOS: Record<string, Json> = {
  'external-redis-values': {
    redis: { enabled: false },
    externalRedis: { url: 'redis://:s3cret@redis.example.internal:6379/0' },
    networkPolicy: { enabled: true },
  },
  // bitnami/redis with sentinel.enabled (release "cache"): the app and KEDA follow the sentinels' primary.
  'external-redis-sentinel-values': {
    redis: { enabled: false },
    externalRedis: {
      url: 'redis://:s3cret@cache-redis:6379/0',
      sentinel: { enabled: true, hosts: ['cache-redis-node-0.cache-redis-headless:26379', 'cache-redis-node-1.cache-redis-headless:26379', 'cache-redis-node-2.cache-redis-headless:26379'], masterSet: 'mymaster', existingSecret: 'cache-redis', passwordKey: 'redis-password' },
    },
    networkPolicy: { enabled: true },
  },
  // A managed service in cluster mode over TLS (e.g. an ElastiCache configuration endpoint), with a hash-tagged prefix.
  'external-redis-cluster-values': {
    redis: { enabled: false },
    redisKeyPrefix: '{pca}',
    externalRedis: {
      url: 'rediss://app:s3cret@clustercfg.pca.example.cache.amazonaws.com:6379/0',
      cluster: { enabled: true, nodes: ['pca-0001-001.pca.example.cache.amazonaws.com:6379', 'pca-0002-001.pca.example.cache.amazonaws.com:6379', 'pca-0003-001.pca.example.cache.amazonaws.com:6379'] },
    },
  },
  'keda-off-values': {
    worker: { replicaCount: 3, autoscaling: { enabled: false } },
    dashboard: { enabled: false },
  },
  // The API, dashboard and Jaeger UI behind a Gateway; only that Gateway's proxy pods and Prometheus get in.
  'gateway-netpol-monitor-values': {
    httpRoute: {
      enabled: true,
      annotations: { 'example.com/owner': 'campaign-analytics' },
      parentRefs: [{ name: 'public', namespace: 'gateway-system', sectionName: 'https' }],
      hostnames: ['pca.example.com'],
      dashboard: { enabled: true },
      jaeger: { enabled: true, hostnames: ['traces.pca.example.com'] },
    },
    dashboard: { basePath: '/queues' },
    networkPolicy: {
      enabled: true,
      apiIngressFrom: [
        {
          namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'gateway-system' } },
          podSelector: { matchLabels: { 'gateway.networking.k8s.io/gateway-name': 'public' } },
        },
      ],
      metricsFrom: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }],
    },
    serviceMonitor: { enabled: true, labels: { release: 'prometheus' } },
    api: { autoscaling: { enabled: true, minReplicas: 2, maxReplicas: 6 } },
  },
  // The API under a path prefix of a shared host: the prefix is stripped before it reaches the API.
  'gateway-path-prefix-values': {
    httpRoute: {
      enabled: true,
      parentRefs: [{ name: 'shared' }],
      hostnames: ['apps.example.com'],
      path: '/pca',
      matches: [{ path: { type: 'PathPrefix', value: '/pca' }, headers: [{ name: 'X-Canary', value: 'true' }] }],
      filters: [{ type: 'URLRewrite', urlRewrite: { path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/' } } }],
    },
  },
  // Clusters that still route with an Ingress: TLS on the Ingress, a cloud load balancer in front of the controller.
  'ingress-tls-values': {
    ingress: { enabled: true, className: 'public', host: 'pca.example.com', tls: { enabled: true } },
    trustProxyHops: 2,
  },
  // Artifacts, uploads and backups in an S3-compatible bucket with static keys and presigned downloads.
  's3-artifacts-values': {
    artifacts: {
      backend: 's3',
      downloadMode: 'redirect',
      s3: { endpoint: 'http://minio.example.internal:9000', bucket: 'pca-artifacts', prefix: 'prod', pathStyle: true, existingSecret: 'pca-s3-keys' },
    },
  },
  // The filesystem store on a ReadWriteMany claim, so API and workers may run on several nodes.
  'filesystem-rwx-values': {
    artifacts: { backend: 'filesystem', filesystem: { accessMode: 'ReadWriteMany', size: '50Gi', storageClass: 'nfs-client' } },
    api: { replicaCount: 3 },
  },
  'minimal-resources-values': {
    api: { replicaCount: 1, resources: { requests: { cpu: '10m', memory: '64Mi' }, limits: { cpu: '200m', memory: '256Mi' } } },
    worker: { autoscaling: { minReplicaCount: 1, maxReplicaCount: 2 }, resources: { requests: { cpu: '10m', memory: '64Mi' }, limits: { cpu: '200m', memory: '256Mi' } } },
    redis: { maxmemory: '96mb', persistence: { enabled: false }, resources: { requests: { cpu: '10m', memory: '32Mi' }, limits: { cpu: '100m', memory: '128Mi' } } },
    jaeger: { enabled: false },
    otelCollector: { enabled: false },
    cronJobs: { healthCheck: { suspend: true } },
  },
};
