import { SCHEDULED_JOBS, type ScheduledJobName } from '../../../services/src/queues/contract';
import type { ReleaseSelectors } from './selectors';

export type Severity = 'critical' | 'warning' | 'info';

/** A tunable number of one alert, a values key under `alerts.rules.<key>`. */
export interface AlertParam {
  readonly default: number;
  readonly description: string;
  readonly integer?: boolean;
}

/**
 * One alert: the single definition the PrometheusRule, values.yaml, the README's operations table and
 * docs/runbooks.md are checked against. `expr` receives the release's selectors and each param as the
 * Helm expression of its value.
 */
export interface AlertDefinition {
  readonly name: string;
  /** camelCase values key (`alerts.rules.<key>`). */
  readonly key: string;
  readonly group: 'api' | 'jobs' | 'schedules' | 'redis' | 'collector';
  readonly severity: Severity;
  readonly for: string;
  readonly params: Readonly<Record<string, AlertParam>>;
  readonly expr: (s: ReleaseSelectors, p: Readonly<Record<string, string>>) => string;
  /** Prometheus templates allowed (`{{ $labels.queue }}`, `{{ $value | humanize }}`); no double quotes inside them. */
  readonly summary: string;
  readonly description: string;
}

/** Rate window of the request and job ratios. */
const W = '5m';

const fiveXxRatio = (s: ReleaseSelectors) =>
  `sum by (namespace) (rate(http_request_duration_seconds_count{${s.api},status_code=~"5.."}[${W}])) / sum by (namespace) (rate(http_request_duration_seconds_count{${s.api}}[${W}]))`;

const byJob = 'namespace, queue, job_name';
const failedRate = (s: ReleaseSelectors) => `sum by (${byJob}) (rate(pca_jobs_failed_total{${s.worker}}[15m]))`;
const completedRate = (s: ReleaseSelectors) => `sum by (${byJob}) (rate(pca_jobs_completed_total{${s.worker}}[15m]))`;
const runtimeP95 = (s: ReleaseSelectors, window: string) =>
  `histogram_quantile(0.95, sum by (${byJob}, le) (rate(pca_job_duration_seconds_bucket{${s.worker}}[${window}])))`;

/** Seconds a scheduled task may go without a success before PcaScheduledTaskStale fires (two periods and a margin). */
const STALE_DEFAULTS: Record<ScheduledJobName, number> = { cleanup_old_reports: 2 * 86_400 + 3600, refresh_benchmarks: 2 * 86_400 + 3600, health_check: 1800, backup_data: 2 * 86_400 + 3600 };
export const STALE_PARAM = (task: ScheduledJobName) => `${task.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase())}Seconds`;

