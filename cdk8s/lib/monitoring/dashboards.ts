/**
 * The Grafana dashboards, defined once: `dashboardJson` writes the files the chart ships
 * (`dashboards/<file>`, loaded into ConfigMaps with `.Files`, so Grafana's `{{route}}` legends never pass
 * through Helm's template engine) and the tests feed every panel's PromQL to promtool.
 *
 * Selectors use the dashboard variables: `$namespace`, and `$release`, the chart's fullname taken from
 * the scrape job of the API or worker Service (`<fullname>-api`), so two releases in one namespace stay apart.
 */
export interface Target {
  readonly expr: string;
  readonly legend: string;
}

export interface PanelDefinition {
  readonly title: string;
  readonly description: string;
  /** Grafana unit id. @default 'short' */
  readonly unit?: string;
  readonly type?: 'timeseries' | 'stat';
  readonly targets: readonly Target[];
}

export interface DashboardDefinition {
  readonly uid: string;
  readonly title: string;
  /** File under the chart's `dashboards/` folder and ConfigMap data key. */
  readonly file: string;
  readonly description: string;
  readonly panels: readonly PanelDefinition[];
}

const RI = '$__rate_interval';
const NS = 'namespace="$namespace"';
const API = `${NS},job="$release-api"`;
const WORKER = `${NS},job="$release-worker"`;
/** Queue and Redis gauges: exported by the API and the worker alike (max over them). */
const APP = `${NS},job=~"$release-(api|worker)"`;
const COLLECTOR = `${NS},job="$release-otel-collector"`;

const quantiles = (metric: string, sel: string, by: string, label: string): Target[] =>
  [0.5, 0.95, 0.99].map((q) => ({
    expr: `histogram_quantile(${q}, sum by (${by}, le) (rate(${metric}_bucket{${sel}}[${RI}])))`,
    legend: `p${Math.round(q * 100)} ${label}`,
  }));

