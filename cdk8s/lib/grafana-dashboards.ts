import { Construct } from 'constructs';
import { serviceMonitorOn } from './api';
import { HelmObject } from './helm/helm-object';
import { splice } from './helm/template';
import { DASHBOARDS, dashboardJson } from './monitoring/dashboards';
import { labels, metadata, resourceName } from './names';
import type { ValueRefs } from './values';

/**
 * Rendered where the alerts can be (a kube-prometheus-stack cluster, whose Grafana sidecar loads them) and
 * the chart's ServiceMonitor renders: the panels select its `job` labels.
 */
export function dashboardsOn(v: ValueRefs): string {
  return `(and ${v.dashboards.enabled.expr} ${serviceMonitorOn(v)} (.Capabilities.APIVersions.Has "monitoring.coreos.com/v1/PrometheusRule"))`;
}

/**
 * One ConfigMap per Grafana dashboard, labelled for the Grafana sidecar. The JSON ships as chart files
 * (`dashboards/*.json`) read with `.Files.Glob`, so Grafana's own `{{label}}` templates are never Helm's.
 */
export class GrafanaDashboards extends Construct {
  /** Chart files (path → content) the ConfigMaps read. */
  readonly files: Record<string, string> = {};

  constructor(scope: Construct, id: string, props: { values: ValueRefs }) {
    super(scope, id);
    const d = props.values.dashboards;
    for (const dash of DASHBOARDS) {
      const path = `dashboards/${dash.file}`;
      this.files[path] = `${JSON.stringify(dashboardJson(dash), null, 2)}\n`;
      const base = metadata(resourceName(`dashboard-${dash.uid.replace(/^pca-agent-/, '')}`), 'app', {
        annotations: { [d.folderAnnotation.text]: d.folder.str },
      });
      new HelmObject(this, dash.uid, {
        kind: 'ConfigMap',
        metadata: {
          ...base,
          labels: { ...labels('app'), [d.label.text]: d.labelValue.str, ...splice(`include "pca-agent.toYamlIfAny" ${d.labels.expr}`) },
        },
        data: { ...splice(`(.Files.Glob "${path}").AsConfig`) },
        template: 'grafana-dashboards.yaml',
        condition: dashboardsOn(props.values),
      });
    }
  }
}
