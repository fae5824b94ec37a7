import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { JOB_NAMES, QUEUE_NAMES } from '../../services/src/queues/contract';
import { DOMAIN_SPANS } from '../../services/src/telemetry/spans';
import type { ChildRun } from '../helpers/child-process';
import { SPAN_KIND, STATUS_CODE, startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from '../helpers/otlp-receiver';
import { deleteByPrefix, REDIS_URL, testPrefix } from '../helpers/redis';
import { freePort, MAIN, median, otelEnv, ROOT, startWithTelemetry, STOP_GRACE_MS } from './child';
import { conventionProblems, labelValues, parsePrometheusText, type MetricFamily } from './prometheus-text';

// The real roles (`main.js api` and `main.js worker`) with the telemetry preload, real Redis and a local
// OTLP receiver: one trace from POST /api/v1/analyze-async to the worker that finished the job.
jest.setTimeout(90_000);

const API_KEY = 'e2e-telemetry-key-0123456789';
const prefix = testPrefix('otel-e2e');
const QUEUE_STATES = ['waiting', 'active', 'delayed', 'failed', 'completed'];

const CAMPAIGNS = [
  { name: 'Spring search', channel: 'search', start_date: '2026-03-01', end_date: '2026-03-31', budget: 1000, spend: 800, impressions: 50_000, clicks: 1500, conversions: 60, revenue: 4200 },
  { name: 'Spring social', channel: 'social', start_date: '2026-03-01', end_date: '2026-03-31', budget: 500, spend: 450, impressions: 80_000, clicks: 900, conversions: 20, revenue: 900 },
];

interface Role {
  child: ChildRun;
  port: number;
  base: string;
}

let receiver: OtlpReceiver;
let redis: Redis;

function roleEnv(extra: Record<string, string>): Record<string, string> {
  return {
    REDIS_URL,
    REDIS_KEY_PREFIX: prefix,
    API_KEYS: API_KEY,
    RATE_LIMIT_PER_MINUTE: '100000',
    SHUTDOWN_DELAY_MS: '0',
    SHUTDOWN_TIMEOUT_MS: '10000',
    WORKER_SHUTDOWN_TIMEOUT_MS: '5000',
    SCHEDULER_ENABLED: 'false',
    // debug: a finished job's only line (`job completed`) is at debug, and the tests read the worker's lines
    LOG_LEVEL: 'debug',
    ...extra,
  };
}

/** Starts `main.js <role>` and waits until its /ready answers 200. */
const PORT_VARIABLE = { api: 'PORT', worker: 'WORKER_HTTP_PORT', dashboard: 'DASHBOARD_PORT' } as const;
const DASHBOARD_AUTH = { DASHBOARD_USERNAME: 'ops', DASHBOARD_PASSWORD: 'e2e-dashboard-password-0123' };

async function startRole(role: keyof typeof PORT_VARIABLE, otel: Record<string, string>): Promise<Role> {
  for (const f of ['api/server.js', 'workers/main.js']) {
    if (!existsSync(join(ROOT, 'dist/services/src', f))) throw new Error(`dist/services/src/${f} is missing: build first (npx tsc -p tsconfig.json)`);
  }
  const port = await freePort();
  const child = startWithTelemetry(MAIN, [role], roleEnv({ ...otel, ...DASHBOARD_AUTH, [PORT_VARIABLE[role]]: String(port) }));
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.child.exitCode !== null) throw new Error(`${role} exited ${child.child.exitCode}: ${child.stderr.slice(-2000)}`);
    try {
      if ((await fetch(`${base}/ready`)).status === 200) return { child, port, base };
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await child.stop(STOP_GRACE_MS);
      throw new Error(`${role} not ready in 30 s: ${child.stderr.slice(-2000)} ${JSON.stringify(child.lines.slice(-5))}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function analyzeAsync(base: string, headers: Record<string, string> = {}): Promise<{ res: Response; body: Record<string, unknown> }> {
  const res = await fetch(`${base}/api/v1/analyze-async`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': API_KEY, ...headers },
    body: JSON.stringify({ campaigns: CAMPAIGNS }),
  });
  return { res, body: (await res.json().catch(() => ({}))) as Record<string, unknown> };
}

/** The trace id the API logged for a request, found by its X-Request-Id. */
async function traceOfRequest(api: ChildRun, res: Response): Promise<string> {
  const requestId = res.headers.get('x-request-id');
  expect(requestId).toBeTruthy();
  const line = await api.waitForLine((l) => l.request_id === requestId && typeof l.trace_id === 'string');
  return String(line.trace_id);
}

function ancestors(span: ReceivedSpan, trace: ReceivedSpan[]): ReceivedSpan[] {
  const byId = new Map(trace.map((s) => [s.spanId, s]));
  const out: ReceivedSpan[] = [];
  let cur = byId.get(span.parentSpanId);
  while (cur) {
    out.push(cur);
    cur = byId.get(cur.parentSpanId);
  }
  return out;
}

/** A producer without telemetry (jest does not run the preload), for jobs that bypass the API. */
function testQueue(): { queue: Queue; close: () => Promise<void> } {
  const connection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  const queue = new Queue('reports', { connection, prefix: `${prefix}:bull` });
  return {
    queue,
    close: async () => {
      await queue.close();
      await connection.quit();
    },
  };
}

async function scrape(base: string): Promise<Map<string, MetricFamily>> {
  const res = await fetch(`${base}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
  return parsePrometheusText(await res.text());
}

function sum(fam: MetricFamily | undefined, labels: Record<string, string>, sampleName = fam?.name): number {
  return (fam?.samples ?? [])
    .filter((s) => s.name === sampleName && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    .reduce((a, s) => a + s.value, 0);
}

beforeAll(async () => {
  receiver = await startOtlpReceiver();
  redis = new Redis(REDIS_URL);
});

afterAll(async () => {
  await receiver?.close();
  await deleteByPrefix(redis, prefix);
  await redis.quit();
});

describe('API and worker with the telemetry preload', () => {
  let api: Role;
  let worker: Role;
  const liveLatencies: number[] = [];

  beforeAll(async () => {
    [api, worker] = await Promise.all([startRole('api', otelEnv(receiver.endpoint)), startRole('worker', otelEnv(receiver.endpoint))]);
  });

  afterAll(async () => {
    await Promise.all([api?.child.stop(STOP_GRACE_MS), worker?.child.stop(STOP_GRACE_MS)]);
  });

  let firstTrace: string;

  it('POST /api/v1/analyze-async → enqueue → worker: one trace, correctly parented, with route and job attributes', async () => {
    const { res, body } = await analyzeAsync(api.base);
    expect(res.status).toBe(202);
    const traceId = await traceOfRequest(api.child, res);
    firstTrace = traceId;
    await receiver.waitFor((all) => all.some((s) => s.traceId === traceId && s.kind === SPAN_KIND.consumer), 20_000);
    const t = receiver.trace(traceId);

    const server = t.find((s) => s.kind === SPAN_KIND.server)!;
    expect(server.resource['service.name']).toBe('pca-agent-api');
    expect(server.name).toBe('POST /api/v1/analyze-async');
    expect(server.parentSpanId).toBe('');
    expect(server.attributes['http.route']).toBe('/api/v1/analyze-async');
    expect(server.attributes['http.request.method']).toBe('POST');
    expect(server.attributes['http.response.status_code']).toBe(202);

    const add = t.find((s) => s.kind === SPAN_KIND.producer)!;
    expect(add.name).toBe('add reports.generate_campaign_report');
    expect(add.resource['service.name']).toBe('pca-agent-api');
    expect(add.attributes).toMatchObject({ 'bullmq.queue.name': 'reports', 'bullmq.job.name': 'generate_campaign_report' });
    expect(ancestors(add, t).map((s) => s.spanId)).toContain(server.spanId);

    const processing = t.find((s) => s.kind === SPAN_KIND.consumer)!;
    expect(processing.name).toBe('process reports');
    expect(processing.resource['service.name']).toBe('pca-agent-worker');
    expect(processing.parentSpanId).toBe(add.spanId);
    expect(processing.attributes).toMatchObject({ 'bullmq.queue.name': 'reports', 'bullmq.job.name': 'generate_campaign_report' });
    expect(processing.status.code).toBe(STATUS_CODE.unset);

    // job data stays clean: the trace context travels in the job's options
    const jobId = String(body.task_id ?? body.id ?? add.attributes['bullmq.job.id']);
    const raw = await redis.hget(`${prefix}:bull:reports:${jobId}`, 'data');
    expect(raw).not.toBeNull();
    expect(raw).not.toMatch(/traceparent|[0-9a-f]{32}-[0-9a-f]{16}/);
  });

  it(`the worker's domain span (${DOMAIN_SPANS.buildReport}) sits under the job span in the same trace`, async () => {
    expect(firstTrace).toBeDefined();
    await receiver.waitFor((all) => all.some((s) => s.traceId === firstTrace && s.name === DOMAIN_SPANS.buildReport), 5000);
    const t = receiver.trace(firstTrace);
    const processing = t.find((s) => s.kind === SPAN_KIND.consumer)!;
    const build = t.find((s) => s.name === DOMAIN_SPANS.buildReport)!;
    expect(build.resource['service.name']).toBe('pca-agent-worker');
    expect(ancestors(build, t).map((s) => s.spanId)).toContain(processing.spanId);
    expect(build.status.code).toBe(STATUS_CODE.unset);
  });

  it('a 1,200-row upload: one store.upsert_batch span per 500-row batch, no span per Redis command', async () => {
    const lines = ['name,channel,start_date,end_date,budget,spend,impressions,clicks'];
    for (let i = 0; i < 1200; i++) lines.push(`Batch ${i},search,2026-01-01,2026-01-31,${100 + i},${i % 50},${1000 + i},${i % 40}`);
    const form = new FormData();
    form.append('file', new Blob([lines.join('\n')], { type: 'text/csv' }), 'batch.csv');
    const res = await fetch(`${api.base}/api/v1/uploads`, { method: 'POST', headers: { 'X-API-Key': API_KEY }, body: form });
    expect(res.status).toBe(202);
    const traceId = await traceOfRequest(api.child, res);
    await receiver.waitFor((all) => all.filter((s) => s.traceId === traceId && s.name === DOMAIN_SPANS.storeBatch).length >= 3 && all.some((s) => s.traceId === traceId && s.name === DOMAIN_SPANS.parseUpload), 30_000);
    const t = receiver.trace(traceId);
    const parse = t.find((s) => s.name === DOMAIN_SPANS.parseUpload)!;
    const batches = t.filter((s) => s.name === DOMAIN_SPANS.storeBatch);
    expect(batches.map((b) => b.attributes['pca.batch.rows']).sort()).toEqual([200, 500, 500]);
    for (const b of batches) expect(ancestors(b, t).map((s) => s.spanId)).toContain(parse.spanId);
    // before: one evalsha span per row (1,200); now nothing under a batch, and the whole trace stays small
    expect(t.filter((s) => batches.some((b) => s.parentSpanId === b.spanId))).toEqual([]);
    // what is left is BullMQ's own commands (enqueue, progress, finish) and the rate limit: a handful, not 1,200
    expect(t.filter((s) => /^evalsha/i.test(s.name)).length).toBeLessThan(20);
    expect(t.length).toBeLessThan(60);
  });

  it('log lines in the API and the worker carry the trace id of the active span', async () => {
    const { res } = await analyzeAsync(api.base);
    const traceId = await traceOfRequest(api.child, res);
    await receiver.waitFor((all) => all.some((s) => s.traceId === traceId && s.kind === SPAN_KIND.consumer), 20_000);
    const workerLines = worker.child.lines.filter((l) => l.trace_id === traceId);
    expect(workerLines.length).toBeGreaterThan(0);
    for (const l of workerLines) expect(l['service.name']).toBe('pca-agent-worker');
    const spanIds = new Set(receiver.trace(traceId).map((s) => s.spanId));
    expect(workerLines.every((l) => spanIds.has(String(l.span_id)))).toBe(true);
  });

  it('an incoming traceparent continues the caller trace into the worker', async () => {
    const caller = { trace: '4bf92f3577b34da6a3ce929d0e0e4736', span: '00f067aa0ba902b7' };
    const { res } = await analyzeAsync(api.base, { traceparent: `00-${caller.trace}-${caller.span}-01` });
    expect(res.status).toBe(202);
    const spans = await receiver.waitFor((all) => all.some((s) => s.traceId === caller.trace && s.kind === SPAN_KIND.consumer), 20_000);
    const server = spans.find((s) => s.traceId === caller.trace && s.kind === SPAN_KIND.server)!;
    expect(server.parentSpanId).toBe(caller.span);
  });

  it('a job that fails marks the worker span as error', async () => {
    const { queue, close } = testQueue();
    try {
      // bypasses the API's validation: the worker re-validates and fails the job as unrecoverable
      const job = await queue.add('generate_campaign_report', { not_a_field: true }, { jobId: 'e2e-bad-payload', attempts: 1 });
      const spans = await receiver.waitFor(
        (all) => all.some((s) => s.kind === SPAN_KIND.consumer && s.attributes['bullmq.job.id'] === job.id),
        20_000,
      );
      const processing = spans.find((s) => s.kind === SPAN_KIND.consumer && s.attributes['bullmq.job.id'] === job.id)!;
      expect(processing.status.code).toBe(STATUS_CODE.error);
      expect(processing.events.some((e) => e.name === 'job failed')).toBe(true);
    } finally {
      await close();
    }
  });

  it('a scheduled task run by the task role is traced into the worker, and its spans leave before it exits', async () => {
    const task = startWithTelemetry(MAIN, ['task', 'health_check', '--timeout', '30'], roleEnv(otelEnv(receiver.endpoint, { OTEL_BSP_SCHEDULE_DELAY: '60000' })));
    expect((await task.waitExit(45_000)).code).toBe(0);
    // the batch timer (60 s) never fired: these spans left through the flush on exit
    const producer = receiver.spans.find((s) => s.resource['service.name'] === 'pca-agent-task' && s.kind === SPAN_KIND.producer);
    expect(producer?.name).toBe('add maintenance.health_check');
    const spans = await receiver.waitFor(
      (all) => all.some((s) => s.traceId === producer!.traceId && s.kind === SPAN_KIND.consumer && s.resource['service.name'] === 'pca-agent-worker'),
      10_000,
    );
    const consumer = spans.find((s) => s.traceId === producer!.traceId && s.kind === SPAN_KIND.consumer)!;
    expect(consumer.parentSpanId).toBe(producer!.spanId);
    expect(consumer.attributes['bullmq.job.name']).toBe('health_check');
    await receiver.waitFor((all) => all.some((s) => s.traceId === producer!.traceId && s.name === DOMAIN_SPANS.task('health_check')), 5000);
  });

  it('/metrics of the API parses and has duration, rate-limit, auth-failure and process series with bounded labels', async () => {
    const id = `zz${Date.now()}x`;
    await fetch(`${api.base}/api/v1/campaigns/${id}`, { headers: { 'x-api-key': API_KEY } });
    await fetch(`${api.base}/no/such/${id}`);
    await fetch(`${api.base}/api/v1/campaigns`);
    const fams = await scrape(api.base);
    expect(conventionProblems(fams)).toEqual([]);
    const duration = fams.get('http_request_duration_seconds');
    expect(duration?.type).toBe('histogram');
    const routes = labelValues(duration!, 'route');
    expect(routes).toContain('/api/v1/analyze-async');
    expect(routes).toContain('/api/v1/campaigns/:id');
    for (const r of routes) {
      expect(r).not.toContain(id);
      expect(r === 'unmatched' || r.startsWith('/')).toBe(true);
    }
    for (const s of labelValues(duration!, 'status_code')) expect(s).toMatch(/^[1-5]\d\d$/);
    for (const m of labelValues(duration!, 'method')) expect(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS', 'OTHER']).toContain(m);
    expect(fams.get('http_rate_limited_total')?.type).toBe('counter');
    expect(fams.get('http_auth_failures_total')?.type).toBe('counter');
    expect(sum(fams.get('http_auth_failures_total'), {})).toBeGreaterThanOrEqual(1);
    for (const name of ['process_cpu_seconds_total', 'process_resident_memory_bytes', 'nodejs_eventloop_lag_seconds', 'nodejs_heap_size_used_bytes']) {
      expect(fams.has(name)).toBe(true);
    }
  });

  it('/metrics of the worker parses and has job counters, durations and queue depth by state with bounded labels', async () => {
    // the failed job of the test above has been processed; wait for the depth sample to see it
    let fams = await scrape(worker.base);
    const deadline = Date.now() + 10_000;
    while (sum(fams.get('pca_queue_jobs'), { queue: 'reports', state: 'failed' }) < 1 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 500));
      fams = await scrape(worker.base);
    }
    expect(conventionProblems(fams)).toEqual([]);
    expect(sum(fams.get('pca_jobs_completed_total'), { queue: 'reports', job_name: 'generate_campaign_report' })).toBeGreaterThanOrEqual(1);
    expect(sum(fams.get('pca_jobs_failed_total'), { queue: 'reports', job_name: 'generate_campaign_report' })).toBeGreaterThanOrEqual(1);
    const duration = fams.get('pca_job_duration_seconds');
    expect(duration?.type).toBe('histogram');
    expect(sum(duration, { queue: 'reports', job_name: 'generate_campaign_report' }, 'pca_job_duration_seconds_count')).toBeGreaterThanOrEqual(2);
    const depth = fams.get('pca_queue_jobs')!;
    expect(depth.type).toBe('gauge');
    for (const q of QUEUE_NAMES) for (const st of QUEUE_STATES) expect(depth.samples.some((s) => s.labels.queue === q && s.labels.state === st)).toBe(true);
    expect(sum(depth, { queue: 'reports', state: 'failed' })).toBeGreaterThanOrEqual(1);
    for (const fam of [fams.get('pca_jobs_completed_total'), fams.get('pca_jobs_failed_total'), duration, depth]) {
      for (const q of labelValues(fam!, 'queue')) expect(QUEUE_NAMES as string[]).toContain(q);
      for (const j of labelValues(fam!, 'job')) expect(JOB_NAMES as string[]).toContain(j);
    }
    for (const st of labelValues(depth, 'state')) expect([...QUEUE_STATES, 'prioritized', 'paused', 'waiting-children']).toContain(st);
    expect(fams.has('process_cpu_seconds_total')).toBe(true);
  });

  it('probe and metrics endpoints of both roles are not traced; nothing but traces goes over OTLP', async () => {
    for (const b of [api.base, worker.base]) for (const p of ['/health', '/ready', '/metrics']) await fetch(`${b}${p}`);
    const { res } = await analyzeAsync(api.base);
    const traceId = await traceOfRequest(api.child, res);
    await receiver.waitFor((all) => all.some((s) => s.traceId === traceId && s.kind === SPAN_KIND.server));
    const probes = receiver.spans.filter((s) => ['/health', '/ready', '/metrics'].includes(String(s.attributes['url.path'])));
    expect(probes).toEqual([]);
    expect(receiver.requests.get('/v1/metrics')).toBeUndefined();
    expect(receiver.requests.get('/v1/logs')).toBeUndefined();
  });

  it('with the exporter pointed at a dead port the API answers at normal latency and logs the failure once', async () => {
    for (let i = 0; i < 10; i++) {
      const t0 = performance.now();
      await fetch(`${api.base}/api/v1/campaigns`, { headers: { 'x-api-key': API_KEY } });
      liveLatencies.push(performance.now() - t0);
    }
    const dead = await startRole('api', otelEnv(`http://127.0.0.1:${await freePort()}`, { OTEL_EXPORTER_OTLP_TIMEOUT: '500' }));
    const latencies: number[] = [];
    try {
      for (let i = 0; i < 30; i++) {
        const t0 = performance.now();
        const r = await fetch(`${dead.base}/api/v1/campaigns`, { headers: { 'x-api-key': API_KEY } });
        latencies.push(performance.now() - t0);
        expect(r.status).toBe(200);
        await new Promise((r2) => setTimeout(r2, 100));
      }
    } finally {
      await dead.child.stop(STOP_GRACE_MS);
    }
    console.log(`API latency median: live exporter ${median(liveLatencies).toFixed(1)} ms, dead exporter ${median(latencies).toFixed(1)} ms`);
    expect(median(latencies)).toBeLessThan(median(liveLatencies) * 3 + 20);
    expect(dead.child.lines.filter((l) => String(l.msg).startsWith('span export failed'))).toHaveLength(1);
    expect(dead.child.stderr).not.toMatch(/ECONNREFUSED/);
  });
});

describe('dashboard', () => {
  it('reports as pca-agent-dashboard, traces its pages but not its probes, and serves parseable /metrics', async () => {
    const own = await startOtlpReceiver();
    const dashboard = await startRole('dashboard', otelEnv(own.endpoint));
    try {
      const auth = `Basic ${Buffer.from(`${DASHBOARD_AUTH.DASHBOARD_USERNAME}:${DASHBOARD_AUTH.DASHBOARD_PASSWORD}`).toString('base64')}`;
      const page = await fetch(`${dashboard.base}/`, { headers: { authorization: auth } });
      expect(page.status).toBe(200);
      const fams = await scrape(dashboard.base);
      expect(fams.has('process_cpu_seconds_total')).toBe(true);
      expect(conventionProblems(fams)).toEqual([]);
      const spans = await own.waitFor((all) => all.some((s) => s.kind === SPAN_KIND.server));
      const server = spans.find((s) => s.kind === SPAN_KIND.server)!;
      expect(server.resource['service.name']).toBe('pca-agent-dashboard');
      expect(spans.filter((s) => ['/health', '/ready', '/metrics'].includes(String(s.attributes['url.path'])))).toEqual([]);
    } finally {
      await dashboard.child.stop(STOP_GRACE_MS);
      await own.close();
    }
  });
});

describe('role shutdown', () => {
  it('the API flushes pending spans when it stops on SIGTERM', async () => {
    const own = await startOtlpReceiver();
    const api = await startRole('api', otelEnv(own.endpoint, { OTEL_BSP_SCHEDULE_DELAY: '60000' }));
    try {
      const res = await fetch(`${api.base}/api/v1/campaigns`, { headers: { 'x-api-key': API_KEY } });
      const traceId = await traceOfRequest(api.child, res);
      expect(own.spans).toEqual([]);
      expect((await api.child.stop(STOP_GRACE_MS)).code).toBe(0);
      expect(own.spans.some((s) => s.traceId === traceId && s.kind === SPAN_KIND.server)).toBe(true);
    } finally {
      await api.child.stop(STOP_GRACE_MS);
      await own.close();
    }
  });

  it('the worker flushes the spans of its last job when it stops on SIGTERM', async () => {
    const own = await startOtlpReceiver();
    const worker = await startRole('worker', otelEnv(own.endpoint, { OTEL_BSP_SCHEDULE_DELAY: '60000' }));
    const { queue, close } = testQueue();
    try {
      const job = await queue.add('generate_campaign_report', { campaigns: CAMPAIGNS }, { jobId: 'e2e-flush', attempts: 1 });
      await worker.child.waitForLine((l) => l.job_id === job.id && /completed|failed/.test(String(l.msg)), 20_000);
      expect(own.spans).toEqual([]);
      expect((await worker.child.stop(STOP_GRACE_MS)).code).toBe(0);
      expect(own.spans.some((s) => s.kind === SPAN_KIND.consumer && s.attributes['bullmq.job.id'] === job.id)).toBe(true);
    } finally {
      await worker.child.stop(STOP_GRACE_MS);
      await close();
      await own.close();
    }
  });
});
