import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { isTracingSuppressed } from '@opentelemetry/core';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import type { Queue, QueueEvents } from 'bullmq';
import { queueTelemetry } from '../../services/src/telemetry/bullmq';
import { withSpan } from '../../services/src/telemetry/spans';
import { startInMemoryTracing, type InMemoryTracing } from './in-memory-tracing';
import { startTracedQueue, type TracedQueue } from './traced-queue';

let tracing: InMemoryTracing;
beforeAll(() => {
  tracing = startInMemoryTracing();
});
afterAll(() => tracing.shutdown());
afterEach(() => tracing.exporter.reset());

describe('queueTelemetry() span adapter', () => {
  it('suppresses worker housekeeping spans and the Redis calls under them', () => {
    const tracer = queueTelemetry().tracer;
    for (const name of ['getNextJob reports', 'extendLocks reports', 'moveStalledJobsToWait reports', 'startStalledCheckTimer reports', 'close reports']) {
      const span = tracer.startSpan(name, { kind: 0 });
      const ctx = span.setSpanOnContext(context.active());
      expect(isTracingSuppressed(ctx)).toBe(true);
      span.end();
    }
    expect(tracing.exporter.getFinishedSpans()).toHaveLength(0);
  });

  it('keeps getNextJob when it carries a job context', () => {
    const tracer = queueTelemetry().tracer;
    const span = tracer.startSpan('getNextJob reports', { kind: 0 }, context.active());
    span.end();
    expect(tracing.exporter.getFinishedSpans().map((s) => s.name)).toEqual(['getNextJob reports']);
  });

  it('marks a span failed on "job failed" and on recordException', () => {
    const tracer = queueTelemetry().tracer;
    const a = tracer.startSpan('process reports', { kind: 4 });
    a.addEvent('job completed', { 'bullmq.job.result': '{}' });
    a.end();
    const b = tracer.startSpan('process reports', { kind: 4 });
    b.addEvent('job failed', { 'bullmq.job.failed.reason': 'no campaigns' });
    b.end();
    const c = tracer.startSpan('add reports.x', { kind: 3 });
    c.recordException({ name: 'Error', message: 'redis down' });
    c.end();
    const [sa, sb, sc] = tracing.exporter.getFinishedSpans();
    expect(sa!.status.code).toBe(SpanStatusCode.UNSET);
    expect(sb!.status).toEqual({ code: SpanStatusCode.ERROR, message: 'no campaigns' });
    expect(sc!.status).toEqual({ code: SpanStatusCode.ERROR, message: 'redis down' });
    expect(sa!.kind).toBe(SpanKind.CONSUMER);
  });
});

describe('queueTelemetry() draws jobs enqueued outside any trace', () => {
  it('a job not drawn starts no span and suppresses the spans of its work', () => {
    const tracer = queueTelemetry({ rootSampleRatio: 0 }).tracer;
    const span = tracer.startSpan('process reports', { kind: SpanKind.CONSUMER });
    const ctx = span.setSpanOnContext(context.active());
    expect(isTracingSuppressed(ctx)).toBe(true);
    span.setAttributes({ 'bullmq.job.name': 'x' });
    span.addEvent('job completed', { 'bullmq.job.result': '{}' });
    span.end();
    expect(tracing.exporter.getFinishedSpans()).toEqual([]);
  });

  it('a job not drawn that fails still sends one ERROR span with its attributes, even ended under suppressed tracing', () => {
    const tracer = queueTelemetry({ rootSampleRatio: 0 }).tracer;
    const span = tracer.startSpan('process reports', { kind: SpanKind.CONSUMER });
    span.setAttributes({ 'bullmq.job.name': 'generate_pdf_report', 'bullmq.job.id': '7' });
    span.addEvent('job failed', { 'bullmq.job.failed.reason': 'renderer crashed' });
    // as when the job's own (suppressed) context is still active
    context.with(span.setSpanOnContext(context.active()), () => span.end());
    const [forced, ...rest] = tracing.exporter.getFinishedSpans();
    expect(rest).toEqual([]);
    expect(forced!.name).toBe('process reports');
    expect(forced!.kind).toBe(SpanKind.CONSUMER);
    expect(forced!.status).toEqual({ code: SpanStatusCode.ERROR, message: 'renderer crashed' });
    expect(forced!.attributes).toMatchObject({ 'bullmq.job.name': 'generate_pdf_report', 'bullmq.job.id': '7' });
  });

  it('draws at the ratio with the given randomness; a job with a trace context is always followed', () => {
    const draws = [0.05, 0.5];
    const tracer = queueTelemetry({ rootSampleRatio: 0.1, random: () => draws.shift() ?? 1 }).tracer;
    tracer.startSpan('process drawn', { kind: SpanKind.CONSUMER }).end();
    tracer.startSpan('process skipped', { kind: SpanKind.CONSUMER }).end();
    const parent = trace.getTracer('spec').startSpan('POST /api/v1/analyze-async');
    tracer.startSpan('process followed', { kind: SpanKind.CONSUMER }, trace.setSpan(context.active(), parent)).end();
    // only CONSUMER spans are drawn: the producer side follows whatever context it runs in
    tracer.startSpan('add reports.x', { kind: SpanKind.PRODUCER }).end();
    parent.end();
    const names = tracing.exporter.getFinishedSpans().map((s) => s.name);
    expect(names.sort()).toEqual(['POST /api/v1/analyze-async', 'add reports.x', 'process drawn', 'process followed']);
    const followed = tracing.exporter.getFinishedSpans().find((s) => s.name === 'process followed')!;
    expect(followed.parentSpanContext?.spanId).toBe(parent.spanContext().spanId);
  });
});

