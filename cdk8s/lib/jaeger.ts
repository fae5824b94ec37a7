import { Construct } from 'constructs';
import { OTLP_GRPC_PORT, OTLP_HTTP_PORT } from './otel-collector';
import { HelmObject } from './helm/helm-object';
import { emitYaml } from './helm/template';
import { metadata, resourceName, selectorLabels } from './names';
import { APP_UID, ComponentServiceAccount, componentService, httpProbe, imageOf, podMetadata, securePodSpec, secureContainer } from './pod-spec';
import type { ValueRefs } from './values';

export const JAEGER_UI_PORT = 16686;
const HEALTH_PORT = 13133;

/** Jaeger v2 with bounded in-memory storage: UI on 16686, OTLP from the Collector on 4317/4318. */
export class Jaeger extends Construct {
  readonly name = resourceName('jaeger');
  /** OTLP gRPC host:port the Collector exports to. */
  readonly otlpGrpcAddress = `${resourceName('jaeger')}:${OTLP_GRPC_PORT}`;
  readonly enabled: string;

  constructor(scope: Construct, id: string, props: { values: ValueRefs }) {
    super(scope, id);
    const v = props.values;
    const j = v.jaeger;
    const tpl = 'jaeger.yaml';
    const configTpl = 'jaeger-config.yaml';
    this.enabled = j.enabled.expr;
    const config = {
      service: {
        extensions: ['jaeger_storage', 'jaeger_query', 'healthcheckv2'],
        pipelines: { traces: { receivers: ['otlp'], processors: ['batch'], exporters: ['jaeger_storage_exporter'] } },
      },
      extensions: {
        healthcheckv2: { use_v2: true, http: { endpoint: `0.0.0.0:${HEALTH_PORT}` } },
        jaeger_storage: { backends: { memstore: { memory: { max_traces: j.maxTraces.value } } } },
        jaeger_query: { storage: { traces: 'memstore' }, http: { endpoint: `0.0.0.0:${JAEGER_UI_PORT}` } },
      },
      receivers: {
        otlp: {
          protocols: { grpc: { endpoint: `0.0.0.0:${OTLP_GRPC_PORT}` }, http: { endpoint: `0.0.0.0:${OTLP_HTTP_PORT}` } },
        },
      },
      processors: { batch: {} },
      exporters: { jaeger_storage_exporter: { trace_storage: 'memstore' } },
    };
    new HelmObject(this, 'config', {
      kind: 'ConfigMap',
      metadata: metadata(this.name, 'jaeger'),
      data: { 'config.yaml': `${emitYaml(config).join('\n')}\n` },
      template: configTpl,
      condition: this.enabled,
    });
    const sa = new ComponentServiceAccount(this, 'sa', { component: 'jaeger', suffix: 'jaeger', template: tpl, condition: this.enabled });
    componentService(this, 'service', {
      name: this.name,
      component: 'jaeger',
      ports: [
        { name: 'ui', port: JAEGER_UI_PORT, targetPort: 'ui' },
        { name: 'otlp-grpc', port: OTLP_GRPC_PORT, targetPort: 'otlp-grpc' },
        { name: 'otlp-http', port: OTLP_HTTP_PORT, targetPort: 'otlp-http' },
      ],
      template: tpl,
      condition: this.enabled,
    });
    const health = (period: number, failures: number) => httpProbe('/status', 'health', period, failures);
    new HelmObject(this, 'deployment', {
      kind: 'Deployment',
      metadata: metadata(this.name, 'jaeger'),
      spec: {
        // In-memory storage: one replica, replaced (not surged) on upgrade.
        replicas: 1,
        revisionHistoryLimit: 5,
        strategy: { type: 'Recreate' },
        selector: { matchLabels: selectorLabels('jaeger') },
        template: {
          metadata: podMetadata('jaeger', j, { checksums: { 'checksum/config': configTpl } }),
          spec: securePodSpec({
            serviceAccountName: sa.name,
            scheduling: j,
            containers: [
              secureContainer({
                name: 'jaeger',
                image: imageOf(j.image),
                imagePullPolicy: j.image.pullPolicy.text,
                runAsUser: APP_UID,
                args: ['--config=/conf/config.yaml'],
                ports: [
                  { name: 'ui', containerPort: JAEGER_UI_PORT },
                  { name: 'otlp-grpc', containerPort: OTLP_GRPC_PORT },
                  { name: 'otlp-http', containerPort: OTLP_HTTP_PORT },
                  { name: 'health', containerPort: HEALTH_PORT },
                ],
                resources: j.resources,
                probes: { startupProbe: health(2, 30), readinessProbe: health(5, 3), livenessProbe: health(10, 3) },
                volumeMounts: [{ name: 'config', mountPath: '/conf', readOnly: true }],
              }),
            ],
            volumes: [{ name: 'config', configMap: { name: this.name } }],
          }),
        },
      },
      template: tpl,
      condition: this.enabled,
    });
  }
}
