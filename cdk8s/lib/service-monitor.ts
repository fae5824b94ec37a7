import { Construct } from 'constructs';
import { serviceMonitorOn } from './api';
import { HelmObject } from './helm/helm-object';
import { splice } from './helm/template';
import { labels, metadata, resourceName, selectorLabels } from './names';
import type { ValueRefs } from './values';

/**
 * Prometheus Operator ServiceMonitors, only when the CRD is served: the API and worker /metrics, and the
 * chart's Collector's own metrics (the span alerts read them).
 */
export class ServiceMonitor extends Construct {
  constructor(scope: Construct, id: string, props: { values: ValueRefs }) {
    super(scope, id);
    const sm = props.values.serviceMonitor;
    const smLabels = (component: 'worker' | 'otel-collector') => ({ ...labels(component), ...splice(`include "pca-agent.toYamlIfAny" ${sm.labels.expr}`) });
    new HelmObject(this, 'servicemonitor', {
      kind: 'ServiceMonitor',
      metadata: {
        ...metadata(resourceName('metrics'), 'worker'),
        labels: smLabels('worker'),
      },
      spec: {
        selector: {
          matchLabels: { ...splice('include "pca-agent.selectorLabels" .') },
          matchExpressions: [{ key: 'app.kubernetes.io/component', operator: 'In', values: ['api', 'worker'] }],
        },
        endpoints: [{ port: 'http', path: '/metrics', interval: sm.interval.value }],
      },
      template: 'service-monitor.yaml',
      condition: serviceMonitorOn(props.values),
    });
    new HelmObject(this, 'collector', {
      kind: 'ServiceMonitor',
      metadata: { ...metadata(resourceName('otel-collector'), 'otel-collector'), labels: smLabels('otel-collector') },
      spec: {
        selector: { matchLabels: selectorLabels('otel-collector') },
        endpoints: [{ port: 'metrics', path: '/metrics', interval: sm.interval.value }],
      },
      template: 'service-monitor.yaml',
      condition: `and ${serviceMonitorOn(props.values)} ${props.values.otelCollector.enabled.expr}`,
    });
  }
}
