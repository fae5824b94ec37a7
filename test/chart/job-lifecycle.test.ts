import { loadConfig } from '../../services/src/config/env';
import { parseTaskArgs } from '../../services/src/task/main';
import { find, render } from './helm';

const config = (objects: ReturnType<typeof render>) => (find(objects, 'ConfigMap', 'rel-pca-agent-config') as any).data as Record<string, string>;
const jobSpec = (objects: ReturnType<typeof render>, name: string) => (find(objects, 'CronJob', name) as any).spec.jobTemplate.spec;

test('the dashboard is read-only unless writable is chosen explicitly', () => {
  expect(config(render()).DASHBOARD_READ_ONLY).toBe('true');
  expect(config(render(['--set', 'dashboard.readOnly=false'])).DASHBOARD_READ_ONLY).toBe('false');
});

test('each CronJob passes its --timeout to the task and derives activeDeadlineSeconds from it and backoffLimit', () => {
  const cases = [
    { name: 'rel-pca-agent-cleanup-old-reports', timeout: 600, backoff: 1, sets: [] as string[] },
    { name: 'rel-pca-agent-health-check', timeout: 60, backoff: 1, sets: [] },
    { name: 'rel-pca-agent-refresh-benchmarks', timeout: 120, backoff: 3, sets: ['cronJobs.refreshBenchmarks.timeoutSeconds=120', 'cronJobs.refreshBenchmarks.backoffLimit=3'] },
  ];
  for (const c of cases) {
    const spec = jobSpec(render(c.sets.flatMap((s) => ['--set', s])), c.name);
    const container = spec.template.spec.containers[0];
    const args = (container.command as string[]).slice((container.command as string[]).indexOf('task') + 1);
    // the pod's own argument parser reads the timeout the Job's deadline was derived from
    expect(parseTaskArgs(args).timeoutSeconds).toBe(c.timeout);
    expect(spec.backoffLimit).toBe(c.backoff);
    // every pod of the run gets its whole --timeout plus a minute to start: the deadline never cuts a retry short
    expect(spec.activeDeadlineSeconds).toBe((c.backoff + 1) * (c.timeout + 60));
    expect(container.env).toContainEqual({ name: 'TASK_RUN_ID', valueFrom: { fieldRef: { fieldPath: "metadata.labels['batch.kubernetes.io/job-name']" } } });
  }
});

test('job deadlines reach the worker from values, per job', () => {
  const cm = config(render(['--set', 'jobs.timeoutSeconds.generateExcelReport=42']));
  const cfg = loadConfig({ ...cm, REDIS_URL: 'redis://127.0.0.1:6379' });
  expect(cfg.JOB_TIMEOUT_GENERATE_EXCEL_REPORT).toBe(42);
  expect(cfg.JOB_TIMEOUT_HEALTH_CHECK).toBe(30);
});

test('otelCollector.enabled=false: traces go straight to otelCollector.exporter.endpoint (OTLP gRPC), off only without one', () => {
  const otel = (sets: string[]) => Object.fromEntries(Object.entries(config(render(sets.flatMap((s) => ['--set', s])))).filter(([k]) => /^OTEL_(EXPORTER_OTLP_(ENDPOINT|PROTOCOL)|SDK_DISABLED)$/.test(k)));
  expect(otel([])).toEqual({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://rel-pca-agent-otel-collector:4318', OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf' });
  expect(otel(['otelCollector.enabled=false', 'otelCollector.exporter.endpoint=otel.example:4317'])).toEqual({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://otel.example:4317', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' });
  expect(otel(['otelCollector.enabled=false', 'otelCollector.exporter.endpoint=otel.example:4317', 'otelCollector.exporter.insecure=false'])).toMatchObject({ OTEL_EXPORTER_OTLP_ENDPOINT: 'https://otel.example:4317' });
  expect(otel(['otelCollector.enabled=false'])).toMatchObject({ OTEL_SDK_DISABLED: 'true' });
});
