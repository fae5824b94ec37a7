import { Construct } from 'constructs';
import { scrapeHints, serviceMonitorOn } from './api';
import { HelmObject } from './helm/helm-object';
import { emitYaml, when } from './helm/template';
import { metadata, resourceName, selectorLabels } from './names';
import { ComponentServiceAccount, componentService, httpProbe, imageOf, podMetadata, securePodSpec, secureContainer, APP_UID } from './pod-spec';
import type { ValueRefs } from './values';

export const OTLP_GRPC_PORT = 4317;
export const OTLP_HTTP_PORT = 4318;
const HEALTH_PORT = 13133;
/** The Collector's own metrics (accepted, refused, dropped spans), scraped by the chart's ServiceMonitor. */
export const COLLECTOR_METRICS_PORT = 8888;

export interface OtelCollectorProps {
  readonly values: ValueRefs;
  /** OTLP gRPC host:port of the chart's Jaeger (by reference), used unless an exporter endpoint is set. */
  readonly jaegerOtlpAddress: string;
}

/**
 * The OpenTelemetry Collector every service exports to: OTLP gRPC/HTTP in, memory_limiter + batch,
 * OTLP out to Jaeger (or the user's backend), health_check extension behind the probes, its own metrics
 * on a port of its Service.
 */
export class OtelCollector extends Construct {
  readonly name = resourceName('otel-collector');
  /** OTLP/HTTP base URL the Node services use (OTEL_EXPORTER_OTLP_ENDPOINT). */
  readonly otlpHttpEndpoint = `http://${resourceName('otel-collector')}:${OTLP_HTTP_PORT}`;
  readonly enabled: string;

  constructor(scope: Construct, id: string, props: OtelCollectorProps) {
    super(scope, id);
    const v = props.values;
    const o = v.otelCollector;
    const tpl = 'otel-collector.yaml';
    const configTpl = 'otel-collector-config.yaml';
    this.enabled = o.enabled.expr;
    const config = {
      extensions: { health_check: { endpoint: `0.0.0.0:${HEALTH_PORT}` } },
      receivers: {
        otlp: {
          protocols: { grpc: { endpoint: `0.0.0.0:${OTLP_GRPC_PORT}` }, http: { endpoint: `0.0.0.0:${OTLP_HTTP_PORT}` } },
        },
      },
      processors: {
        memory_limiter: { check_interval: '1s', limit_mib: o.memoryLimitMiB.value, spike_limit_mib: `{{ div ${o.memoryLimitMiB.expr} 5 }}` },
        batch: {},
      },
      exporters: {
        otlp: {
          endpoint: when(o.exporter.endpoint.expr, o.exporter.endpoint.value, props.jaegerOtlpAddress),
          tls: { insecure: o.exporter.insecure.value },
        },
      },
      service: {
        // Its own metrics on every interface (the Collector's default is localhost only): the alerts on
        // refused and dropped spans read them.
        telemetry: { metrics: { readers: [{ pull: { exporter: { prometheus: { host: '0.0.0.0', port: COLLECTOR_METRICS_PORT } } } }] } },
        extensions: ['health_check'],
        pipelines: { traces: { receivers: ['otlp'], processors: ['memory_limiter', 'batch'], exporters: ['otlp'] } },
      },
    };
    new HelmObject(this, 'config', {
      kind: 'ConfigMap',
      metadata: metadata(resourceName('otel-collector'), 'otel-collector'),
      data: { 'config.yaml': `${emitYaml(config).join('\n')}\n` },
      template: configTpl,
      condition: this.enabled,
    });
    const sa = new ComponentServiceAccount(this, 'sa', { component: 'otel-collector', suffix: 'otel-collector', template: tpl, condition: this.enabled });
    componentService(this, 'service', {
      name: this.name,
      component: 'otel-collector',
      ports: [
        { name: 'otlp-grpc', port: OTLP_GRPC_PORT, targetPort: 'otlp-grpc' },
        { name: 'otlp-http', port: OTLP_HTTP_PORT, targetPort: 'otlp-http' },
        { name: 'metrics', port: COLLECTOR_METRICS_PORT, targetPort: 'metrics' },
      ],
      template: tpl,
      condition: this.enabled,
    });
    new HelmObject(this, 'deployment', {
      kind: 'Deployment',
      metadata: metadata(this.name, 'otel-collector'),
      spec: {
        replicas: 1,
        revisionHistoryLimit: 5,
        selector: { matchLabels: selectorLabels('otel-collector') },
        template: {
          metadata: podMetadata('otel-collector', o, {
            checksums: { 'checksum/config': configTpl },
            unless: { condition: serviceMonitorOn(v), annotations: scrapeHints(COLLECTOR_METRICS_PORT) },
          }),
          spec: securePodSpec({
            serviceAccountName: sa.name,
            scheduling: o,
            containers: [
              secureContainer({
                name: 'otel-collector',
                image: imageOf(o.image),
                imagePullPolicy: o.image.pullPolicy.text,
                runAsUser: APP_UID,
                args: ['--config=/conf/config.yaml'],
                ports: [
                  { name: 'otlp-grpc', containerPort: OTLP_GRPC_PORT },
                  { name: 'otlp-http', containerPort: OTLP_HTTP_PORT },
                  { name: 'health', containerPort: HEALTH_PORT },
                  { name: 'metrics', containerPort: COLLECTOR_METRICS_PORT },
                ],
                resources: o.resources,
                probes: {
                  startupProbe: httpProbe('/', 'health', 2, 30),
                  readinessProbe: httpProbe('/', 'health', 5, 3),
                  livenessProbe: httpProbe('/', 'health', 10, 3),
                },
                volumeMounts: [{ name: 'config', mountPath: '/conf', readOnly: true }],
              }),
            ],
            volumes: [{ name: 'config', configMap: { name: resourceName('otel-collector') } }],
          }),
        },
      },
      template: tpl,
      condition: this.enabled,
    });
  }
}
