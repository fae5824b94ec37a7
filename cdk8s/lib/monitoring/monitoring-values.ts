import { LeafRef, v, type GroupNode, type JsonSchema, type LeafNode } from '../helm/values-definition';
import { ALERTS, type AlertDefinition } from './alerts';

const stringMap: JsonSchema = { type: 'object', additionalProperties: { type: 'string' } };
const DURATION = '^[0-9]+(s|m|h|d)$';
export const RUNBOOK_URL = 'https://github.com/pca-agent/pca-agent/blob/main/docs/runbooks.md';

function ruleValues(a: AlertDefinition): GroupNode {
  const params: Record<string, LeafNode<number>> = {};
  for (const [name, p] of Object.entries(a.params)) {
    params[name] = p.integer ? v.int(p.default, p.description, { minimum: 0 }) : v.num(p.default, p.description, { minimum: 0 });
  }
  return v.group(`${a.name}: ${a.description}`, {
    enabled: v.bool(true, `render ${a.name}`),
    for: v.str(a.for, 'how long the condition must hold before the alert fires', { pattern: DURATION }),
    severity: v.str(a.severity, 'severity label', { enum: ['critical', 'warning', 'info', 'none'] }),
    labels: v.block({}, 'extra labels of this alert', stringMap),
    ...params,
  });
}

/** `alerts`: the PrometheusRule, one group of values per alert of ALERTS. */
export const alertsValues = v.group('Prometheus alert rules (a PrometheusRule, rendered only when monitoring.coreos.com/v1 PrometheusRule is served and serviceMonitor.enabled: the rules select the job labels of the chart\'s ServiceMonitor)', {
  enabled: v.bool(true, 'create the PrometheusRule when the Prometheus Operator serves it'),
  labels: v.block({}, 'extra labels on the PrometheusRule object (what the Prometheus ruleSelector needs, e.g. release: kube-prometheus-stack)', stringMap),
  alertLabels: v.block({}, 'extra labels on every alert (routing in Alertmanager)', stringMap),
  runbookUrl: v.str(RUNBOOK_URL, 'runbook page; each alert links to its section (#<alertname in lower case>)', { minLength: 1 }),
  rules: v.group('per alert: enabled, for, severity, extra labels and thresholds', Object.fromEntries(ALERTS.map((a) => [a.key, ruleValues(a)]))),
});

/** `dashboards`: Grafana dashboards as ConfigMaps for the Grafana sidecar of kube-prometheus-stack. */
export const dashboardsValues = v.group('Grafana dashboards as ConfigMaps the kube-prometheus-stack Grafana sidecar loads (rendered only when monitoring.coreos.com/v1 PrometheusRule is served and serviceMonitor.enabled, like the alerts)', {
  enabled: v.bool(true, 'create the dashboard ConfigMaps when the Prometheus Operator APIs are served'),
  label: v.str('grafana_dashboard', 'label the sidecar selects dashboard ConfigMaps by (sidecar.dashboards.label)', { minLength: 1 }),
  labelValue: v.str('1', 'value of that label (sidecar.dashboards.labelValue)'),
  folderAnnotation: v.str('grafana_folder', 'annotation the sidecar reads the folder name from (sidecar.dashboards.folderAnnotation)', { minLength: 1 }),
  folder: v.str('pca-agent', 'Grafana folder of the dashboards'),
  labels: v.block({}, 'extra labels on the dashboard ConfigMaps', stringMap),
});

/** The values reference of one alert's leaf (`alerts.rules.<key>.<leaf>`). */
export function ruleRef(a: AlertDefinition, leaf: string, type: 'string' | 'number' | 'integer' | 'boolean' = 'number'): LeafRef {
  return new LeafRef(['alerts', 'rules', a.key, leaf], type);
}
