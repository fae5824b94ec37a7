import { context, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, TraceFlags } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import type { Queue, QueueEvents } from 'bullmq';
import express from 'express';
import pino from 'pino';
import request from 'supertest';
import { errorHandler } from '../../services/src/api/errors';
import { FORCE_TRACE_ATTRIBUTE, ForcedTraceSampler, samplerFromEnv } from '../../services/src/telemetry/sampler';
import { withSpan } from '../../services/src/telemetry/spans';
import { startInMemoryTracing, type InMemoryTracing } from './in-memory-tracing';
import { startTracedQueue, type TracedQueue } from './traced-queue';

/** A provider of its own (not the global one) with the sampler the environment names. */
function providerFor(env: NodeJS.ProcessEnv) {
  const exporter = new InMemorySpanExporter();
  const provider = new TracerProvider({ sampler: new ForcedTraceSampler(samplerFromEnv(env)), spanProcessors: [new SimpleSpanProcessor({ exporter })] });
  return { exporter, tracer: provider.getTracer('test'), provider };
}

const remoteParent = (sampled: boolean) =>
  trace.setSpanContext(ROOT_CONTEXT, {
    traceId: '0af7651916cd43dd8448eb211c80319c',
    spanId: 'b7ad6b7169203331',
    traceFlags: sampled ? TraceFlags.SAMPLED : TraceFlags.NONE,
    isRemote: true,
  });

