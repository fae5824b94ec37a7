import { Redis } from 'ioredis';
import pino from 'pino';
import request from 'supertest';
import { loadConfig } from '../../services/src/config/env';
import { closeQueues, createQueues, enqueue, type Queues } from '../../services/src/queues/queues';
import { startWorker, type WorkerProcess } from '../../services/src/workers/main';
import { DASHBOARDS } from '../../cdk8s/lib/monitoring/dashboards';
import { cleanup, FULL_KEY, makeApp, ready, type TestApp } from '../api/helpers';
import { freePort, waitFor } from '../helpers/processes';
import { REDIS_URL, testPrefix } from '../helpers/redis';
import { promtool, renderedRuleGroups } from './promtool';
import { EXPORTER_METRICS, selectedMetrics } from './promql';

const prefix = testPrefix('metrics-exist');
const admin = new Redis(REDIS_URL);
let api: TestApp;
let worker: WorkerProcess;
let queues: Queues;
let apiText = '';
let workerText = '';

/** Sample names of a Prometheus text exposition (histograms give `_bucket`, `_sum`, `_count`). */
function sampleNames(text: string): Set<string> {
  return new Set(text.split('\n').filter((l) => l && !l.startsWith('#')).map((l) => /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(l)![0]));
}

function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  const line = text.split('\n').find((l) => (l.startsWith(`${name}{`) || l.startsWith(`${name} `)) && want.every((w) => l.includes(w)));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

beforeAll(async () => {
  const cfg = loadConfig({ REDIS_URL, REDIS_KEY_PREFIX: prefix, WORKER_HTTP_PORT: String(await freePort()), WORKER_QUEUES: 'reports,maintenance', WORKER_CONCURRENCY: '2' });
  queues = createQueues(cfg, admin);
  // A job waits in a queue no worker of this test consumes: its age and the zero workers are what the gauges must show.
  await queues.uploads.add('process_bulk_upload', {}, { jobId: 'waiting-1' });
  worker = await startWorker(cfg, pino({ level: 'silent' }));
  const ok = await enqueue(queues, 'refresh_benchmarks', {});
  const bad = await queues.reports.add('generate_campaign_report', { channel: 'radio' }, { jobId: 'bad-1' });
  await waitFor('both jobs finished', async () => (await ok.getState()) === 'completed' && (await bad.getState()) === 'failed', 20_000);

  api = makeApp(prefix, { RATE_LIMIT_PER_MINUTE: '3' });
  await ready(api.redis);
  await request(api.app).get('/api/v1/campaigns').set('X-API-Key', FULL_KEY).expect(200);
  await request(api.app).get('/api/v1/campaigns').set('X-API-Key', 'wrong').expect(401);
  await request(api.app).get('/api/v1/campaigns').set('X-API-Key', FULL_KEY);
  await request(api.app).get('/api/v1/campaigns').set('X-API-Key', FULL_KEY).expect(429);
  await new Promise((r) => setTimeout(r, 1100)); // the waiting job is at least a second old
  apiText = (await request(api.app).get('/metrics').expect(200)).text;
  workerText = await (await fetch(`http://127.0.0.1:${cfg.WORKER_HTTP_PORT}/metrics`)).text();
}, 40_000);

afterAll(async () => {
  await worker?.close();
  await closeQueues(queues);
  await cleanup(prefix, api);
  await admin.quit();
});

test('every metric an alert rule or a dashboard panel selects is exposed by the app or a named exporter', () => {
  const exposed = new Set([...sampleNames(apiText), ...sampleNames(workerText)]);
  const exporters = new Set(Object.values(EXPORTER_METRICS).flat());
  const used = new Map<string, string>();
  for (const g of renderedRuleGroups()) for (const r of g.rules) for (const m of selectedMetrics(r.expr)) used.set(m, `alert ${r.alert}`);
  for (const d of DASHBOARDS) for (const p of d.panels) for (const t of p.targets) for (const m of selectedMetrics(t.expr)) used.set(m, `${d.title} / ${p.title}`);
  expect(used.size).toBeGreaterThan(20);
  const missing = [...used].filter(([m]) => !exposed.has(m) && !exporters.has(m)).map(([m, where]) => `${m} (${where})`);
  expect(missing).toEqual([]);
  // The check can fail: a misspelt name is neither exposed nor an exporter's.
  expect(exposed.has('pca_job_duration_second_bucket') || exporters.has('pca_job_duration_second_bucket')).toBe(false);
});

test('the new gauges report what Redis holds: waiting age, workers, concurrency, scheduled success, Redis', () => {
  for (const text of [apiText, workerText]) {
    expect(sample(text, 'pca_queue_oldest_waiting_job_age_seconds', { queue: 'uploads' })).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'pca_queue_oldest_waiting_job_age_seconds', { queue: 'reports' })).toBe(0);
    expect(sample(text, 'pca_queue_workers', { queue: 'uploads' })).toBe(0);
    expect(sample(text, 'pca_queue_workers', { queue: 'reports' })).toBe(1);
    expect(sample(text, 'pca_queue_jobs', { queue: 'uploads', state: 'waiting' })).toBe(1);
    const last = sample(text, 'pca_scheduled_task_last_success_timestamp_seconds', { task: 'refresh_benchmarks' })!;
    expect(Math.abs(Date.now() / 1000 - last)).toBeLessThan(60);
    expect(sample(text, 'pca_scheduled_task_last_success_timestamp_seconds', { task: 'health_check' })).toBeUndefined();
    expect(sample(text, 'pca_redis_up')).toBe(1);
    expect(sample(text, 'pca_redis_ping_duration_seconds')).toBeGreaterThan(0);
    expect(sample(text, 'pca_redis_memory_used_bytes')).toBeGreaterThan(0);
  }
  // WORKER_CONCURRENCY 2 is the pod's budget: maintenance keeps its 1, reports get the rest
  expect(sample(workerText, 'pca_worker_concurrency', { queue: 'reports' })).toBe(1);
  expect(sample(workerText, 'pca_worker_concurrency', { queue: 'maintenance' })).toBe(1);
  expect(sample(workerText, 'pca_jobs_completed_total', { job_name: 'refresh_benchmarks' })).toBe(1);
  expect(sample(workerText, 'pca_jobs_failed_total', { job_name: 'generate_campaign_report' })).toBe(1);
  expect(sample(apiText, 'http_rate_limited_total')).toBe(1);
  expect(sample(apiText, 'http_auth_failures_total', { reason: 'invalid_key' })).toBe(1);
  expect(sample(apiText, 'http_requests_in_flight')).toBe(1); // the scrape itself
});

test("promtool check metrics is clean for the project's own metrics", () => {
  for (const text of [apiText, workerText]) {
    // prom-client's default process/nodejs metrics are its naming, not ours (nodejs_active_*_total gauges).
    const own = text.split('\n\n').join('\n').split(/(?=^# HELP )/m).filter((f) => /^# HELP (pca_|http_)/.test(f)).join('');
    expect(own).toContain('# HELP pca_redis_up');
    const r = promtool(['check', 'metrics'], { input: own });
    expect(r.output).toBe('');
    expect(r.status).toBe(0);
  }
});