export const DASHBOARDS: readonly DashboardDefinition[] = [
  {
    uid: 'pca-agent-api',
    title: 'pca-agent / API gateway',
    file: 'pca-agent-api.json',
    description: 'Requests, errors and latency per route, rate limiting, authentication failures, in-flight requests and replicas.',
    panels: [
      {
        title: 'Request rate per route',
        description: 'Requests per second by route template',
        unit: 'reqps',
        targets: [{ expr: `sum by (route) (rate(http_request_duration_seconds_count{${API}}[${RI}]))`, legend: '{{route}}' }],
      },
      {
        title: 'Error ratio (5xx) per route',
        description: 'Share of 5xx responses by route',
        unit: 'percentunit',
        targets: [
          {
            expr: `sum by (route) (rate(http_request_duration_seconds_count{${API},status_code=~"5.."}[${RI}])) / sum by (route) (rate(http_request_duration_seconds_count{${API}}[${RI}]))`,
            legend: '{{route}}',
          },
        ],
      },
      {
        title: 'Latency percentiles per route',
        description: 'p50, p95 and p99 of request duration by route',
        unit: 's',
        targets: quantiles('http_request_duration_seconds', API, 'route', '{{route}}'),
      },
      {
        title: 'Responses by status code',
        description: 'Responses per second by status code',
        unit: 'reqps',
        targets: [{ expr: `sum by (status_code) (rate(http_request_duration_seconds_count{${API}}[${RI}]))`, legend: '{{status_code}}' }],
      },
      {
        title: 'Rate-limited requests (429)',
        description: 'Requests refused by the per-IP rate limit, per second',
        unit: 'reqps',
        targets: [{ expr: `sum(rate(http_rate_limited_total{${API}}[${RI}]))`, legend: '429' }],
      },
      {
        title: 'Authentication failures by reason',
        description: 'Requests refused with 401/403, per second, by reason',
        unit: 'reqps',
        targets: [{ expr: `sum by (reason) (rate(http_auth_failures_total{${API}}[${RI}]))`, legend: '{{reason}}' }],
      },
      {
        title: 'In-flight requests',
        description: 'Requests received and not yet answered, per pod',
        targets: [{ expr: `sum by (pod) (http_requests_in_flight{${API}})`, legend: '{{pod}}' }],
      },
      {
        title: 'Replicas',
        description: 'API pods scraped and up, and the Deployment\'s available replicas (kube-state-metrics)',
        targets: [
          { expr: `sum(up{${API}})`, legend: 'scraped and up' },
          { expr: `sum(kube_deployment_status_replicas_available{${NS},deployment="$release-api"})`, legend: 'available' },
        ],
      },
    ],
  },
  {
    uid: 'pca-agent-jobs',
    title: 'pca-agent / Jobs',
    file: 'pca-agent-jobs.json',
    description: 'Jobs per name and outcome, failure ratio, run time, queue depth, oldest waiting job, workers, KEDA and the CronJobs.',
    panels: [
      {
        title: 'Jobs per second by name and outcome',
        description: 'Completed and failed attempts per second',
        unit: 'ops',
        targets: [
          { expr: `sum by (job_name) (rate(pca_jobs_completed_total{${WORKER}}[${RI}]))`, legend: '{{job_name}} completed' },
          { expr: `sum by (job_name) (rate(pca_jobs_failed_total{${WORKER}}[${RI}]))`, legend: '{{job_name}} failed' },
        ],
      },
      {
        title: 'Success ratio by job name',
        description: 'Completed / (completed + failed) attempts',
        unit: 'percentunit',
        targets: [
          {
            expr: `sum by (job_name) (rate(pca_jobs_completed_total{${WORKER}}[${RI}])) / (sum by (job_name) (rate(pca_jobs_completed_total{${WORKER}}[${RI}])) + sum by (job_name) (rate(pca_jobs_failed_total{${WORKER}}[${RI}])))`,
            legend: '{{job_name}}',
          },
        ],
      },
      {
        title: 'Run time percentiles by job name',
        description: 'p50, p95 and p99 of processor run time',
        unit: 's',
        targets: quantiles('pca_job_duration_seconds', WORKER, 'job_name', '{{job_name}}'),
      },
      {
        title: 'Queue depth by state',
        description: 'Jobs per queue and state (waiting, active, delayed, prioritized, failed, completed)',
        targets: [{ expr: `max by (queue, state) (pca_queue_jobs{${APP}})`, legend: '{{queue}} {{state}}' }],
      },
      {
        title: 'Oldest waiting job',
        description: 'Age of the oldest waiting job per queue',
        unit: 's',
        targets: [{ expr: `max by (queue) (pca_queue_oldest_waiting_job_age_seconds{${APP}})`, legend: '{{queue}}' }],
      },
      {
        title: 'Workers and concurrency',
        description: 'Workers connected per queue, and the jobs they may run in parallel',
        targets: [
          { expr: `max by (queue) (pca_queue_workers{${APP}})`, legend: '{{queue}} workers' },
          { expr: `sum by (queue) (pca_worker_concurrency{${WORKER}})`, legend: '{{queue}} concurrency' },
        ],
      },
      {
        title: 'Worker replicas: KEDA desired and available',
        description: 'Replicas KEDA\'s HPA wants, the Deployment\'s available replicas, and KEDA\'s scaler metric per trigger',
        targets: [
          { expr: `max(kube_horizontalpodautoscaler_status_desired_replicas{${NS},horizontalpodautoscaler="keda-hpa-$release-worker"})`, legend: 'desired (KEDA)' },
          { expr: `max(kube_deployment_status_replicas_available{${NS},deployment="$release-worker"})`, legend: 'available' },
          { expr: `max by (scaler, metric) (keda_scaler_metrics_value{exported_namespace="$namespace",scaledObject="$release-worker"})`, legend: '{{scaler}} {{metric}}' },
        ],
      },
      {
        title: 'CronJobs: time since last success',
        description: 'kube-state-metrics\' last successful run per CronJob, and the app\'s own record per task',
        unit: 's',
        targets: [
          { expr: `time() - max by (cronjob) (kube_cronjob_status_last_successful_time{${NS},cronjob=~"$release-.+"})`, legend: '{{cronjob}} (CronJob)' },
          { expr: `time() - max by (task) (pca_scheduled_task_last_success_timestamp_seconds{${APP}})`, legend: '{{task}} (app)' },
        ],
      },
    ],
  },
  {
    uid: 'pca-agent-redis-pipeline',
    title: 'pca-agent / Redis and the trace pipeline',
    file: 'pca-agent-redis-pipeline.json',
    description: 'Redis as the app sees it (reachability, round trip, memory) and span export through the Collector.',
    panels: [
      {
        title: 'Redis reachable from each process',
        description: '1 when the process reached Redis at its last sample',
        targets: [{ expr: `min by (job, pod) (pca_redis_up{${APP}})`, legend: '{{pod}}' }],
      },
      {
        title: 'Redis round trip (PING)',
        description: 'PING round trip measured by each process',
        unit: 's',
        targets: [{ expr: `max by (job, pod) (pca_redis_ping_duration_seconds{${APP}})`, legend: '{{pod}}' }],
      },
      {
        title: 'Redis memory against maxmemory',
        description: 'used_memory and maxmemory; at maxmemory every write fails (noeviction)',
        unit: 'bytes',
        targets: [
          { expr: `max(pca_redis_memory_used_bytes{${APP}})`, legend: 'used' },
          { expr: `max(pca_redis_memory_max_bytes{${APP}})`, legend: 'maxmemory' },
        ],
      },
      {
        title: 'Spans received by the Collector',
        description: 'Spans accepted and refused by the Collector\'s receivers, per second',
        unit: 'ops',
        targets: [
          { expr: `sum(rate(otelcol_receiver_accepted_spans_total{${COLLECTOR}}[${RI}]))`, legend: 'accepted' },
          { expr: `sum(rate(otelcol_receiver_refused_spans_total{${COLLECTOR}}[${RI}]))`, legend: 'refused' },
        ],
      },
      {
        title: 'Spans exported by the Collector',
        description: 'Spans sent to the backend, failed to send, and failed to enqueue, per second',
        unit: 'ops',
        targets: [
          { expr: `sum(rate(otelcol_exporter_sent_spans_total{${COLLECTOR}}[${RI}]))`, legend: 'sent' },
          { expr: `sum(rate(otelcol_exporter_send_failed_spans_total{${COLLECTOR}}[${RI}]))`, legend: 'send failed' },
          { expr: `sum(rate(otelcol_exporter_enqueue_failed_spans_total{${COLLECTOR}}[${RI}]))`, legend: 'enqueue failed' },
        ],
      },
    ],
  },
];