describe('samplerFromEnv with ForcedTraceSampler', () => {
  it('samples about 10 % of new traces by default and follows an incoming traceparent either way', async () => {
    const { exporter, tracer, provider } = providerFor({});
    for (let i = 0; i < 2000; i++) tracer.startSpan('root').end();
    const roots = exporter.getFinishedSpans().length;
    expect(roots).toBeGreaterThan(120); // binomial(2000, 0.1): mean 200, sd 13
    expect(roots).toBeLessThan(280);
    exporter.reset();
    for (let i = 0; i < 50; i++) tracer.startSpan('sampled parent', {}, remoteParent(true)).end();
    for (let i = 0; i < 50; i++) tracer.startSpan('unsampled parent', {}, remoteParent(false)).end();
    const names = exporter.getFinishedSpans().map((s) => s.name);
    expect(names.filter((n) => n === 'sampled parent')).toHaveLength(50);
    expect(names.filter((n) => n === 'unsampled parent')).toHaveLength(0);
    await provider.shutdown();
  });

  it('reads the standard names and ratio; a forced span is sampled even with sampling off', async () => {
    expect(samplerFromEnv({}).toString()).toBe('ParentBased{root=TraceIdRatioBased{0.1}, remoteParentSampled=AlwaysOnSampler, remoteParentNotSampled=AlwaysOffSampler, localParentSampled=AlwaysOnSampler, localParentNotSampled=AlwaysOffSampler}');
    expect(samplerFromEnv({ OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.25' }).toString()).toContain('TraceIdRatioBased{0.25}');
    expect(samplerFromEnv({ OTEL_TRACES_SAMPLER: 'always_on' }).toString()).toBe('AlwaysOnSampler');
    expect(samplerFromEnv({ OTEL_TRACES_SAMPLER_ARG: '7' }).toString()).toContain('TraceIdRatioBased{0.1}');
    const { exporter, tracer, provider } = providerFor({ OTEL_TRACES_SAMPLER: 'always_off' });
    tracer.startSpan('plain').end();
    tracer.startSpan('forced', { attributes: { [FORCE_TRACE_ATTRIBUTE]: true } }).end();
    // under an unsampled parent too
    tracer.startSpan('forced child', { attributes: { [FORCE_TRACE_ATTRIBUTE]: true } }, remoteParent(false)).end();
    expect(exporter.getFinishedSpans().map((s) => s.name)).toEqual(['forced', 'forced child']);
    await provider.shutdown();
  });
});

let tracing: InMemoryTracing;
beforeAll(() => {
  // Ratio 0: nothing is sampled but what is forced.
  tracing = startInMemoryTracing({ sampler: new ForcedTraceSampler(samplerFromEnv({ OTEL_TRACES_SAMPLER_ARG: '0' })) });
});
afterAll(() => tracing.shutdown());

describe('a job whose trace was not sampled', () => {
  let fixture: TracedQueue | undefined;
  let name: string;
  let queue: Queue;
  let events: QueueEvents;

  beforeAll(async () => {
    ({ name, queue, events } = fixture = await startTracedQueue('otel-unsampled'));
  });

  afterAll(() => fixture?.close());

  async function run(data: { fail?: boolean }) {
    tracing.exporter.reset();
    let traceId = '';
    const job = await withSpan('POST /api/v1/reports', {}, async (span) => {
      traceId = span.spanContext().traceId;
      expect(span.isRecording()).toBe(false);
      return queue.add('generate_campaign_report', data, { attempts: 1 });
    });
    await job.waitUntilFinished(events).catch(() => undefined);
    const deadline = Date.now() + 5000;
    while (data.fail && tracing.exporter.getFinishedSpans().length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    // a completed job gets the same time to (wrongly) export something
    if (!data.fail) await new Promise((r) => setTimeout(r, 300));
    return { traceId, jobId: job.id!, spans: tracing.exporter.getFinishedSpans() };
  }

  it('a failure still sends one ERROR span, a root linked to the unsampled job span', async () => {
    const { traceId, jobId, spans } = await run({ fail: true });
    expect(spans).toHaveLength(1);
    const failed = spans[0]!;
    expect(failed.name).toBe(`process ${name}`);
    expect(failed.kind).toBe(SpanKind.CONSUMER);
    expect(failed.status).toEqual({ code: SpanStatusCode.ERROR, message: 'cannot build' });
    expect(failed.parentSpanContext).toBeUndefined();
    expect(failed.attributes[FORCE_TRACE_ATTRIBUTE]).toBe(true);
    expect(failed.attributes['bullmq.job.name']).toBe('generate_campaign_report');
    expect(failed.attributes['bullmq.job.id']).toBe(jobId);
    expect(failed.links.map((l) => l.context.traceId)).toEqual([traceId]);
    expect(failed.spanContext().traceId).not.toBe(traceId);
    expect(context.active()).toBe(ROOT_CONTEXT);
  });

  it('a completed job sends nothing', async () => {
    const { spans } = await run({});
    expect(spans).toEqual([]);
  });
});

describe('a request whose trace was not sampled', () => {
  // Stands in for the HTTP instrumentation: an unsampled server span active while the app runs.
  const app = express();
  app.use((_req, res, next) => {
    void withSpan('GET', {}, () => new Promise<void>((resolve) => {
      res.on('finish', resolve);
      next();
    }));
  });
  app.get('/boom', () => {
    throw new Error('kaput');
  });
  app.get('/fine', (_req, res) => {
    res.json({});
  });
  app.use(errorHandler(pino({ level: 'silent' })));

  it('a 500 still sends one ERROR server span; a 200 sends nothing', async () => {
    tracing.exporter.reset();
    expect((await request(app).get('/fine')).status).toBe(200);
    expect(tracing.exporter.getFinishedSpans()).toEqual([]);
    expect((await request(app).get('/boom')).status).toBe(500);
    const spans = tracing.exporter.getFinishedSpans();
    expect(spans.map((s) => [s.name, s.kind, s.status])).toEqual([['GET unmatched', SpanKind.SERVER, { code: SpanStatusCode.ERROR, message: 'kaput' }]]);
    expect(spans[0]!.attributes).toMatchObject({ 'http.response.status_code': 500, [FORCE_TRACE_ATTRIBUTE]: true });
    expect(spans[0]!.links).toHaveLength(1);
  });
});
