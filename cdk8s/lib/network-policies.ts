import { Construct } from 'constructs';
import { serviceMonitorOn } from './api';
import { APP_PORTS } from './app-config';
import { HelmObject } from './helm/helm-object';
import type { k8s } from 'cdk8s-plus-27';
import { splice, when } from './helm/template';
import type { TemplatedItem } from './helm/templated';
import { JAEGER_UI_PORT } from './jaeger';
import { metadata, resourceName, selectorLabels, type Component } from './names';
import { COLLECTOR_METRICS_PORT, OTLP_GRPC_PORT, OTLP_HTTP_PORT } from './otel-collector';
import { REDIS_PORT, type Redis } from './redis';
import type { ValueRefs } from './values';

export interface NetworkPoliciesProps {
  readonly values: ValueRefs;
  readonly redis: Redis;
}

type Ingress = TemplatedItem<k8s.NetworkPolicyIngressRule>;
type Egress = TemplatedItem<k8s.NetworkPolicyEgressRule>;

const tcp = (port: number | string) => ({ port, protocol: 'TCP' });
const pods = (component: Component) => ({ podSelector: { matchLabels: selectorLabels(component) } });

/**
 * Deny everything for the release's pods, then allow exactly: clients → API/dashboard, scrapers →
 * metrics, app pods → Redis and the Collector, KEDA → Redis, Collector → Jaeger (or the exporter), DNS.
 */
export class NetworkPolicies extends Construct {
  constructor(scope: Construct, id: string, props: NetworkPoliciesProps) {
    super(scope, id);
    const v = props.values;
    const np = v.networkPolicy;
    const tpl = 'network-policies.yaml';
    const enabled = np.enabled.expr;
    const policy = (suffix: string, component: Component | null, spec: { ingress?: Ingress[]; egress?: Egress[] }, condition = enabled, preamble?: string) =>
      new HelmObject(this, suffix, {
        kind: 'NetworkPolicy',
        metadata: metadata(resourceName(`${suffix}`), component ?? 'api'),
        spec: {
          podSelector: { matchLabels: component ? selectorLabels(component) : { ...splice('include "pca-agent.selectorLabels" .') } },
          policyTypes: [...(spec.ingress ? ['Ingress'] : []), ...(spec.egress ? ['Egress'] : [])],
          ...(spec.ingress ? { ingress: spec.ingress } : {}),
          ...(spec.egress ? { egress: spec.egress } : {}),
        },
        template: tpl,
        condition,
        ...(preamble ? { preamble } : {}),
      });
    const clients = when(np.apiIngressFrom.expr, np.apiIngressFrom.toYaml);
    const scrapers = when(np.metricsFrom.expr, np.metricsFrom.toYaml);
    // The API serves /metrics on its client port: scrapers get their own rule only when restricted.
    const apiScrapers = when(np.metricsFrom.expr, { from: np.metricsFrom.toYaml, ports: [tcp(APP_PORTS.api)] });
    const dns: Egress = { ports: [{ port: 53, protocol: 'UDP' }, { port: 53, protocol: 'TCP' }] };
    const toRedis: Egress = when(
      props.redis.embedded,
      { to: [pods('redis')], ports: [tcp(REDIS_PORT)] },
      { ports: [tcp(np.externalRedisPort.value), when(props.redis.sentinelOn, tcp(np.externalRedisSentinelPort.value))] },
    );
    const toCollector: Egress = when(v.otelCollector.enabled.expr, { to: [pods('otel-collector')], ports: [tcp(OTLP_HTTP_PORT)] });
    const s3 = `(eq ${v.artifacts.backend.expr} "s3")`;
    // The bucket is outside the cluster (or at an address the chart does not know): its port, anywhere.
    const toS3: Egress = when(s3, { ports: [tcp(np.s3Port.value)] });
    const appEgress = [dns, toRedis, toCollector, toS3];

    policy('deny-all', null, { ingress: [], egress: [] });
    // A rendered ServiceMonitor must be able to scrape. The worker's metrics port is open to any source
    // when metricsFrom is empty, but the API's is its client port: opening it to everyone would undo
    // apiIngressFrom, so the scraper has to be named.
    const scrapeCheck = `{{- if and ${enabled} ${serviceMonitorOn(v)} ${np.apiIngressFrom.expr} (not ${np.metricsFrom.expr}) }}
{{- fail "serviceMonitor.enabled with networkPolicy.apiIngressFrom set: the ServiceMonitor scrapes the API's /metrics on its client port ${APP_PORTS.api}, which apiIngressFrom closes to everyone else. Set networkPolicy.metricsFrom to your Prometheus pods, e.g. [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: monitoring}}}]" }}
{{- end }}`;
    policy(
      'api-netpol',
      'api',
      {
        ingress: [{ from: clients, ports: [tcp(APP_PORTS.api)] }, apiScrapers, { from: [pods('test')], ports: [tcp(APP_PORTS.api)] }],
        egress: appEgress,
      },
      enabled,
      scrapeCheck,
    );
    policy('worker-netpol', 'worker', { ingress: [{ from: scrapers, ports: [tcp(APP_PORTS.worker)] }], egress: appEgress });
    policy('dashboard-netpol', 'dashboard', { ingress: [{ from: clients, ports: [tcp(APP_PORTS.dashboard)] }], egress: appEgress }, `and ${enabled} ${v.dashboard.enabled.expr}`);
    policy('cronjob-netpol', 'cronjob', { egress: appEgress });
    // The Helm test (`main.js smoke`) talks to the API only, and sends its spans to the Collector.
    policy('test-netpol', 'test', { egress: [dns, { to: [pods('api')], ports: [tcp(APP_PORTS.api)] }, toCollector, when(`and ${s3} (eq ${v.artifacts.downloadMode.expr} "redirect")`, { ports: [tcp(np.s3Port.value)] })] });
    const redisClients = (['api', 'worker', 'dashboard', 'cronjob'] as const).map(pods);
    const appClients = [...redisClients, pods('test')];
    policy(
      'redis-netpol',
      'redis',
      {
        ingress: [
          { from: redisClients, ports: [tcp(REDIS_PORT)] },
          // KEDA's operator reads the queue lengths from its own namespace.
          {
            from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': np.kedaNamespace.value } } }],
            ports: [tcp(REDIS_PORT)],
          },
        ],
        egress: [],
      },
      `and ${enabled} ${props.redis.embedded}`,
    );
    policy(
      'otel-collector-netpol',
      'otel-collector',
      {
        ingress: [{ from: appClients, ports: [tcp(OTLP_GRPC_PORT), tcp(OTLP_HTTP_PORT)] }, { from: scrapers, ports: [tcp(COLLECTOR_METRICS_PORT)] }],
        egress: [
          dns,
          when(
            v.otelCollector.exporter.endpoint.expr,
            { ports: [tcp(np.exporterPort.value)] },
            { to: [pods('jaeger')], ports: [tcp(OTLP_GRPC_PORT)] },
          ),
        ],
      },
      `and ${enabled} ${v.otelCollector.enabled.expr}`,
    );
    policy(
      'jaeger-netpol',
      'jaeger',
      {
        ingress: [
          { from: [pods('otel-collector')], ports: [tcp(OTLP_GRPC_PORT), tcp(OTLP_HTTP_PORT)] },
          { from: clients, ports: [tcp(JAEGER_UI_PORT)] },
        ],
        egress: [dns],
      },
      `and ${enabled} ${v.jaeger.enabled.expr}`,
    );
  }
}