type GrafanaJson = { [key: string]: unknown };

function panelJson(p: PanelDefinition, i: number): GrafanaJson {
  const width = 12;
  return {
    id: i + 1,
    type: p.type ?? 'timeseries',
    title: p.title,
    description: p.description,
    datasource: { type: 'prometheus', uid: '${datasource}' },
    gridPos: { h: 8, w: width, x: (i % 2) * width, y: Math.floor(i / 2) * 8 },
    fieldConfig: { defaults: { unit: p.unit ?? 'short' }, overrides: [] },
    options: { legend: { displayMode: 'list', placement: 'bottom', showLegend: true }, tooltip: { mode: 'multi', sort: 'none' } },
    targets: p.targets.map((t, j) => ({
      refId: String.fromCharCode(65 + j),
      datasource: { type: 'prometheus', uid: '${datasource}' },
      expr: t.expr,
      legendFormat: t.legend,
    })),
  };
}

/** A metric every release exports from its API and worker: the release variable is read from its job label. */
const RELEASE_SOURCE = 'pca_queue_jobs';

/** The Grafana dashboard JSON (schema 39) of one definition, with datasource, namespace and release variables. */
export function dashboardJson(d: DashboardDefinition): GrafanaJson {
  const ds = { type: 'prometheus', uid: '${datasource}' };
  return {
    uid: d.uid,
    title: d.title,
    description: d.description,
    tags: ['pca-agent'],
    editable: true,
    schemaVersion: 39,
    version: 1,
    time: { from: 'now-6h', to: 'now' },
    refresh: '30s',
    templating: {
      list: [
        { name: 'datasource', label: 'Data source', type: 'datasource', query: 'prometheus', current: {}, hide: 0 },
        {
          name: 'namespace',
          label: 'Namespace',
          type: 'query',
          datasource: ds,
          query: { query: `label_values(${RELEASE_SOURCE}, namespace)`, refId: 'namespace' },
          refresh: 2,
          sort: 1,
          current: {},
          hide: 0,
        },
        {
          name: 'release',
          label: 'Release',
          type: 'query',
          datasource: ds,
          query: { query: `label_values(${RELEASE_SOURCE}{namespace="$namespace"}, job)`, refId: 'release' },
          regex: '/^(.*)-(api|worker)$/',
          refresh: 2,
          sort: 1,
          current: {},
          hide: 0,
        },
      ],
    },
    panels: d.panels.map(panelJson),
  };
}

/** Values a test substitutes for the dashboard variables to get plain PromQL. */
export const VARIABLE_SAMPLES: Readonly<Record<string, string>> = { __rate_interval: '5m', namespace: 'pca', release: 'rel-pca-agent', datasource: 'prometheus' };
