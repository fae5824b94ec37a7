import { Construct } from 'constructs';
import { serviceMonitorOn } from './api';
import { HelmObject } from './helm/helm-object';
import { splice, when } from './helm/template';
import { ALERT_GROUPS, ALERTS, type AlertDefinition } from './monitoring/alerts';
import { ruleRef } from './monitoring/monitoring-values';
import { promTemplate, releaseSelectors } from './monitoring/selectors';
import { labels, metadata, resourceName } from './names';
import type { ValueRefs } from './values';

/**
 * The PrometheusRule renders only when enabled, the Prometheus Operator serves the kind and the chart's
 * ServiceMonitor renders: the rules select the `job` labels that ServiceMonitor gives, so without it
 * "API absent" would fire from the first minute.
 */
export function prometheusRuleOn(v: ValueRefs): string {
  return `(and ${v.alerts.enabled.expr} ${serviceMonitorOn(v)} (.Capabilities.APIVersions.Has "monitoring.coreos.com/v1/PrometheusRule"))`;
}

/** GitHub's anchor of a `## PcaApiDown` heading. */
export function runbookAnchor(alert: string): string {
  return alert.toLowerCase();
}

function rule(a: AlertDefinition, v: ValueRefs) {
  const params = Object.fromEntries(Object.keys(a.params).map((name) => [name, ruleRef(a, name).text]));
  return when(ruleRef(a, 'enabled', 'boolean').expr, {
    alert: a.name,
    expr: a.expr(releaseSelectors(), params),
    for: ruleRef(a, 'for', 'string').str,
    labels: {
      severity: ruleRef(a, 'severity', 'string').str,
      ...splice(`include "pca-agent.toYamlIfAny" (merge (dict) .Values.alerts.rules.${a.key}.labels ${v.alerts.alertLabels.expr})`),
    },
    annotations: {
      summary: promTemplate(a.summary),
      description: promTemplate(a.description),
      runbook_url: `${v.alerts.runbookUrl.text}#${runbookAnchor(a.name)}`,
    },
  });
}

/** pca-agent's alert rules (cdk8s/lib/monitoring/alerts.ts) as a Prometheus Operator PrometheusRule. */
export class PrometheusRule extends Construct {
  constructor(scope: Construct, id: string, props: { values: ValueRefs }) {
    super(scope, id);
    const v = props.values;
    new HelmObject(this, 'rule', {
      kind: 'PrometheusRule',
      metadata: {
        ...metadata(resourceName('alerts'), 'app'),
        labels: { ...labels('app'), ...splice(`include "pca-agent.toYamlIfAny" ${v.alerts.labels.expr}`) },
      },
      spec: {
        groups: ALERT_GROUPS.map((g) => ({ name: `pca-agent.${g}`, rules: ALERTS.filter((a) => a.group === g).map((a) => rule(a, v)) })),
      },
      template: 'prometheus-rule.yaml',
      condition: prometheusRuleOn(v),
    });
  }
}
