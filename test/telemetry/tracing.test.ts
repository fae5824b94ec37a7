import { readFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import type { ChildRun } from '../helpers/child-process';
import { SPAN_KIND, STATUS_CODE, startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from '../helpers/otlp-receiver';
import { deleteByPrefix, REDIS_URL, testPrefix } from '../helpers/redis';
import { FIXTURE, freePort, median, otelEnv, ROOT, startWithTelemetry, STOP_GRACE_MS } from './child';

// The preload patches modules through require hooks, which jest's loader bypasses: everything here runs
// the built telemetry (dist/) in child processes, against a fixture app shaped like the API and worker.
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

jest.setTimeout(60_000);

let receiver: OtlpReceiver;
let redis: Redis;
const prefix = testPrefix('otel-fixture');

async function startApp(role: 'api' | 'worker' | 'burst', env: Record<string, string | undefined>): Promise<{ child: ChildRun; base: string }> {
  const child = startWithTelemetry(FIXTURE, [role], { REDIS_URL, REDIS_KEY_PREFIX: prefix, PORT: '0', ...env });
  if (role === 'burst') return { child, base: '' };
  const ready = await child.waitForLine((l) => l.msg === (role === 'api' ? 'listening' : 'worker ready'));
  return { child, base: role === 'api' ? `http://127.0.0.1:${String(ready.port)}` : '' };
}

async function timed(url: string, init?: RequestInit): Promise<{ ms: number; res: Response; body: Record<string, unknown> }> {
  const t0 = performance.now();
  const res = await fetch(url, init);
  const body = (await res.json()) as Record<string, unknown>;
  return { ms: performance.now() - t0, res, body };
}

const serverSpan = (spans: ReceivedSpan[], traceId: string) =>
  spans.find((s) => s.traceId === traceId && s.kind === SPAN_KIND.server);

beforeAll(async () => {
  receiver = await startOtlpReceiver();
  redis = new Redis(REDIS_URL);
});

afterAll(async () => {
  await receiver.close();
  await deleteByPrefix(redis, prefix);
  await redis.quit();
});

describe('fixture API and worker with the telemetry preload', () => {
  let api: ChildRun;
  let worker: ChildRun;
  let base: string;
  const liveLatencies: number[] = [];

  beforeAll(async () => {
    const env = otelEnv(receiver.endpoint);
    [{ child: api, base }, { child: worker }] = await Promise.all([startApp('api', env), startApp('worker', env)]);
  });

  afterAll(async () => {
    const codes = (await Promise.all([api?.stop(STOP_GRACE_MS), worker?.stop(STOP_GRACE_MS)])).map((exit) => exit?.code);
    expect(codes).toEqual([0, 0]);
  });

  it('traces a request under its Express route, with its Redis call as a descendant', async () => {
    await redis.set(`${prefix}:item:42`, 'v');
    const { res, body, ms } = await timed(`${base}/items/42`);
    liveLatencies.push(ms);
    expect(res.status).toBe(200);
    const traceId = String(body.trace_id);
    const spans = await receiver.waitFor((all) => all.some((s) => s.traceId === traceId && s.name === 'get'));
    const server = serverSpan(spans, traceId)!;
    expect(server.name).toBe('GET /items/:id');
    expect(server.parentSpanId).toBe('');
    expect(server.attributes['http.route']).toBe('/items/:id');
    expect(server.attributes['http.response.status_code']).toBe(200);
    expect(server.attributes['http.request.method']).toBe('GET');
    const get = spans.find((s) => s.traceId === traceId && s.name === 'get')!;
    expect(get.kind).toBe(SPAN_KIND.client);
    expect(get.attributes['db.system.name']).toBe('redis');
    expect(get.attributes['db.query.text']).toBe(`GET ${prefix}:item:42`);
    // parent chain from the Redis span reaches the server span
    const byId = new Map(receiver.trace(traceId).map((s) => [s.spanId, s]));
    let cur: ReceivedSpan | undefined = get;
    while (cur && cur.parentSpanId) cur = byId.get(cur.parentSpanId);
    expect(cur?.spanId).toBe(server.spanId);
  });

  it('names spans after route templates through routers, without a span per middleware or handler', async () => {
    const { body } = await timed(`${base}/nested/abc123`);
    const traceId = String(body.trace_id);
    await receiver.waitFor((all) => serverSpan(all, traceId) !== undefined);
    const t = receiver.trace(traceId);
    expect(serverSpan(t, traceId)!.name).toBe('GET /nested/:id');
    expect(serverSpan(t, traceId)!.attributes['http.route']).toBe('/nested/:id');
    expect(t.filter((s) => s.kind !== SPAN_KIND.server).map((s) => s.name)).toEqual([]);
    expect(t.filter((s) => JSON.stringify(s.attributes).includes('abc123') && s.kind !== SPAN_KIND.server)).toEqual([]);
  });

  it('describes the service: role name, package version, env/host/os/process resource, no cloud probes', async () => {
    const spans = await receiver.waitFor((all) => all.some((s) => s.resource['service.name'] === 'pca-agent-api'));
    const resource = spans.find((s) => s.resource['service.name'] === 'pca-agent-api')!.resource;
    expect(resource['service.version']).toBe(VERSION);
    expect(resource['telemetry.sdk.language']).toBe('nodejs');
    expect(typeof resource['host.name']).toBe('string');
    expect(resource['os.type']).toBe('linux');
    expect(resource['process.pid']).toBe(api.pid);
    expect(Object.keys(resource).filter((k) => k.startsWith('cloud.') || k.startsWith('k8s.'))).toEqual([]);
  });

  it('does not trace health, readiness or metrics endpoints', async () => {
    await fetch(`${base}/health`);
    await fetch(`${base}/metrics`);
    const { body } = await timed(`${base}/items/after-probes`);
    await receiver.waitFor((all) => all.some((s) => s.traceId === body.trace_id && s.kind === SPAN_KIND.server));
    const probed = receiver.spans.filter((s) => ['/health', '/metrics'].includes(String(s.attributes['url.path'])));
    expect(probed).toEqual([]);
  });

  it('continues the trace of an incoming traceparent', async () => {
    const traceId = '0af7651916cd43dd8448eb211c80319c';
    const parent = 'b7ad6b7169203331';
    const { body } = await timed(`${base}/items/7`, { headers: { traceparent: `00-${traceId}-${parent}-01` } });
    expect(body.trace_id).toBe(traceId);
    const spans = await receiver.waitFor((all) => serverSpan(all, traceId) !== undefined);
    expect(serverSpan(spans, traceId)!.parentSpanId).toBe(parent);
  });

  it('log lines carry the trace and span ids of the active span', async () => {
    const { body } = await timed(`${base}/items/logged`);
    const line = await api.waitForLine((l) => l.msg === 'item read' && l.item === 'logged');
    expect(line['service.name']).toBe('pca-agent-api');
    expect(line.trace_id).toBe(body.trace_id);
    const spans = await receiver.waitFor((all) => all.some((s) => s.spanId === line.span_id));
    expect(spans.find((s) => s.spanId === line.span_id)!.traceId).toBe(body.trace_id);
    // lines outside any request have no ids
    const listening = api.lines.find((l) => l.msg === 'listening')!;
    expect(listening).not.toHaveProperty('trace_id');
  });

  it('one trace runs from the request through the enqueue span into the worker and its domain span', async () => {
    const { res, body } = await timed(`${base}/jobs/ok`, { method: 'POST' });
    expect(res.status).toBe(202);
    const traceId = String(body.trace_id);
    await receiver.waitFor((all) => all.some((s) => s.traceId === traceId && s.name === 'fixture.work'));
    const t = receiver.trace(traceId);
    const server = serverSpan(t, traceId)!;
    const add = t.find((s) => s.name === 'add fixture.fixture_job')!;
    const processing = t.find((s) => s.name === 'process fixture')!;
    const work = t.find((s) => s.name === 'fixture.work')!;
    expect(server.attributes['http.route']).toBe('/jobs/:kind');
    expect(server.attributes['http.response.status_code']).toBe(202);
    expect(add.kind).toBe(SPAN_KIND.producer);
    expect(add.resource['service.name']).toBe('pca-agent-api');
    expect(add.attributes).toMatchObject({ 'bullmq.queue.name': 'fixture', 'bullmq.job.name': 'fixture_job', 'bullmq.job.id': body.job_id });
    expect(processing.kind).toBe(SPAN_KIND.consumer);
    expect(processing.resource['service.name']).toBe('pca-agent-worker');
    expect(processing.parentSpanId).toBe(add.spanId);
    expect(processing.attributes).toMatchObject({ 'bullmq.queue.name': 'fixture', 'bullmq.job.name': 'fixture_job' });
    expect(processing.status.code).toBe(STATUS_CODE.unset);
    expect(work.parentSpanId).toBe(processing.spanId);
    expect(work.attributes['pca.kind']).toBe('ok');
    // the worker's log line inside the job carries the request's trace id
    const line = await worker.waitForLine((l) => l.msg === 'working' && l.job_id === body.job_id);
    expect(line.trace_id).toBe(traceId);
    expect(line['service.name']).toBe('pca-agent-worker');
  });

  it('a failing job marks the worker span and the domain span as errors', async () => {
    const { body } = await timed(`${base}/jobs/fail`, { method: 'POST' });
    const traceId = String(body.trace_id);
    await receiver.waitFor((all) => all.some((s) => s.traceId === traceId && s.name === 'process fixture'));
    const t = receiver.trace(traceId);
    const processing = t.find((s) => s.name === 'process fixture')!;
    const work = t.find((s) => s.name === 'fixture.work')!;
    expect(processing.status).toEqual({ code: STATUS_CODE.error, message: 'fixture failure' });
    expect(work.status).toEqual({ code: STATUS_CODE.error, message: 'fixture failure' });
    const exception = work.events.find((e) => e.name === 'exception')!;
    expect(exception.attributes['exception.message']).toBe('fixture failure');
    expect(String(exception.attributes['exception.stacktrace'])).toContain('fixture failure');
  });

  it('an unhandled route error marks the server span as error with status 500', async () => {
    const res = await fetch(`${base}/boom`);
    expect(res.status).toBe(500);
    const spans = await receiver.waitFor((all) => all.some((s) => s.attributes['url.path'] === '/boom'));
    const server = spans.find((s) => s.attributes['url.path'] === '/boom')!;
    expect(server.status.code).toBe(STATUS_CODE.error);
    expect(server.attributes['http.response.status_code']).toBe(500);
  });

  it('background polling does not start traces: every worker span belongs to a job trace', async () => {
    await new Promise((r) => setTimeout(r, 1500));
    const producerTraces = new Set(receiver.spans.filter((s) => s.kind === SPAN_KIND.producer).map((s) => s.traceId));
    const workerSpans = receiver.spans.filter((s) => s.resource['service.name'] === 'pca-agent-worker');
    expect(workerSpans.length).toBeGreaterThan(0);
    expect(workerSpans.filter((s) => !producerTraces.has(s.traceId)).map((s) => s.name)).toEqual([]);
    const rootRedis = receiver.spans.filter((s) => s.parentSpanId === '' && s.attributes['db.system.name'] === 'redis');
    expect(rootRedis).toEqual([]);
  });

  it('sends traces only: no OTLP metrics or logs, JSON encoding', () => {
    expect(receiver.requests.get('/v1/traces')).toBeGreaterThan(0);
    expect(receiver.requests.get('/v1/metrics')).toBeUndefined();
    expect(receiver.requests.get('/v1/logs')).toBeUndefined();
    expect(receiver.rejected).toBe(0);
  });

  describe('with the exporter pointed at a port where nothing listens', () => {
    let dead: ChildRun;
    let deadBase: string;

    beforeAll(async () => {
      const port = await freePort();
      ({ child: dead, base: deadBase } = await startApp(
        'api',
        otelEnv(`http://127.0.0.1:${port}`, { OTEL_EXPORTER_OTLP_TIMEOUT: '500', FIXTURE_SHUTDOWN_MS: '5000' }),
      ));
      // a baseline from the healthy API, same requests
      for (let i = 0; i < 10; i++) liveLatencies.push((await timed(`${base}/items/live-${i}`)).ms);
    });

    it('answers at normal latency and logs the export failure once', async () => {
      const latencies: number[] = [];
      // spread over ~3 s so that many export batches fail
      for (let i = 0; i < 30; i++) {
        const { res, ms } = await timed(`${deadBase}/items/dead-${i}`);
        expect(res.status).toBe(200);
        latencies.push(ms);
        await new Promise((r) => setTimeout(r, 100));
      }
      const { code } = await dead.stop(STOP_GRACE_MS);
      expect(code).toBe(0);
      const failures = dead.lines.filter((l) => String(l.msg).startsWith('span export failed'));
      expect(failures).toHaveLength(1);
      expect(failures[0]!.component).toBe('telemetry');
      // one summary at shutdown, and no other telemetry warnings
      const atShutdown = dead.lines.find((l) => String(l.msg).startsWith('span export still failing at shutdown'));
      expect(Number(atShutdown?.failed_batches)).toBeGreaterThanOrEqual(3);
      expect(dead.lines.filter((l) => l.level === 'warn' || l.level === 'error')).toEqual([failures[0], atShutdown]);
      expect(dead.stderr).toBe('');
      console.log(`latency median: live ${median(liveLatencies).toFixed(1)} ms, dead exporter ${median(latencies).toFixed(1)} ms`);
      expect(median(latencies)).toBeLessThan(median(liveLatencies) * 3 + 20);
      expect(Math.max(...latencies)).toBeLessThan(1000);
    });
  });
});

describe('configuration and shutdown', () => {
  it('at the shipped sampling default: about 10 % of new requests are traced, every sampled traceparent is followed', async () => {
    const own = await startOtlpReceiver();
    // '' is unset: the default parentbased_traceidratio at 0.1
    const { child, base } = await startApp('api', { ...otelEnv(own.endpoint), OTEL_TRACES_SAMPLER: '' });
    try {
      for (let i = 0; i < 300; i++) expect((await fetch(`${base}/items/ratio-${i}`)).status).toBe(200);
      const parents = Array.from({ length: 5 }, (_, i) => `00-${'ab'.repeat(15)}${String(i).padStart(2, '0')}-${'cd'.repeat(8)}-01`);
      for (const [i, traceparent] of parents.entries()) await fetch(`${base}/items/followed-${i}`, { headers: { traceparent } });
      const followed = await own.waitFor((all) => all.filter((sp) => String(sp.attributes['url.path']).startsWith('/items/followed-')).length === 5);
      const drawn = followed.filter((sp) => sp.kind === SPAN_KIND.server && String(sp.attributes['url.path']).startsWith('/items/ratio-'));
      // binomial(300, 0.1): mean 30, sd 5.2
      expect(drawn.length).toBeGreaterThan(8);
      expect(drawn.length).toBeLessThan(52);
      // a drawn request is traced whole, with its route name and its Redis call
      const one = drawn[0]!;
      expect(one.name).toBe('GET /items/:id');
      expect(own.spans.some((sp) => sp.traceId === one.traceId && sp.name === 'get')).toBe(true);
      // requests not drawn leave no trace id in their log lines
      const lines = child.lines.filter((l) => l.msg === 'item read' && String(l.item).startsWith('ratio-'));
      expect(lines.filter((l) => 'trace_id' in l)).toHaveLength(drawn.length);
    } finally {
      await child.stop(STOP_GRACE_MS);
      await own.close();
    }
  });

  it('OTEL_SDK_DISABLED=true: the app serves, nothing is exported, logs have no trace ids', async () => {
    const own = await startOtlpReceiver();
    const { child, base } = await startApp('api', { ...otelEnv(own.endpoint), OTEL_SDK_DISABLED: 'true' });
    try {
      const { res, body } = await timed(`${base}/items/1`);
      expect(res.status).toBe(200);
      expect(body).not.toHaveProperty('trace_id');
      await child.waitForLine((l) => l.msg === 'item read');
      expect(child.lines.filter((l) => 'trace_id' in l)).toEqual([]);
      // spans would have arrived within a second (100 ms batches), as in the tests above
      await new Promise((r) => setTimeout(r, 1000));
      expect(own.spans).toEqual([]);
      expect(own.requests.size).toBe(0);
    } finally {
      await child.stop(STOP_GRACE_MS);
      await own.close();
    }
  });

  it('OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES override the defaults in traces and logs', async () => {
    const own = await startOtlpReceiver();
    const { child, base } = await startApp('api', {
      ...otelEnv(own.endpoint),
      OTEL_SERVICE_NAME: 'pca-agent-api-canary',
      OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=ci,service.namespace=pca',
    });
    try {
      await timed(`${base}/items/1`);
      const [span] = await own.waitFor((s) => s.length > 0);
      expect(span!.resource).toMatchObject({
        'service.name': 'pca-agent-api-canary',
        'service.version': VERSION,
        'deployment.environment.name': 'ci',
        'service.namespace': 'pca',
      });
      const line = await child.waitForLine((l) => l.msg === 'item read');
      expect(line['service.name']).toBe('pca-agent-api-canary');
    } finally {
      await child.stop(STOP_GRACE_MS);
      await own.close();
    }
  });

  it('a process that runs out of work flushes its spans on exit (beforeExit), not on the batch timer', async () => {
    const own = await startOtlpReceiver();
    const t0 = Date.now();
    const { child } = await startApp('burst', { ...otelEnv(own.endpoint, { OTEL_BSP_SCHEDULE_DELAY: '60000' }), FIXTURE_SPANS: '7' });
    const { code } = await child.exited;
    expect(code).toBe(0);
    expect(Date.now() - t0).toBeLessThan(10_000);
    const burst = own.spans.filter((s) => s.name === 'fixture.burst');
    expect(burst.map((s) => s.attributes['pca.index']).sort()).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(burst[0]!.resource['service.name']).toBe('pca-agent');
    await own.close();
  });

  it('shutdownTelemetry flushes pending spans on SIGTERM', async () => {
    const own = await startOtlpReceiver();
    const { child, base } = await startApp('api', otelEnv(own.endpoint, { OTEL_BSP_SCHEDULE_DELAY: '60000' }));
    const { body } = await timed(`${base}/items/flush`);
    expect(own.spans).toEqual([]);
    expect((await child.stop(STOP_GRACE_MS)).code).toBe(0);
    expect(own.spans.some((s) => s.traceId === body.trace_id && s.kind === SPAN_KIND.server)).toBe(true);
    await own.close();
  });

  it('shutdownTelemetry gives up at its deadline when the collector hangs', async () => {
    const sockets = new Set<Socket>();
    const blackhole: Server = createServer((s) => {
      sockets.add(s);
      s.on('error', () => undefined);
    });
    await new Promise<void>((r) => blackhole.listen(0, '127.0.0.1', r));
    const port = (blackhole.address() as { port: number }).port;
    const { child, base } = await startApp('api', {
      ...otelEnv(`http://127.0.0.1:${port}`, { OTEL_BSP_SCHEDULE_DELAY: '60000', OTEL_EXPORTER_OTLP_TIMEOUT: '30000' }),
      FIXTURE_SHUTDOWN_MS: '1000',
    });
    try {
      await timed(`${base}/items/hang`);
      const t0 = Date.now();
      expect((await child.stop(STOP_GRACE_MS)).code).toBe(0);
      const elapsed = Date.now() - t0;
      expect(elapsed).toBeGreaterThanOrEqual(900);
      expect(elapsed).toBeLessThan(3000);
      expect(child.lines.some((l) => l.msg === 'telemetry shutdown timed out; unsent spans are dropped')).toBe(true);
      expect(sockets.size).toBeGreaterThan(0);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => blackhole.close(() => r()));
    }
  });
});
