import { VARIABLE_SAMPLES } from '../../cdk8s/lib/monitoring/dashboards';

/** A dashboard expression with its Grafana variables replaced by sample values: plain PromQL for promtool. */
export function withSampleVariables(expr: string): string {
  return expr.replace(/\$\{?(\w+)\}?/g, (m, name: string) => {
    const value = VARIABLE_SAMPLES[name];
    if (value === undefined) throw new Error(`unknown dashboard variable ${m} in ${expr}`);
    return value;
  });
}

/** Metric names a PromQL expression selects (`name{...}`); every expression of the chart selects with labels. */
export function selectedMetrics(expr: string): string[] {
  return [...expr.matchAll(/([a-zA-Z_:][a-zA-Z0-9_:]*)\s*\{/g)].map((m) => m[1]!);
}

/** Metric names outside the app, each from the exporter that exposes it. */
export const EXPORTER_METRICS: Readonly<Record<string, readonly string[]>> = {
  prometheus: ['up'],
  'kube-state-metrics': [
    'kube_deployment_status_replicas_available',
    'kube_cronjob_status_last_successful_time',
    'kube_cronjob_status_last_schedule_time',
    'kube_cronjob_next_schedule_time',
    'kube_cronjob_spec_suspend',
    'kube_horizontalpodautoscaler_status_desired_replicas',
  ],
  'opentelemetry-collector': [
    'otelcol_receiver_accepted_spans_total',
    'otelcol_receiver_refused_spans_total',
    'otelcol_exporter_sent_spans_total',
    'otelcol_exporter_send_failed_spans_total',
    'otelcol_exporter_enqueue_failed_spans_total',
  ],
  keda: ['keda_scaler_metrics_value'],
};
