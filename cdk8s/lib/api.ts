import { Construct } from 'constructs';
import { APP_PORTS } from './app-config';
import { appContainer, type AppContext } from './app-container';
import { HelmObject } from './helm/helm-object';
import { when } from './helm/template';
import { metadata, resourceName, resourceNameExpr, selectorLabels } from './names';
import { componentService, httpProbes, podMetadata, securePodSpec } from './pod-spec';

/**
 * The HTTP API: Deployment + Service on 8000, probes on /health and /ready, optional CPU HPA, a
 * PodDisruptionBudget when more than one replica runs, optional Ingress with TLS.
 */
export class Api extends Construct {
  readonly name = resourceName('api');
  readonly serviceName = this.name;
  readonly servicePort: string;

  constructor(scope: Construct, id: string, ctx: AppContext) {
    super(scope, id);
    const v = ctx.values;
    const a = v.api;
    this.servicePort = a.service.port.text;
    const tpl = 'api.yaml';
    componentService(this, 'service', {
      name: this.serviceName,
      component: 'api',
      type: a.service.type,
      annotations: a.service.annotations,
      ports: [{ name: 'http', port: a.service.port.value, targetPort: 'http' }],
      template: tpl,
    });
    new HelmObject(this, 'deployment', {
      kind: 'Deployment',
      metadata: metadata(this.name, 'api'),
      spec: {
        replicas: when(`not ${a.autoscaling.enabled.expr}`, a.replicaCount.value),
        revisionHistoryLimit: 5,
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
        selector: { matchLabels: selectorLabels('api') },
        template: {
          metadata: podMetadata('api', a, {
            checksums: { ...ctx.config.checksums, ...ctx.config.authChecksums, ...ctx.redis.checksums },
            unless: { condition: serviceMonitorOn(v), annotations: scrapeHints(APP_PORTS.api) },
          }),
          spec: securePodSpec({
            serviceAccountName: ctx.serviceAccount.name,
            automountServiceAccountToken: ctx.serviceAccount.automount,
            scheduling: a,
            spreadOverNodes: 'api',
            extraVolumes: a.extraVolumes,
            volumes: [...ctx.blobs.volumes(), ...ctx.redis.caVolumes()],
            // SIGTERM → the app keeps serving for SHUTDOWN_DELAY_MS (endpoints drain; no preStop sleep is
            // needed, and the image has no shell) → SHUTDOWN_TIMEOUT_MS for in-flight requests → +10s margin.
            terminationGracePeriodSeconds: `{{ add (div (add ${a.shutdownDelayMs.expr} ${a.shutdownTimeoutMs.expr}) 1000) 10 }}`,
            containers: [
              appContainer(ctx, {
                name: 'api',
                role: 'api',
                args: ['api'],
                resources: a.resources,
                ports: [{ name: 'http', containerPort: APP_PORTS.api }],
                probes: httpProbes('http', '/health', '/ready'),
                env: ctx.config.authEnv(),
                extras: a,
                blobs: true,
              }),
            ],
          }),
        },
      },
      template: tpl,
    });
    new HelmObject(this, 'hpa', {
      kind: 'HorizontalPodAutoscaler',
      metadata: metadata(this.name, 'api'),
      spec: {
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: this.name },
        minReplicas: a.autoscaling.minReplicas.value,
        maxReplicas: a.autoscaling.maxReplicas.value,
        metrics: [cpuMetric(a.autoscaling.targetCPUUtilizationPercentage.value)],
      },
      template: tpl,
      condition: a.autoscaling.enabled.expr,
    });
    new HelmObject(this, 'pdb', {
      kind: 'PodDisruptionBudget',
      metadata: metadata(this.name, 'api'),
      spec: { maxUnavailable: a.pdb.maxUnavailable.value, selector: { matchLabels: selectorLabels('api') } },
      template: tpl,
      condition: `or ${a.autoscaling.enabled.expr} (gt (int ${a.replicaCount.expr}) 1)`,
    });
    const ing = v.ingress;
    new HelmObject(this, 'ingress', {
      kind: 'Ingress',
      metadata: metadata(this.name, 'api', { annotations: ing.annotations }),
      spec: {
        ingressClassName: when(ing.className.expr, ing.className.value),
        tls: when(ing.tls.enabled.expr, [
          { hosts: [ing.host.value], secretName: `{{ default ${resourceNameExpr('api-tls')} ${ing.tls.secretName.expr} }}` },
        ]),
        rules: [
          {
            host: ing.host.value,
            http: {
              paths: [
                { path: ing.path.value, pathType: 'Prefix', backend: { service: { name: this.serviceName, port: { name: 'http' } } } },
              ],
            },
          },
        ],
      },
      template: tpl,
      condition: ing.enabled.expr,
    });
  }
}

export function cpuMetric(target: string) {
  return { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: target } } };
}

/** The prometheus.io/* annotations a plain Prometheus scrape config reads (used when no ServiceMonitor renders). */
export function scrapeHints(port: number): Record<string, string> {
  return { 'prometheus.io/scrape': 'true', 'prometheus.io/port': String(port), 'prometheus.io/path': '/metrics' };
}

/** The ServiceMonitor is rendered (and scrape annotations dropped) only when enabled and the CRD exists. */
export function serviceMonitorOn(v: AppContext['values']): string {
  return `(and ${v.serviceMonitor.enabled.expr} (.Capabilities.APIVersions.Has "monitoring.coreos.com/v1/ServiceMonitor"))`;
}
