import { Construct } from 'constructs';
import { serviceMonitorOn } from './api';
import { HelmObject } from './helm/helm-object';
import { splice } from './helm/template';
import { labels, metadata, resourceName } from './names';
import type { ValueRefs } from './values';

/** Prometheus Operator ServiceMonitor for the API and worker /metrics, only when the CRD is served. */
export class ServiceMonitor extends Construct {
  constructor(scope: Construct, id: string, props: { values: ValueRefs }) {
    super(scope, id);
    const sm = props.values.serviceMonitor;
    new HelmObject(this, 'servicemonitor', {
      kind: 'ServiceMonitor',
      metadata: {
        ...metadata(resourceName('metrics'), 'worker'),
        labels: { ...labels('worker'), ...splice(`include "pca-agent.toYamlIfAny" ${sm.labels.expr}`) },
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
  }
}