describe('a real queue and worker with queueTelemetry()', () => {
  let fixture: TracedQueue | undefined;
  let name: string;
  let queue: Queue;
  let events: QueueEvents;

  beforeAll(async () => {
    // a short stalled-check interval, so the idle test below sees several housekeeping rounds
    ({ name, queue, events } = fixture = await startTracedQueue('otel-bullmq', { stalledInterval: 200 }));
  });

  afterAll(() => fixture?.close());

  async function runJob(data: { fail?: boolean }): Promise<{ root: ReadableSpan; spans: ReadableSpan[] }> {
    const job = await withSpan('POST /api/v1/analyze-async', {}, async () => {
      return queue.add('generate_campaign_report', data, { attempts: 1 });
    });
    const root = tracing.exporter.getFinishedSpans().find((s) => s.name === 'POST /api/v1/analyze-async')!;
    await (data.fail ? job.waitUntilFinished(events).catch(() => undefined) : job.waitUntilFinished(events));
    // the worker ends its span right after the job settles
    const deadline = Date.now() + 5000;
    const traceId = root.spanContext().traceId;
    const processOf = () =>
      tracing.exporter.getFinishedSpans().find((s) => s.name === `process ${name}` && s.spanContext().traceId === traceId);
    while (!processOf() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    return { root, spans: tracing.exporter.getFinishedSpans().filter((s) => s.spanContext().traceId === traceId) };
  }

  it('puts the producer span, the worker span and the domain span into the request trace; job data stays clean', async () => {
    const { root, spans } = await runJob({});
    const add = spans.find((s) => s.name === `add ${name}.generate_campaign_report`);
    const processing = spans.find((s) => s.name === `process ${name}`);
    const build = spans.find((s) => s.name === 'report.build');
    expect(add?.kind).toBe(SpanKind.PRODUCER);
    expect(add?.parentSpanContext?.spanId).toBe(root.spanContext().spanId);
    expect(processing?.kind).toBe(SpanKind.CONSUMER);
    expect(processing?.parentSpanContext?.spanId).toBe(add?.spanContext().spanId);
    expect(processing?.attributes['bullmq.job.name']).toBe('generate_campaign_report');
    expect(processing?.attributes['bullmq.queue.name']).toBe(name);
    expect(processing?.status.code).toBe(SpanStatusCode.UNSET);
    expect(build?.parentSpanContext?.spanId).toBe(processing?.spanContext().spanId);
    const stored = await queue.getJobs(['completed']);
    expect(stored.at(-1)?.data).toEqual({});
  });

  it('marks the worker span and the domain span as errors when the job fails', async () => {
    const { spans } = await runJob({ fail: true });
    const processing = spans.find((s) => s.name === `process ${name}`);
    const build = spans.find((s) => s.name === 'report.build');
    expect(processing?.status).toEqual({ code: SpanStatusCode.ERROR, message: 'cannot build' });
    expect(build?.status).toEqual({ code: SpanStatusCode.ERROR, message: 'cannot build' });
    expect(build?.events.some((e) => e.name === 'exception')).toBe(true);
  });

  it('an idle worker records no spans', async () => {
    tracing.exporter.reset();
    await new Promise((r) => setTimeout(r, 1500));
    const names = tracing.exporter.getFinishedSpans().map((s) => s.name);
    expect(names).toEqual([]);
    expect(trace.getActiveSpan()).toBeUndefined();
  });
});