export const ALERTS: readonly AlertDefinition[] = [
  {
    name: 'PcaApiDown',
    key: 'apiDown',
    group: 'api',
    severity: 'critical',
    for: '5m',
    params: {},
    expr: (s) =>
      `(sum by (namespace) (up{${s.api}}) == 0) or absent(up{${s.api}}) or (kube_deployment_status_replicas_available{${s.ns},deployment="${s.fullname}-api"} == 0)`,
    summary: 'pca-agent API down in {{ $labels.namespace }}',
    description: 'No API pod is scraped successfully, none is scraped at all, or the API Deployment has no available replica.',
  },
  {
    name: 'PcaApiErrorRatioHigh',
    key: 'apiErrorRatioHigh',
    group: 'api',
    severity: 'critical',
    for: '10m',
    params: { threshold: { default: 0.05, description: 'ratio of 5xx responses to all responses' } },
    expr: (s, p) => `${fiveXxRatio(s)} > ${p.threshold}`,
    summary: 'pca-agent API answers {{ $value | humanizePercentage }} of requests with 5xx',
    description: 'The share of 5xx responses over 5 minutes is above the threshold.',
  },
  {
    name: 'PcaApiLatencyHigh',
    key: 'apiLatencyHigh',
    group: 'api',
    severity: 'warning',
    for: '10m',
    params: { thresholdSeconds: { default: 1, description: 'p95 request duration in seconds' } },
    expr: (s, p) => `histogram_quantile(0.95, sum by (namespace, le) (rate(http_request_duration_seconds_bucket{${s.api}}[${W}]))) > ${p.thresholdSeconds}`,
    summary: 'pca-agent API p95 latency is {{ $value | humanizeDuration }}',
    description: 'The 95th percentile of request duration over 5 minutes is above the threshold.',
  },
  {
    name: 'PcaApiRateLimitedSurge',
    key: 'apiRateLimitedSurge',
    group: 'api',
    severity: 'warning',
    for: '10m',
    params: { threshold: { default: 0.1, description: 'ratio of 429 responses to all responses' } },
    expr: (s, p) =>
      `sum by (namespace) (rate(http_rate_limited_total{${s.api}}[${W}])) / sum by (namespace) (rate(http_request_duration_seconds_count{${s.api}}[${W}])) > ${p.threshold}`,
    summary: 'pca-agent API refuses {{ $value | humanizePercentage }} of requests with 429',
    description: 'Many requests hit the per-IP rate limit: a client floods the API, or the limit is too low for real traffic.',
  },
  {
    name: 'PcaApiAuthFailuresSurge',
    key: 'apiAuthFailuresSurge',
    group: 'api',
    severity: 'warning',
    for: '10m',
    params: { perSecond: { default: 1, description: 'refused authentications (401/403) per second' } },
    expr: (s, p) => `sum by (namespace) (rate(http_auth_failures_total{${s.api}}[${W}])) > ${p.perSecond}`,
    summary: 'pca-agent API refuses {{ $value | humanize }} authentications per second',
    description: 'Requests with missing, invalid or expired credentials or an insufficient scope are frequent.',
  },
  {
    name: 'PcaQueueBacklogGrowing',
    key: 'queueBacklogGrowing',
    group: 'jobs',
    severity: 'warning',
    for: '15m',
    params: { minWaiting: { default: 100, description: 'waiting jobs below which a growing backlog is not reported', integer: true } },
    expr: (s, p) =>
      `(max by (namespace, queue) (pca_queue_jobs{${s.app},state="waiting"}) > ${p.minWaiting}) and (max by (namespace, queue) (deriv(pca_queue_jobs{${s.app},state="waiting"}[15m])) > 0)`,
    summary: 'Queue {{ $labels.queue }} backlog keeps growing ({{ $value }} waiting)',
    description: 'More jobs wait than the threshold and the number has grown over 15 minutes: workers do not keep up.',
  },
  {
    name: 'PcaQueueOldestJobTooOld',
    key: 'queueOldestJobTooOld',
    group: 'jobs',
    severity: 'warning',
    for: '5m',
    params: { thresholdSeconds: { default: 900, description: 'age of the oldest waiting job in seconds', integer: true } },
    expr: (s, p) => `max by (namespace, queue) (pca_queue_oldest_waiting_job_age_seconds{${s.app}}) > ${p.thresholdSeconds}`,
    summary: 'Queue {{ $labels.queue }} has a job waiting for {{ $value | humanizeDuration }}',
    description: 'The oldest waiting job of the queue is older than the threshold.',
  },
  {
    name: 'PcaJobFailureRatioHigh',
    key: 'jobFailureRatioHigh',
    group: 'jobs',
    severity: 'warning',
    for: '15m',
    params: { threshold: { default: 0.2, description: 'ratio of failed job attempts to all attempts, per job name' } },
    expr: (s, p) => `${failedRate(s)} / (${failedRate(s)} + (${completedRate(s)} or ${failedRate(s)} * 0)) > ${p.threshold}`,
    summary: '{{ $labels.job_name }} fails {{ $value | humanizePercentage }} of its attempts',
    description: 'The share of failed attempts of one job name over 15 minutes is above the threshold.',
  },
  {
    name: 'PcaQueueBacklogNoWorker',
    key: 'queueBacklogNoWorker',
    group: 'jobs',
    severity: 'critical',
    for: '10m',
    params: {},
    expr: (s) =>
      `(max by (namespace, queue) (pca_queue_jobs{${s.app},state="waiting"}) > 0) and (max by (namespace, queue) (pca_queue_workers{${s.app}}) == 0)`,
    summary: 'Queue {{ $labels.queue }} has waiting jobs and no worker',
    description: 'Jobs wait and no worker is connected to the queue: KEDA does not scale up, or the workers crash.',
  },
  {
    name: 'PcaJobRuntimeAboveUsual',
    key: 'jobRuntimeAboveUsual',
    group: 'jobs',
    severity: 'warning',
    for: '30m',
    params: {
      factor: { default: 3, description: 'p95 run time over 30 minutes, as a multiple of the p95 over the last day' },
      minSeconds: { default: 1, description: 'p95 run time in seconds below which nothing is reported' },
    },
    expr: (s, p) => `(${runtimeP95(s, '30m')} > ${p.factor} * ${runtimeP95(s, '1d')}) and (${runtimeP95(s, '30m')} > ${p.minSeconds})`,
    summary: '{{ $labels.job_name }} runs far longer than usual (p95 {{ $value | humanizeDuration }})',
    description: 'The p95 run time of one job name over 30 minutes is many times its p95 over the last day.',
  },
  {
    name: 'PcaCronJobNotSucceeded',
    key: 'cronJobNotSucceeded',
    group: 'schedules',
    severity: 'warning',
    for: '5m',
    params: { graceSeconds: { default: 900, description: 'seconds past one schedule period before a CronJob without success is reported', integer: true } },
    expr: (s, p) => {
      const m = `{${s.ns},cronjob=~"${s.fullname}-.+"}`;
      return `((time() - kube_cronjob_status_last_successful_time${m}) > (kube_cronjob_next_schedule_time${m} - kube_cronjob_status_last_schedule_time${m}) + ${p.graceSeconds}) unless on (namespace, cronjob) (kube_cronjob_spec_suspend${m} == 1)`;
    },
    summary: 'CronJob {{ $labels.cronjob }} has not succeeded within its period',
    description: 'kube-state-metrics reports no successful run of the CronJob for longer than one schedule period plus the grace.',
  },
  {
    name: 'PcaScheduledTaskStale',
    key: 'scheduledTaskStale',
    group: 'schedules',
    severity: 'warning',
    for: '5m',
    params: Object.fromEntries(
      (Object.keys(SCHEDULED_JOBS) as ScheduledJobName[]).map((task) => [
        STALE_PARAM(task),
        { default: STALE_DEFAULTS[task], description: `seconds ${task} may go without a successful run (schedule ${SCHEDULED_JOBS[task].schedule})`, integer: true },
      ]),
    ),
    expr: (s, p) =>
      (Object.keys(SCHEDULED_JOBS) as ScheduledJobName[])
        .map((task) => `(time() - max by (namespace, task) (pca_scheduled_task_last_success_timestamp_seconds{${s.app},task="${task}"}) > ${p[STALE_PARAM(task)]})`)
        .join(' or '),
    summary: 'Scheduled task {{ $labels.task }} last succeeded {{ $value | humanizeDuration }} ago',
    description: "The app's own record of the task's last success (kept in Redis) is older than the task's limit.",
  },
  {
    name: 'PcaRedisUnreachable',
    key: 'redisUnreachable',
    group: 'redis',
    severity: 'critical',
    for: '2m',
    params: {},
    expr: (s) => `pca_redis_up{${s.app}} == 0`,
    summary: 'Redis unreachable from {{ $labels.job }} ({{ $labels.instance }})',
    description: 'A pca-agent process cannot PING Redis: requests that need data answer 503 and no job runs.',
  },
  {
    name: 'PcaRedisMemoryNearMax',
    key: 'redisMemoryNearMax',
    group: 'redis',
    severity: 'warning',
    for: '10m',
    params: { threshold: { default: 0.85, description: 'ratio of Redis used_memory to maxmemory' } },
    expr: (s, p) => `max by (namespace) (pca_redis_memory_used_bytes{${s.app}} / (pca_redis_memory_max_bytes{${s.app}} > 0)) > ${p.threshold}`,
    summary: 'Redis uses {{ $value | humanizePercentage }} of its maxmemory',
    description: 'At maxmemory Redis (noeviction) refuses every write: enqueues, uploads, rate-limit counts.',
  },
  {
    name: 'PcaCollectorRefusingSpans',
    key: 'collectorRefusingSpans',
    group: 'collector',
    severity: 'warning',
    for: '10m',
    params: {},
    expr: (s) => `sum by (namespace) (rate(otelcol_receiver_refused_spans_total{${s.collector}}[${W}])) > 0`,
    summary: 'The OpenTelemetry Collector refuses {{ $value | humanize }} spans per second',
    description: 'The Collector receiver refuses spans (memory_limiter pressure or bad payloads): traces are lost.',
  },
  {
    name: 'PcaCollectorDroppingSpans',
    key: 'collectorDroppingSpans',
    group: 'collector',
    severity: 'warning',
    for: '10m',
    params: {},
    expr: (s) =>
      `(sum by (namespace) (rate(otelcol_exporter_send_failed_spans_total{${s.collector}}[${W}])) > 0) or (sum by (namespace) (rate(otelcol_exporter_enqueue_failed_spans_total{${s.collector}}[${W}])) > 0)`,
    summary: 'The OpenTelemetry Collector fails to export spans',
    description: 'The Collector cannot send spans to its backend (Jaeger or otelCollector.exporter.endpoint) or its queue is full.',
  },
];

export const ALERT_GROUPS = ['api', 'jobs', 'schedules', 'redis', 'collector'] as const;
