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
  'keda-off-values': {
    worker: { replicaCount: 3, autoscaling: { enabled: false } },
    dashboard: { enabled: false },
  },
  'ingress-netpol-monitor-values': {
    ingress: { enabled: true, className: 'nginx', host: 'pca.example.com', tls: { enabled: true } },
    trustProxyHops: 1,
    networkPolicy: { enabled: true, apiIngressFrom: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ingress-nginx' } } }] },
    serviceMonitor: { enabled: true, labels: { release: 'prometheus' } },
    api: { autoscaling: { enabled: true, minReplicas: 2, maxReplicas: 6 } },
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
